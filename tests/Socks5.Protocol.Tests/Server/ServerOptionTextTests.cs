using System.Net;
using Socks5.Protocol.Server;
using Socks5.Protocol.Tests.Interop;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Server;

/// <summary>
/// <see cref="Socks5ServerOptions.Listen"/> and <see cref="Socks5ServerOptions.Advertise"/>: the text forms a
/// configuration binder can fill, with one rule (IP literals, IPv6 in brackets before a port), checked when the server is
/// created.
/// </summary>
public class ServerOptionTextTests
{
    private static CancellationToken Timeout(int seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Theory]
    [InlineData("127.0.0.1:1080", "127.0.0.1", 1080)]
    [InlineData("0.0.0.0:0", "0.0.0.0", 0)]
    [InlineData("255.255.255.255:65535", "255.255.255.255", 65535)]
    [InlineData("[::1]:1080", "::1", 1080)]
    [InlineData("[::]:1", "::", 1)]
    [InlineData("[2001:db8::7]:443", "2001:db8::7", 443)]
    [InlineData("[::ffff:127.0.0.1]:80", "::ffff:127.0.0.1", 80)]
    public void Listen_takes_an_IP_literal_and_a_port(string text, string address, int port)
    {
        Assert.True(AddressText.TryParseEndPoint(text, out IPEndPoint? endPoint));
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), endPoint);
    }

    [Theory]
    [InlineData("")]
    [InlineData("127.0.0.1")] // no port
    [InlineData("127.0.0.1:")]
    [InlineData(":1080")]
    [InlineData("localhost:1080")] // a name: where to listen must not depend on DNS
    [InlineData("proxy.example:1080")]
    [InlineData("::1:1080")] // IPv6 without brackets: its last group would pass for a port
    [InlineData("[::1]")]
    [InlineData("[::1]:")]
    [InlineData("[::1:1080")]
    [InlineData("::1]:1080")]
    [InlineData("[127.0.0.1]:1080")]
    [InlineData("127.0.0.1:65536")]
    [InlineData("127.0.0.1:-1")]
    [InlineData("127.0.0.1:+80")]
    [InlineData("127.0.0.1:80 ")]
    [InlineData(" 127.0.0.1:80")]
    [InlineData("127.0.0.1:1080:1")]
    [InlineData("127.1:80")] // IPv4 shorthands and octal or hex parts, which IPAddress.Parse would take
    [InlineData("1.2.3:80")]
    [InlineData("010.0.0.1:80")]
    [InlineData("0x7f.0.0.1:80")]
    [InlineData("[fe80::1%1]:80")] // a zone
    public void A_listen_string_of_another_form_makes_the_constructor_throw_naming_it(string text)
    {
        var options = new Socks5ServerOptions { Listen = { "127.0.0.1:0", text } };
        ArgumentException e = Assert.Throws<ArgumentException>(() => new Socks5Server(options));
        Assert.Contains($"\"{text}\"", e.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(Socks5ServerOptions.Listen), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_listens_on_the_typed_end_points_then_on_the_strings()
    {
        var options = new Socks5ServerOptions
        {
            ListenEndPoints = { new IPEndPoint(IPAddress.Loopback, 0) },
            Listen = { "[::1]:0", "127.0.0.1:0" },
        };
        using var server = new Socks5Server(options);
        server.Start();
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback, IPAddress.Loopback], server.LocalEndPoints.Select(e => e.Address));
        Assert.All(server.LocalEndPoints, e => Assert.NotEqual(0, e.Port));
    }

    [Theory]
    [InlineData("192.0.2.7", "192.0.2.7")]
    [InlineData("2001:db8::7", "2001:db8::7")]
    [InlineData("[2001:db8::7]", "2001:db8::7")]
    [InlineData("::", "::")]
    public void Advertise_takes_an_IP_literal(string text, string address)
    {
        using var server = new Socks5Server(new Socks5ServerOptions { Advertise = text });
        Assert.Equal(IPAddress.Parse(address), server.AdvertisedAddress);
    }

    [Theory]
    [InlineData("")]
    [InlineData("proxy.example")]
    [InlineData("192.0.2.7:80")]
    [InlineData("[2001:db8::7]:80")]
    [InlineData("[192.0.2.7]")]
    [InlineData("192.0.2")]
    [InlineData("fe80::1%1")]
    public void An_advertise_string_of_another_form_makes_the_constructor_throw_naming_it(string text)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => new Socks5Server(new Socks5ServerOptions { Advertise = text }));
        Assert.Contains($"\"{text}\"", e.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(Socks5ServerOptions.Advertise), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Advertise_and_AdvertisedAddress_together_are_refused()
    {
        var options = new Socks5ServerOptions { Advertise = "192.0.2.7", AdvertisedAddress = IPAddress.Parse("192.0.2.8") };
        ArgumentException e = Assert.Throws<ArgumentException>(() => new Socks5Server(options));
        Assert.Contains("not both", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_advertised_string_is_named_in_the_udp_associate_reply()
    {
        // Nothing is sent to the advertised address: the reply is only read.
        using var server = new TestServer(o => o.Advertise = "[2001:db8::7]");
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo reply = await client.RequestAsync(Command.UdpAssociate, new IPEndPoint(IPAddress.Any, 0), Timeout());
        Assert.Equal(ReplyCode.Succeeded, reply.ReplyCode);
        Assert.Equal(IPAddress.Parse("2001:db8::7"), reply.Address);
        Assert.NotEqual(0, reply.Port);
    }
}
