using Xunit;

namespace Socks5.Protocol.Tests.Interop;

/// <summary>
/// Proves each real-client runner works against danted (the same runners serve OurServer*Tests): every case checks what
/// came back through the tunnel (the HTTP target's body, or the script's own OK line after its own check).
/// </summary>
[Collection(DantedCollection.Name)]
public sealed class ClientRunnerTests(DantedFixture danted) : IDisposable
{
    private readonly string _workDir = Directory.CreateTempSubdirectory("socks5-interop-clients-").FullName;

    /// <summary>The scripts' commands, each without and with auth.</summary>
    public static TheoryData<string, bool> ScriptCommands =>
        new() { { "connect", false }, { "bind", false }, { "udp", false }, { "connect", true }, { "bind", true }, { "udp", true } };

    private ClientRunners Clients => new(_workDir, danted.Targets);

    private ProxyTarget Open => new(danted.Proxy4);

    private ProxyTarget Open6 => new(danted.Proxy6);

    private ProxyTarget Auth => new(danted.AuthProxy4, Socks5PeerFixture.User, Socks5PeerFixture.Password);

    public void Dispose() => Directory.Delete(_workDir, recursive: true);

    [PeerTheory("danted", "dante-server", "curl", "curl")]
    [InlineData("open", false)]
    [InlineData("open", true)]
    [InlineData("auth", false)]
    [InlineData("auth", true)]
    [InlineData("open6", true)]
    public async Task Curl_FetchesHttpBody(string proxy, bool remoteDns)
    {
        ProxyTarget target = proxy switch { "open" => Open, "auth" => Auth, _ => Open6 };
        string url = proxy == "open6" ? danted.Targets.HttpUrl6 : remoteDns ? danted.Targets.HttpUrlLocalhost : danted.Targets.HttpUrl4;
        ClientAssert.Body(await Clients.CurlAsync(target, url, remoteDns));
    }

    [PeerFact("danted", "dante-server", "curl", "curl")]
    public async Task Curl_WrongPassword_Fails97()
    {
        ClientResult result = await Clients.CurlAsync(Auth with { Password = "wrong" }, danted.Targets.HttpUrl4);
        Assert.Equal(97, result.ExitCode);
    }

    [PeerTheory("danted", "dante-server", "ncat", "ncat")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Ncat_PipesHttpRequest(bool auth) =>
        ClientAssert.Body(await Clients.NcatAsync(auth ? Auth : Open, HttpTarget, LoopbackTargets.HttpRequest));

    [PeerFact("danted", "dante-server", "nc.openbsd", "netcat-openbsd")]
    public async Task NetcatOpenBsd_PipesHttpRequest() =>
        ClientAssert.Body(await Clients.NetcatAsync(Open, HttpTarget, LoopbackTargets.HttpRequest));

    [PeerTheory("danted", "dante-server", "connect-proxy", "connect-proxy")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ConnectProxy_PipesHttpRequest(bool auth) =>
        ClientAssert.Body(await Clients.ConnectProxyAsync(auth ? Auth : Open, HttpTarget, LoopbackTargets.HttpRequest));

    [PeerTheory("danted", "dante-server", "proxychains4", "proxychains4")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Proxychains_Curl(bool auth) =>
        ClientAssert.Body(await Clients.ProxychainsAsync(auth ? Auth : Open, "curl", "-sS", "--max-time", "10", danted.Targets.HttpUrl4));

    [PeerTheory("danted", "dante-server", "socksify", "dante-client")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Socksify_Curl(bool auth) =>
        ClientAssert.Body(await Clients.SocksifyAsync(auth ? Auth : Open, null, "curl", "-sS", "--max-time", "10", danted.Targets.HttpUrl4));

    [PeerFact("danted", "dante-server", "socksify", "dante-client")]
    public async Task Socksify_UdpThroughNetcat()
    {
        ClientResult result = await Clients.SocksifyAsync(
            Open, "ping-udp"u8.ToArray(), "nc.openbsd", "-u", "-w", "2", "127.0.0.1", danted.Targets.UdpEchoPort.ToString());
        Assert.True(result.StdoutText.Contains("echo:ping-udp", StringComparison.Ordinal), result.ToString());
    }

    [PeerTheory("danted", "dante-server", "/usr/lib/python3/dist-packages/socks.py", "python3-socks")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PySocks_ConnectAndUdp(bool auth)
    {
        ProxyTarget proxy = auth ? Auth : Open;
        ClientAssert.Ok(await Clients.PySocksConnectAsync(proxy), "CONNECT-OK");
        ClientAssert.Ok(await Clients.PySocksUdpAsync(proxy), "UDP-OK");
    }

    [PeerTheory("danted", "dante-server", "/usr/lib/python3/dist-packages/python_socks", "python3-python-socks")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PythonSocks_Connect(bool auth) => ClientAssert.Ok(await Clients.PythonSocksConnectAsync(auth ? Auth : Open), "CONNECT-OK");

    [PeerTheory("danted", "dante-server", "/usr/lib/python3/dist-packages/socksio", "python3-socksio")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Socksio_Connect(bool auth) => ClientAssert.Ok(await Clients.SocksioConnectAsync(auth ? Auth : Open), "CONNECT-OK");

    [PeerTheory("danted", "dante-server", "/usr/share/perl5/IO/Socket/Socks.pm", "libio-socket-socks-perl")]
    [MemberData(nameof(ScriptCommands))]
    public async Task PerlIoSocketSocks(string command, bool auth) =>
        ClientAssert.Ok(await Clients.PerlAsync(command, auth ? Auth : Open), command.ToUpperInvariant() + "-OK");

    [PeerTheory("danted", "dante-server", "/usr/share/nodejs/socks", "node-socks")]
    [MemberData(nameof(ScriptCommands))]
    public async Task NodeSocks(string command, bool auth) =>
        ClientAssert.Ok(await Clients.NodeAsync(command, auth ? Auth : Open), command.ToUpperInvariant() + "-OK");

    private System.Net.IPEndPoint HttpTarget => new(System.Net.IPAddress.Loopback, danted.Targets.HttpPort);
}
