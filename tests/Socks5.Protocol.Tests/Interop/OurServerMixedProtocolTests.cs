using System.Net;
using System.Net.Http;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Server;
using Socks5.Protocol.Tests.Server;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Interop;

/// <summary>
/// Real SOCKS4/4a and HTTP CONNECT clients on our server's one port: curl, ncat, PySocks, node <c>socks</c> and .NET's
/// HttpClient, each checking the body that arrived, and the server's report naming the protocol.
/// </summary>
public sealed class OurServerMixedProtocolTests : OurServerTest
{
    /// <summary>
    /// A server for SOCKS4 with a USERID: SOCKS4 has no password, so the validator accepts <see cref="OurServerTest.User"/>
    /// with an empty one (as the option documents); without <paramref name="userId"/> no credentials are required.
    /// </summary>
    private static TestServer StartSocks4Server(bool userId) => new(o =>
    {
        if (userId)
        {
            o.ValidateCredentials = (user, password, _) => ValueTask.FromResult(user == User && password.Length == 0);
        }
    });

    private static async Task AssertReportAsync(TestServer server, InboundProtocol protocol, string destination, string? user, int connections = 1)
    {
        Socks5ConnectionReport[] reports = await server.WaitForReportsAsync(connections);
        Assert.Equal(connections, reports.Length);
        Socks5ConnectionReport report = reports.FirstOrDefault(r => r.Succeeded) ?? reports[0];
        if (connections == 2)
        {
            // The first try, without credentials.
            Assert.Equal(HandshakeFailure.AuthenticationFailed, Assert.Single(reports, r => !r.Succeeded).Failure);
        }

        Assert.True(report.Succeeded, report.ToString());
        Assert.Equal(protocol, report.Protocol);
        Assert.Equal(Command.Connect, report.Command);
        Assert.Equal(destination, report.Destination);
        Assert.Equal(user, report.UserName);
        Assert.Equal(LoopbackTargets.HttpResponse.Length, report.BytesToClient);
    }

    [PeerTheory("curl", "curl")]
    [InlineData("socks4", false)]
    [InlineData("socks4", true)]
    [InlineData("socks4a", false)]
    [InlineData("socks4a", true)]
    public async Task Curl_Socks4(string scheme, bool userId)
    {
        using TestServer server = StartSocks4Server(userId);
        var proxy = new ProxyTarget(server.EndPoint4, userId ? User : null, userId ? "ignored" : null);
        // socks4a sends the name; socks4 resolves it itself, so it is given an address.
        ClientResult result = await Clients.CurlViaAsync(scheme, proxy, scheme == "socks4a" ? Targets.HttpUrlLocalhost : Targets.HttpUrl4);

        ClientAssert.Body(result);
        await AssertReportAsync(server, scheme == "socks4a" ? InboundProtocol.Socks4a : InboundProtocol.Socks4,
            scheme == "socks4a" ? $"localhost:{Targets.HttpPort}" : Http4Destination, userId ? User : null);
    }

    [PeerFact("curl", "curl")]
    public async Task Curl_Socks4_IsRefused_WhenUsersAreRequired()
    {
        TestServer server = StartServer(auth: true);
        ClientResult result = await Clients.CurlViaAsync("socks4", ProxyOf(server, auth: true), Targets.HttpUrl4);

        Assert.NotEqual(0, result.ExitCode);
        Socks5ConnectionReport report = await SingleReportAsync(server);
        Assert.Equal(InboundProtocol.Socks4, report.Protocol);
        Assert.Equal(HandshakeFailure.AuthenticationFailed, report.Failure);
    }

    [PeerTheory("curl", "curl")]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Curl_HttpConnect(bool auth, bool ipv6)
    {
        TestServer server = StartServer(auth);
        ClientResult result = await Clients.CurlViaAsync("http", ProxyOf(server, auth, ipv6), ipv6 ? Targets.HttpUrl6 : Targets.HttpUrl4);

        ClientAssert.Body(result);
        await AssertReportAsync(server, InboundProtocol.HttpConnect, ipv6 ? $"[::1]:{Targets.HttpPort}" : Http4Destination, auth ? User : null);
    }

