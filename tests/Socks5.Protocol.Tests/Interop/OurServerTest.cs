using System.Net;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Tests.Client;
using Socks5.Protocol.Tests.Server;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Interop;

/// <summary>
/// Base of the tests that serve real SOCKS5 clients from the library's own <see cref="Socks5Server"/>, in process on
/// 127.0.0.1:0 and [::1]:0: one server per test (so its reports are that test's alone), without auth or with
/// <see cref="User"/>/<see cref="Password"/>. Each client run is bounded by <see cref="ClientProcess"/>'s timeout.
/// </summary>
public abstract class OurServerTest : IDisposable
{
    public const string User = Socks5PeerFixture.User;
    public const string Password = Socks5PeerFixture.Password;

    private readonly List<TestServer> _servers = [];

    protected OurServerTest()
    {
        WorkDir = Directory.CreateTempSubdirectory("socks5-interop-ourserver-").FullName;
        Clients = new ClientRunners(WorkDir, Targets);
    }

    /// <summary>The scripts' commands, each without and with auth.</summary>
    public static TheoryData<string, bool> ScriptCommands =>
        new() { { "connect", false }, { "bind", false }, { "udp", false }, { "connect", true }, { "bind", true }, { "udp", true } };

    protected static LoopbackTargets Targets => LoopbackTargets.Shared;

    protected static IPEndPoint Http4 => new(IPAddress.Loopback, Targets.HttpPort);

    protected static IPEndPoint Http6 => new(IPAddress.IPv6Loopback, Targets.HttpPort);

    /// <summary>"127.0.0.1:PORT", as the server's report writes the HTTP target.</summary>
    protected static string Http4Destination => $"127.0.0.1:{Targets.HttpPort}";

    protected string WorkDir { get; }

    protected ClientRunners Clients { get; }

    /// <summary>Starts a server (disposed with the test); with <paramref name="auth"/>, socksuser/sockspass is required.</summary>
    protected TestServer StartServer(bool auth)
    {
        var server = new TestServer(o =>
        {
            if (auth)
            {
                o.Users[User] = Password;
            }
        });
        _servers.Add(server);
        return server;
    }

    /// <summary>The server's IPv4 (or IPv6) listener, with the credentials when <paramref name="auth"/>.</summary>
    protected static ProxyTarget ProxyOf(TestServer server, bool auth, bool ipv6 = false) =>
        new(ipv6 ? server.EndPoint6 : server.EndPoint4, auth ? User : null, auth ? Password : null);

    /// <summary>The one report of the test's one connection, once it has closed.</summary>
    protected static async Task<Socks5ConnectionReport> SingleReportAsync(TestServer server)
    {
        Socks5ConnectionReport[] reports = await server.WaitForReportsAsync(1);
        return Assert.Single(reports);
    }

    /// <summary>
    /// Asserts a served tunnel's report: the command, DST as the client sent it, the user, success, and the bytes each
    /// way when the test knows them exactly (null: just more than none).
    /// </summary>
    protected static void AssertTunnel(
        Socks5ConnectionReport report, Command command, string destination, bool auth, long? fromClient, long? toClient)
    {
        Assert.True(report.Succeeded, report.ToString());
        Assert.Equal(command, report.Command);
        Assert.Equal(destination, report.Destination);
        Assert.Equal(auth ? User : null, report.UserName);
        AssertCount(fromClient, report.BytesFromClient, report);
        AssertCount(toClient, report.BytesToClient, report);
    }

    /// <summary>A CONNECT to the HTTP target: its whole response went to the client; the request size is the client's.</summary>
    protected static async Task AssertHttpTunnelAsync(TestServer server, string destination, bool auth, long? requestBytes = null) =>
        AssertTunnel(await SingleReportAsync(server), Command.Connect, destination, auth, requestBytes, LoopbackTargets.HttpResponse.Length);

    public void Dispose()
    {
        foreach (TestServer server in _servers)
        {
            server.Dispose();
        }

        Directory.Delete(WorkDir, recursive: true);
        GC.SuppressFinalize(this);
    }

    private static void AssertCount(long? expected, long actual, Socks5ConnectionReport report)
    {
        if (expected is { } exact)
        {
            Assert.True(exact == actual, $"expected {exact} bytes, got {actual}: {report}");
        }
        else
        {
            Assert.True(actual > 0, report.ToString());
        }
    }
}
