using System.Net;
using System.Net.Http;
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
/// curl and .NET's own HttpClient, fetching the HTTP target through our server: the body that arrived, and the server's
/// report (CONNECT, DST as sent, user, the whole HTTP response relayed).
/// </summary>
public sealed class OurServerHttpTests : OurServerTest
{
    /// <summary>proxy family, target ("4", "6", "localhost"), socks5h, auth.</summary>
    public static TheoryData<string, string, bool, bool> CurlCases
    {
        get
        {
            var data = new TheoryData<string, string, bool, bool>();
            foreach (bool auth in new[] { false, true })
            {
                foreach (bool remoteDns in new[] { false, true })
                {
                    data.Add("4", "4", remoteDns, auth);
                    data.Add("6", "6", remoteDns, auth);
                    data.Add("4", "localhost", remoteDns, auth);
                }
            }

            data.Add("4", "6", false, false);
            data.Add("6", "4", true, false);
            return data;
        }
    }

    [PeerTheory("curl", "curl")]
    [MemberData(nameof(CurlCases))]
    public async Task Curl_FetchesHttpBody(string proxyFamily, string target, bool remoteDns, bool auth)
    {
        TestServer server = StartServer(auth);
        ClientResult result = await Clients.CurlAsync(ProxyOf(server, auth, proxyFamily == "6"), Url(target), remoteDns);

        ClientAssert.Body(result);
        // socks5h sends localhost as ATYP 3; socks5 resolves it first, so the server sees an address (either family).
        string v4 = Http4Destination, v6 = $"[::1]:{Targets.HttpPort}", name = $"localhost:{Targets.HttpPort}";
        string[] expected = target switch { "4" => [v4], "6" => [v6], _ when remoteDns => [name], _ => [v4, v6] };
        Socks5ConnectionReport report = await SingleReportAsync(server);
        Assert.Contains(report.Destination, expected);
        string destination = report.Destination!;
        AssertTunnel(report, Command.Connect, destination, auth, null, LoopbackTargets.HttpResponse.Length);
    }

    [PeerTheory("curl", "curl")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Curl_WrongPassword_Exit97(bool remoteDns)
    {
        TestServer server = StartServer(auth: true);
        ClientResult result = await Clients.CurlAsync(ProxyOf(server, auth: true) with { Password = "wrong" }, Targets.HttpUrl4, remoteDns);

        Assert.True(result.ExitCode == 97, result.ToString());
        Socks5ConnectionReport report = await SingleReportAsync(server);
        Assert.Equal(HandshakeFailure.AuthenticationFailed, report.Failure);
        Assert.Null(report.UserName); // only an authenticated user is reported
        Assert.Null(report.Command);
    }

    /// <summary>curl with credentials offers {00,02}; a server without users picks X'00' and never asks for them.</summary>
    [PeerFact("curl", "curl")]
    public async Task Curl_CredentialsToOpenServer_NoAuthChosen()
    {
        TestServer server = StartServer(auth: false);
        ClientAssert.Body(await Clients.CurlAsync(ProxyOf(server, auth: true), Targets.HttpUrl4));
        await AssertHttpTunnelAsync(server, Http4Destination, auth: false);
    }

    [PeerFact("curl", "curl")]
    public async Task Curl_NoCredentialsForAuthServer_Exit97()
    {
        TestServer server = StartServer(auth: true);
        ClientResult result = await Clients.CurlAsync(ProxyOf(server, auth: false), Targets.HttpUrl4);

        Assert.True(result.ExitCode == 97, result.ToString());
        Assert.Equal(HandshakeFailure.NoAcceptableMethod, (await SingleReportAsync(server)).Failure);
    }

    /// <summary>SocketsHttpHandler with a socks5:// WebProxy; credentials through NetworkCredential (it then offers {00,02}).</summary>
    [Theory]
    [InlineData("4", "4", false)]
    [InlineData("4", "4", true)]
    [InlineData("6", "6", false)]
    [InlineData("6", "6", true)]
    [InlineData("4", "localhost", false)]
    [InlineData("4", "localhost", true)]
    public async Task HttpClient_Socks5WebProxy(string proxyFamily, string target, bool auth)
    {
        TestServer server = StartServer(auth);
        string body = await GetWithHttpClientAsync(ProxyOf(server, auth, proxyFamily == "6"));

        Assert.Equal(LoopbackTargets.HttpBody, body);
        // .NET sends host names as ATYP 3: localhost arrives as a name, not an address.
        string destination = target switch { "4" => Http4Destination, "6" => $"[::1]:{Targets.HttpPort}", _ => $"localhost:{Targets.HttpPort}" };
        await AssertHttpTunnelAsync(server, destination, auth);

        async Task<string> GetWithHttpClientAsync(ProxyTarget proxy)
        {
            var webProxy = new WebProxy(new Uri($"socks5://{proxy.HostPort}"));
            if (proxy.User is not null)
            {
                webProxy.Credentials = new NetworkCredential(proxy.User, proxy.Password);
            }

            using var handler = new SocketsHttpHandler { Proxy = webProxy, UseProxy = true, ConnectTimeout = TimeSpan.FromSeconds(10) };
            using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
            return await client.GetStringAsync(Url(target));
        }
    }

    [Fact]
    public async Task HttpClient_WrongPassword_Throws()
    {
        TestServer server = StartServer(auth: true);
        var webProxy = new WebProxy(new Uri($"socks5://{ProxyOf(server, auth: true).HostPort}"))
        {
            Credentials = new NetworkCredential(User, "wrong"),
        };
        using var handler = new SocketsHttpHandler { Proxy = webProxy, UseProxy = true };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync(Targets.HttpUrl4));
        Assert.Equal(HandshakeFailure.AuthenticationFailed, (await SingleReportAsync(server)).Failure);
    }

    private static string Url(string target) => target switch
    {
        "4" => Targets.HttpUrl4,
        "6" => Targets.HttpUrl6,
        _ => Targets.HttpUrlLocalhost,
    };
}