    [PeerFact("curl", "curl")]
    public async Task Curl_HttpConnect_WrongPassword_Gets407()
    {
        TestServer server = StartServer(auth: true);
        ClientResult result = await Clients.CurlViaAsync("http", new ProxyTarget(server.EndPoint4, User, "wrong"), Targets.HttpUrl4);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("407", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(HandshakeFailure.AuthenticationFailed, (await SingleReportAsync(server)).Failure);
    }

    /// <summary>ncat's HTTP client sends its first CONNECT without credentials and, after the 407, a second on a new connection.</summary>
    [PeerTheory("ncat", "ncat")]
    [InlineData("socks4", false)]
    [InlineData("socks4", true)]
    [InlineData("http", false)]
    [InlineData("http", true)]
    public async Task Ncat_PipesHttpRequest(string proxyType, bool auth)
    {
        using TestServer server = proxyType == "socks4" ? StartSocks4Server(auth) : new TestServer(o =>
        {
            if (auth)
            {
                o.Users[User] = Password;
            }
        });
        ClientResult result = await Clients.NcatViaAsync(proxyType, ProxyOf(server, auth), Http4, LoopbackTargets.HttpRequest);

        ClientAssert.Body(result);
        await AssertReportAsync(server, proxyType == "socks4" ? InboundProtocol.Socks4 : InboundProtocol.HttpConnect, Http4Destination, auth ? User : null,
            proxyType == "http" && auth ? 2 : 1);
    }

    /// <summary>proxychains4 running curl, through a <c>socks4</c> line (no USERID) or an <c>http</c> line (with or without user and password).</summary>
    [PeerTheory("proxychains4", "proxychains4")]
    [InlineData("socks4", false)]
    [InlineData("http", false)]
    [InlineData("http", true)]
    public async Task Proxychains_Curl(string type, bool auth)
    {
        using TestServer server = type == "socks4" ? StartSocks4Server(userId: false) : new TestServer(o =>
        {
            if (auth)
            {
                o.Users[User] = Password;
            }
        });
        ClientResult result = await Clients.ProxychainsAsync(type, ProxyOf(server, auth), "curl", "-sS", "--max-time", "10", Targets.HttpUrl4);

        ClientAssert.Body(result);
        await AssertReportAsync(server, type == "socks4" ? InboundProtocol.Socks4 : InboundProtocol.HttpConnect, Http4Destination, auth ? User : null);
    }

    [PeerTheory("/usr/lib/python3/dist-packages/socks.py", "python3-socks")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PySocks_Socks4(bool userId)
    {
        using TestServer server = StartSocks4Server(userId);
        ClientResult result = await Clients.PySocks4ConnectAsync(ProxyOf(server, userId));

        ClientAssert.Ok(result, "CONNECT-OK");
        await AssertReportAsync(server, InboundProtocol.Socks4, Http4Destination, userId ? User : null);
    }

    [PeerTheory("/usr/lib/python3/dist-packages/socks.py", "python3-socks")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PySocks_HttpConnect(bool auth)
    {
        TestServer server = StartServer(auth);
        ClientResult result = await Clients.PySocksHttpConnectAsync(ProxyOf(server, auth));

        ClientAssert.Ok(result, "CONNECT-OK");
        await AssertReportAsync(server, InboundProtocol.HttpConnect, Http4Destination, auth ? User : null);
    }

    [PeerTheory("/usr/share/nodejs/socks", "node-socks")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task NodeSocks_Socks4(bool userId)
    {
        using TestServer server = StartSocks4Server(userId);
        ClientResult result = await Clients.NodeAsync("connect", ProxyOf(server, userId), socksVersion: 4);

        ClientAssert.Ok(result, "CONNECT-OK");
        await AssertReportAsync(server, InboundProtocol.Socks4, Http4Destination, userId ? User : null);
    }

    /// <summary>SocketsHttpHandler with a socks4:// or socks4a:// WebProxy.</summary>
    [Theory]
    [InlineData("socks4")]
    [InlineData("socks4a")]
    public async Task HttpClient_Socks4WebProxy(string scheme)
    {
        using TestServer server = StartSocks4Server(userId: false);
        using var handler = new SocketsHttpHandler { Proxy = new WebProxy(new Uri($"{scheme}://{server.EndPoint4}")), UseProxy = true };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        // .NET sends the name with socks4a and resolves it itself with socks4.
        string body = await client.GetStringAsync(scheme == "socks4a" ? Targets.HttpUrlLocalhost : Targets.HttpUrl4);

        Assert.Equal(LoopbackTargets.HttpBody, body);
        Socks5ConnectionReport report = Assert.Single(await server.WaitForReportsAsync(1));
        Assert.Equal(scheme == "socks4a" ? InboundProtocol.Socks4a : InboundProtocol.Socks4, report.Protocol);
        Assert.Equal(scheme == "socks4a" ? $"localhost:{Targets.HttpPort}" : Http4Destination, report.Destination);
    }

    /// <summary>
    /// An http:// WebProxy: .NET sends a plain-HTTP URL as a forward GET (CONNECT only for https and ws), which this
    /// server, not a forward proxy, answers 405.
    /// </summary>
    [Fact]
    public async Task HttpClient_HttpWebProxy_ForwardGet_Gets405()
    {
        TestServer server = StartServer(auth: false);
        using var handler = new SocketsHttpHandler { Proxy = new WebProxy(new Uri($"http://{server.EndPoint4}")), UseProxy = true };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        using HttpResponseMessage response = await client.GetAsync(Targets.HttpUrl4);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("CONNECT", response.Content.Headers.Allow);
        Assert.Equal(HandshakeFailure.CommandNotSupported, (await SingleReportAsync(server)).Failure);
    }
}
