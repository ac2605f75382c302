using Socks5.Protocol.Engine;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Tests.Client;
using Socks5.Protocol.Tests.Server;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Interop;

/// <summary>
/// The command-line clients served by our server: ncat, OpenBSD nc, connect-proxy (each piping an HTTP request into
/// the tunnel, so the bytes each way are known exactly), proxychains4 and dante's socksify running curl, and socksify
/// running <c>nc -u</c> for UDP ASSOCIATE.
/// </summary>
public sealed class OurServerToolTests : OurServerTest
{
    private static long RequestBytes => LoopbackTargets.HttpRequest.Length;

    [PeerTheory("ncat", "ncat")]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Ncat_PipesHttpRequest(bool auth, bool ipv6)
    {
        TestServer server = StartServer(auth);
        ClientResult result = await Clients.NcatAsync(ProxyOf(server, auth, ipv6), ipv6 ? Http6 : Http4, LoopbackTargets.HttpRequest);

        ClientAssert.Body(result);
        await AssertHttpTunnelAsync(server, ipv6 ? $"[::1]:{Targets.HttpPort}" : Http4Destination, auth, RequestBytes);
    }

    /// <summary>
    /// 1 MiB through the TCP echo target: ncat half-closes on stdin EOF, the server must pass that FIN on (the echo
    /// target closes only then) and still relay the rest of the echo back; every byte must come back in order.
    /// </summary>
    [PeerTheory("ncat", "ncat")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Ncat_EchoesOneMebibyte_ThroughHalfClose(bool auth)
    {
        var payload = new byte[1024 * 1024];
        new Random(1928).NextBytes(payload);
        TestServer server = StartServer(auth);
        ClientResult result = await Clients.NcatAsync(ProxyOf(server, auth), Targets.Echo4, payload);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(payload.AsSpan().SequenceEqual(result.Stdout), $"{result.Stdout.Length} bytes came back, not the {payload.Length} sent");
        AssertTunnel(await SingleReportAsync(server), Command.Connect, $"127.0.0.1:{Targets.EchoPort}", auth, payload.Length, payload.Length);
    }

    /// <summary><c>--proxy-dns remote</c>: the name reaches the server as ATYP 3 and is resolved there.</summary>
    [PeerTheory("ncat", "ncat")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Ncat_ProxyDnsRemote_SendsLocalhostByName(bool auth)
    {
        TestServer server = StartServer(auth);
        ClientResult result = await Clients.NcatAsync(ProxyOf(server, auth), "localhost", Targets.HttpPort, LoopbackTargets.HttpRequest, remoteDns: true);

        ClientAssert.Body(result);
        await AssertHttpTunnelAsync(server, $"localhost:{Targets.HttpPort}", auth, RequestBytes);
    }

    [PeerTheory("nc.openbsd", "netcat-openbsd")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task NetcatOpenBsd_PipesHttpRequest(bool ipv6)
    {
        TestServer server = StartServer(auth: false);
        ClientResult result = await Clients.NetcatAsync(ProxyOf(server, auth: false, ipv6), ipv6 ? Http6 : Http4, LoopbackTargets.HttpRequest);

        ClientAssert.Body(result);
        await AssertHttpTunnelAsync(server, ipv6 ? $"[::1]:{Targets.HttpPort}" : Http4Destination, auth: false, RequestBytes);
    }

    /// <summary>nc -X 5 has no username/password: it offers only X'00', which a server that wants credentials refuses with X'FF'.</summary>
    [PeerFact("nc.openbsd", "netcat-openbsd")]
    public async Task NetcatOpenBsd_AuthServer_RefusesNoAuth()
    {
        TestServer server = StartServer(auth: true);
        ClientResult result = await Clients.NetcatAsync(ProxyOf(server, auth: false), Http4, LoopbackTargets.HttpRequest);

        Assert.True(result.ExitCode != 0 && result.Stdout.Length == 0, result.ToString());
        Assert.Equal(HandshakeFailure.NoAcceptableMethod, (await SingleReportAsync(server)).Failure);
    }

    [PeerTheory("connect-proxy", "connect-proxy")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ConnectProxy_PipesHttpRequest(bool auth)
    {
        TestServer server = StartServer(auth);
        ClientResult result = await Clients.ConnectProxyAsync(ProxyOf(server, auth), Http4, LoopbackTargets.HttpRequest);

        ClientAssert.Body(result);
        await AssertHttpTunnelAsync(server, Http4Destination, auth, RequestBytes);
    }

    [PeerTheory("proxychains4", "proxychains4")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Proxychains_Curl(bool auth)
    {
        TestServer server = StartServer(auth);
        ClientResult result = await Clients.ProxychainsAsync(ProxyOf(server, auth), "curl", "-sS", "--max-time", "10", Targets.HttpUrl4);

        ClientAssert.Body(result);
        await AssertHttpTunnelAsync(server, Http4Destination, auth);
    }

    [PeerTheory("socksify", "dante-client")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Socksify_Curl(bool auth)
    {
        TestServer server = StartServer(auth);
        ClientResult result = await Clients.SocksifyAsync(ProxyOf(server, auth), null, "curl", "-sS", "--max-time", "10", Targets.HttpUrl4);

        ClientAssert.Body(result);
        await AssertHttpTunnelAsync(server, Http4Destination, auth);
    }

    [PeerTheory("socksify", "dante-client")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Socksify_UdpThroughNetcat(bool auth)
    {
        TestServer server = StartServer(auth);
        ClientResult result = await Clients.SocksifyAsync(
            ProxyOf(server, auth), "ping-udp"u8.ToArray(), "nc.openbsd", "-u", "-w", "2", "127.0.0.1", Targets.UdpEchoPort.ToString());

        Assert.True(result.StdoutText.Contains("echo:ping-udp", StringComparison.Ordinal), result.ToString());
        Socks5ConnectionReport report = await SingleReportAsync(server);
        // libdsocks names its own UDP socket (127.0.0.1:ephemeral) in the request, not the target nor 0.0.0.0:0.
        Assert.Matches(@"^127\.0\.0\.1:[1-9][0-9]*$", report.Destination);
        Assert.NotEqual($"127.0.0.1:{Targets.UdpEchoPort}", report.Destination);
        AssertTunnel(report, Command.UdpAssociate, report.Destination!, auth, "ping-udp".Length, "echo:ping-udp".Length);
    }
}
