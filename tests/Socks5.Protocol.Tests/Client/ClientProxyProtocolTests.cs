using System.Net;
using System.Net.Sockets;
using System.Text;
using Socks5.Protocol.Client;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Client;

/// <summary>
/// Socks5Client speaking SOCKS4/4a and HTTP CONNECT, and Tor's RESOLVE/RESOLVE_PTR, against a scripted loopback proxy:
/// the exact bytes sent, the tunnel after the reply, and every refusal as a Socks5Exception that says what the proxy did.
/// </summary>
public class ClientProxyProtocolTests
{
    private static string Ascii(byte[] bytes) => Encoding.ASCII.GetString(bytes);

    private static async Task<string> ReadHeadAsync(FakeConnection server)
    {
        var head = new List<byte>();
        while (!Ascii(head.ToArray()).EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            head.AddRange(await server.ReadExactlyAsync(1));
        }

        return Ascii(head.ToArray());
    }

    [Fact]
    public Task Socks4a_connect_sends_the_name_and_the_user_id_then_tunnels() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Socks5Client client = new(Socks5ClientOptions.FromUri(new Uri($"socks4a://bob@127.0.0.1:{proxy.EndPoint.Port}")));
        Task<Socks5Tunnel> connecting = client.ConnectAsync("example.test", 80);
        using FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync("04 01 00 50 00 00 00 01 62 6f 62 00" + Hex.Format("example.test"u8) + "00");
        await server.SendAsync("00 5a 00 00 00 00 00 00 68 69");

