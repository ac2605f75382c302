using System.Net;
using System.Net.Sockets;
using Socks5.Protocol.Server;
using Socks5.Protocol.Tests.Interop;
using Socks5.Protocol.Wire;
using Xunit;
using static Socks5.Protocol.Tests.Server.MixedProtocolTests;
using static Socks5.Protocol.Tests.Server.ServerDefectTests;

namespace Socks5.Protocol.Tests.Server;

/// <summary>
/// Tor's RESOLVE and RESOLVE_PTR through injected resolvers: no real DNS, and nothing is dialed (a recording dialer
/// proves it).
/// </summary>
public class ResolveCommandTests
{
    private static CancellationToken Timeout(int seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private static TestServer Start(DialRecorder dialer, bool enable = true, Action<Socks5ServerOptions>? configure = null) => new(o =>
    {
        o.EnableResolve = enable;
        o.Dialer = dialer.DialAsync;
        o.Resolver = (host, _) => ValueTask.FromResult(host switch
        {
            "public.test" => new[] { IPAddress.Parse("198.51.100.7"), IPAddress.Parse("2001:db8::7") },
            "v6.test" => new[] { IPAddress.Parse("2001:db8::6") },
            "mixed.test" => new[] { IPAddress.Parse("10.0.0.1"), IPAddress.Parse("198.51.100.8") },
            "private.test" => new[] { IPAddress.Parse("10.0.0.2") },
            _ => Array.Empty<IPAddress>(),
        });
        o.ReverseResolver = (address, _) => ValueTask.FromResult(address.ToString() switch
        {
            "198.51.100.7" => "www.public.test",
            "10.0.0.1" => "secret.internal",
            _ => (string?)null,
        });
        o.Egress.DenyPrivate = true;
        configure?.Invoke(o);
    });

    [Theory]
    [InlineData("public.test", ReplyCode.Succeeded, "198.51.100.7")]
    [InlineData("v6.test", ReplyCode.Succeeded, "2001:db8::6")]
    [InlineData("mixed.test", ReplyCode.Succeeded, "198.51.100.8")] // the denied address is skipped, not revealed
    [InlineData("private.test", ReplyCode.ConnectionNotAllowed, null)]
    [InlineData("nowhere.test", ReplyCode.HostUnreachable, null)]
    public async Task Socks5_resolve_answers_an_allowed_address(string host, ReplyCode expected, string? address)
    {
        var dialer = new DialRecorder();
        using TestServer server = Start(dialer);
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo reply = await client.RequestAsync(Command.Resolve, new DnsEndPoint(host, 0), Timeout());
        Assert.Equal(expected, reply.ReplyCode);
        Assert.Equal(address is null ? null : IPAddress.Parse(address), address is null ? null : reply.Address);
        Assert.Empty(dialer.Dialed);
        Socks5ConnectionReport report = (await server.WaitForReportsAsync(1)).Single();
        Assert.Equal(Command.Resolve, report.Command);
        Assert.Equal(expected, report.ReplyCode);
    }

    [Theory]
    [InlineData("198.51.100.7", ReplyCode.Succeeded, "www.public.test")]
    [InlineData("10.0.0.1", ReplyCode.ConnectionNotAllowed, null)] // a private address's name is not revealed
    [InlineData("198.51.100.9", ReplyCode.HostUnreachable, null)]
    public async Task Socks5_resolve_ptr_names_an_allowed_address(string address, ReplyCode expected, string? name)
    {
        var dialer = new DialRecorder();
        using TestServer server = Start(dialer);
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo reply = await client.RequestAsync(Command.ResolvePtr, new IPEndPoint(IPAddress.Parse(address), 0), Timeout());
        Assert.Equal(expected, reply.ReplyCode);
        if (name is not null)
        {
            Assert.Equal(AddressType.DomainName, reply.AddressType);
            Assert.Equal(name, reply.Host);
        }
        Assert.Empty(dialer.Dialed);
    }

    [Fact]
    public async Task Resolve_is_off_by_default_and_answered_7()
    {
        var dialer = new DialRecorder();
        using TestServer server = Start(dialer, enable: false);
        foreach (Command command in new[] { Command.Resolve, Command.ResolvePtr })
        {
            using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
            EndPoint destination = command == Command.Resolve ? new DnsEndPoint("public.test", 0) : new IPEndPoint(IPAddress.Parse("198.51.100.7"), 0);
            Assert.Equal(ReplyCode.CommandNotSupported, (await client.RequestAsync(command, destination, Timeout())).ReplyCode);
        }
    }

    [Fact]
    public async Task Other_unknown_commands_are_still_answered_7_when_resolve_is_on()
    {
        var dialer = new DialRecorder();
        using TestServer server = Start(dialer);
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        Assert.Equal(ReplyCode.CommandNotSupported, (await client.RequestAsync((Command)0x42, new IPEndPoint(IPAddress.Loopback, 1), Timeout())).ReplyCode);
        Assert.Empty(dialer.Dialed);
    }

    [Theory]
    [InlineData("public.test", 90, "198.51.100.7")]
    [InlineData("v6.test", 91, "0.0.0.0")] // no IPv4 address to put in DSTIP
    [InlineData("private.test", 91, "0.0.0.0")]
    public async Task Socks4a_resolve_answers_in_dstip(string host, int expected, string address)
    {
        var dialer = new DialRecorder();
        using TestServer server = Start(dialer);
        byte[] request = Socks4aConnect(host, 0, "");
        request[1] = (byte)Command.Resolve;
        using Socket client = await OpenAsync(server.EndPoint4, request, Timeout());
        byte[] reply = await ReadExactlyAsync(client, 8, Timeout());
        Assert.Equal(expected, reply[1]);
        Assert.Equal(IPAddress.Parse(address), new IPAddress(reply.AsSpan(4, 4)));
        Assert.True(await IsClosedAsync(client, Timeout()));
        Assert.Empty(dialer.Dialed);
    }
}