        using Socks5Tunnel tunnel = await connecting;
        Assert.Equal("hi", Ascii(await Loop.ReadExactlyAsync(tunnel.Stream, 2)));
        await tunnel.Stream.WriteAsync("ok"u8.ToArray());
        await server.ExpectAsync("6f 6b");
    });

    [Fact]
    public Task Socks4_resolves_the_name_here_to_an_IPv4_address() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        var resolver = new RecordingResolver(_ => [IPAddress.IPv6Loopback, IPAddress.Parse("127.0.0.9")]);
        Socks5ClientOptions options = Socks5ClientOptions.FromUri(new Uri($"socks4://127.0.0.1:{proxy.EndPoint.Port}"));
        options.Resolver = resolver.ResolveAsync;
        Task<Socks5Tunnel> connecting = new Socks5Client(options).ConnectAsync("example.test", 80);
        using FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync("04 01 00 50 7f 00 00 09 00");
        await server.SendAsync("00 5a 00 00 00 00 00 00");
        using Socks5Tunnel tunnel = await connecting;
        Assert.Equal(new[] { "example.test" }, resolver.Asked);
    });

    [Fact]
    public Task Socks4_sends_an_IPv4_mapped_address_as_IPv4() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<Socks5Tunnel> connecting = proxy.Client(o => o.Protocol = ProxyProtocol.Socks4).ConnectAsync(new IPEndPoint(IPAddress.Loopback.MapToIPv6(), 8000));
        using FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync("04 01 1f 40 7f 00 00 01 00");
        await server.SendAsync("00 5a 00 00 00 00 00 00");
        using Socks5Tunnel tunnel = await connecting;
    });

    [Fact]
    public Task Socks4_refusal_names_the_reply_code() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Socks5Client client = proxy.Client(o => o.Protocol = ProxyProtocol.Socks4);
        Task<Socks5Tunnel> connecting = client.ConnectAsync(Loop.At(8000));
        using FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync("04 01 1f 40 7f 00 00 01 00");
        await server.SendAsync("00 5b 00 00 00 00 00 00");

        Socks5Exception ex = await Assert.ThrowsAsync<Socks5Exception>(() => connecting);
        Assert.Equal(HandshakeFailure.RequestRejected, ex.Failure);
        Assert.Equal(Socks4ReplyCode.RequestRejectedOrFailed, ex.Socks4ReplyCode);
        Assert.Null(ex.ReplyCode);
        Assert.Equal($"The SOCKS4 proxy {proxy.EndPoint} refused CONNECT to 127.0.0.1:8000: request rejected or failed (CD 91).", ex.Message);
        await server.AssertClientClosedAsync();
    });

    [Fact]
    public Task Socks4_reply_cut_off_is_connection_closed() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<Socks5Tunnel> connecting = proxy.Client(o => o.Protocol = ProxyProtocol.Socks4).ConnectAsync(Loop.At(8000));
        using FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync("04 01 1f 40 7f 00 00 01 00");
        await server.SendAsync("00 5a 00");
        server.ShutdownSend();

        Socks5Exception ex = await Assert.ThrowsAsync<Socks5Exception>(() => connecting);
        Assert.Equal(HandshakeFailure.ConnectionClosed, ex.Failure);
        Assert.Contains("closed the connection before its reply", ex.Message);
    });

    [Fact]
    public Task Socks4_cannot_carry_an_IPv6_destination_bind_or_udp() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Socks5Client client = proxy.Client(o => o.Protocol = ProxyProtocol.Socks4);
        await Assert.ThrowsAsync<ArgumentException>(() => client.ConnectAsync(new IPEndPoint(IPAddress.IPv6Loopback, 80)));
        await Assert.ThrowsAsync<NotSupportedException>(() => client.BindAsync());
        await Assert.ThrowsAsync<NotSupportedException>(() => client.AssociateUdpAsync());
        await Assert.ThrowsAsync<NotSupportedException>(() => client.ResolvePtrAsync(IPAddress.Loopback));
    });

    [Fact]
    public Task Http_connect_sends_basic_credentials_and_tunnels_after_the_head() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Socks5Client client = new(Socks5ClientOptions.FromUri(new Uri($"http://us%40er:p%3Ass@127.0.0.1:{proxy.EndPoint.Port}")));
        Task<Socks5Tunnel> connecting = client.ConnectAsync("example.test", 443);
        using FakeConnection server = await proxy.AcceptAsync();
        string credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes("us@er:p:ss"));
        Assert.Equal($"CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\nProxy-Authorization: Basic {credentials}\r\n\r\n", await ReadHeadAsync(server));
        await server.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 Connection established\r\n\r\nhi"));

        using Socks5Tunnel tunnel = await connecting;
        Assert.Equal("hi", Ascii(await Loop.ReadExactlyAsync(tunnel.Stream, 2)));
        Assert.Equal(new DnsEndPoint("example.test", 443), tunnel.Destination);
    });

    [Fact]
    public Task Http_connect_to_an_IPv6_literal_brackets_it() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<Socks5Tunnel> connecting = proxy.Client(o => o.Protocol = ProxyProtocol.HttpConnect).ConnectAsync(new IPEndPoint(IPAddress.IPv6Loopback, 8080));
        using FakeConnection server = await proxy.AcceptAsync();
        Assert.Equal("CONNECT [::1]:8080 HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", await ReadHeadAsync(server));
        await server.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.0 200 OK\r\n\r\n"));
        using Socks5Tunnel tunnel = await connecting;
    });

    [Fact]
    public Task Http_407_is_an_authentication_failure_with_the_status() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<Socks5Tunnel> connecting = proxy.Client(o => o.Protocol = ProxyProtocol.HttpConnect).ConnectAsync(Loop.At(8000));
        using FakeConnection server = await proxy.AcceptAsync();
        await ReadHeadAsync(server);
        await server.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n"));

        Socks5Exception ex = await Assert.ThrowsAsync<Socks5Exception>(() => connecting);
        Assert.Equal(HandshakeFailure.AuthenticationFailed, ex.Failure);
        Assert.Equal(407, ex.HttpStatusCode);
        Assert.Equal($"The HTTP proxy {proxy.EndPoint} wants credentials for CONNECT to 127.0.0.1:8000 or refused those sent (407 Proxy Authentication Required).", ex.Message);
        await server.AssertClientClosedAsync();
    });

    [Fact]
    public Task Http_response_head_too_large_is_refused_without_reading_it_all() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<Socks5Tunnel> connecting = proxy.Client(o => o.Protocol = ProxyProtocol.HttpConnect).ConnectAsync(Loop.At(8000));
        using FakeConnection server = await proxy.AcceptAsync();
        await ReadHeadAsync(server);
        await server.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nX: " + new string('a', HttpConnectResponse.DefaultMaxHeadLength)));

        Socks5Exception ex = await Assert.ThrowsAsync<Socks5Exception>(() => connecting);
        Assert.Equal(HandshakeFailure.MessageTooLong, ex.Failure);
        Assert.Contains("larger than 8192 bytes", ex.Message);
    });

    [Fact]
    public void Credentials_the_protocol_cannot_carry_are_refused_before_any_connection()
    {
        var proxy = new IPEndPoint(IPAddress.Loopback, 1);
        Assert.Throws<ArgumentException>(() => new Socks5Client(new Socks5ClientOptions(proxy) { Protocol = ProxyProtocol.HttpConnect, UserName = "a:b" }));
        Assert.Throws<ArgumentException>(() => new Socks5Client(new Socks5ClientOptions(proxy) { Protocol = ProxyProtocol.Socks4, UserName = "a\0b" }));
        Assert.Throws<ArgumentException>(() => new Socks5Client(new Socks5ClientOptions(proxy) { Protocol = ProxyProtocol.Socks4, UserName = new string('u', 256) }));
        _ = new Socks5Client(new Socks5ClientOptions(proxy) { Protocol = ProxyProtocol.Socks4, UserName = "bob" });
    }

    [Fact]
    public Task Http_proxy_cannot_bind_udp_or_resolve() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Socks5Client client = proxy.Client(o => o.Protocol = ProxyProtocol.HttpConnect);
        await Assert.ThrowsAsync<NotSupportedException>(() => client.BindAsync());
        await Assert.ThrowsAsync<NotSupportedException>(() => client.AssociateUdpAsync());
        await Assert.ThrowsAsync<NotSupportedException>(() => client.ResolveAsync("localhost"));
    });

    [Fact]
    public Task Resolve_sends_the_name_and_returns_bnd_addr() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        var resolver = new RecordingResolver(_ => throw new SocketException((int)SocketError.HostNotFound));
        Task<IPAddress> resolving = proxy.Client(o => { o.ResolveNamesLocally = true; o.Resolver = resolver.ResolveAsync; }).ResolveAsync("example.test");
        using FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync("05 01 00");
        await server.SendAsync("05 00");
        await server.ExpectAsync("05 f0 00 03 0c" + Hex.Format("example.test"u8) + "00 00");
        await server.SendAsync("05 00 00 01 7f 00 00 05 00 00");

        Assert.Equal(IPAddress.Parse("127.0.0.5"), await resolving);
        Assert.Empty(resolver.Asked);
        await server.AssertClientClosedAsync();
    });

    [Fact]
    public Task Resolve_ptr_sends_the_address_and_returns_the_name() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<string> resolving = proxy.Client().ResolvePtrAsync(IPAddress.Loopback);
        using FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync("05 01 00");
        await server.SendAsync("05 00");
        await server.ExpectAsync("05 f1 00 01 7f 00 00 01 00 00");
        await server.SendAsync("05 00 00 03 09" + Hex.Format("localhost"u8) + "00 00");

        Assert.Equal("localhost", await resolving);
    });

    [Fact]
    public Task Resolve_over_socks4a_returns_dstip() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<IPAddress> resolving = proxy.Client(o => o.Protocol = ProxyProtocol.Socks4).ResolveAsync("example.test");
        using FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync("04 f0 00 00 00 00 00 01 00" + Hex.Format("example.test"u8) + "00");
        await server.SendAsync("00 5a 00 00 7f 00 00 07");

        Assert.Equal(IPAddress.Parse("127.0.0.7"), await resolving);
    });

    [Theory]
    [InlineData("f0", "onion service descriptor can not be found")]
    [InlineData("f6", "onion service invalid address")]
    [InlineData("04", "host unreachable")]
    public Task Resolve_refusal_names_tor_s_extended_code(string code, string name) => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<IPAddress> resolving = proxy.Client().ResolveAsync("nowhere.onion");
        using FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync("05 01 00");
        await server.SendAsync("05 00");
        await server.ReadExactlyAsync(4 + 1 + 13 + 2);
        await server.SendAsync($"05 {code} 00 01 00 00 00 00 00 00");

        Socks5Exception ex = await Assert.ThrowsAsync<Socks5Exception>(() => resolving);
        Assert.Equal((ReplyCode)Convert.ToByte(code, 16), ex.ReplyCode);
        Assert.Equal($"The proxy {proxy.EndPoint} refused RESOLVE to nowhere.onion:0: {name} (REP 0x{code.ToUpperInvariant()}).", ex.Message);
    });

    [Fact]
    public Task Resolve_answered_with_a_name_is_refused() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<IPAddress> resolving = proxy.Client().ResolveAsync("example.test");
        using FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync("05 01 00");
        await server.SendAsync("05 00");
        await server.ReadExactlyAsync(4 + 1 + 12 + 2);
        await server.SendAsync("05 00 00 03 01 78 00 00");

        Socks5Exception ex = await Assert.ThrowsAsync<Socks5Exception>(() => resolving);
        Assert.Equal(new DnsEndPoint("x", 0), ex.BoundAddress);
    });
}
