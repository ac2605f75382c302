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
/// Client libraries served by our server, through the scripts in Interop/Clients (each checks the bytes itself and
/// prints its OK line): PySocks (CONNECT, UDP), python-socks, socksio, Perl IO::Socket::Socks and node <c>socks</c>
/// (CONNECT, BIND, UDP ASSOCIATE, also over the [::1] listener). The server's report pins what each library put on the
/// wire and the bytes relayed each way.
/// </summary>
public sealed class OurServerLibraryTests : OurServerTest
{
    private const string Pysocks = "/usr/lib/python3/dist-packages/socks.py";
    private const string PythonSocks = "/usr/lib/python3/dist-packages/python_socks";
    private const string Socksio = "/usr/lib/python3/dist-packages/socksio";
    private const string PerlSocks = "/usr/share/perl5/IO/Socket/Socks.pm";
    private const string NodeSocksModule = "/usr/share/nodejs/socks";

    // The scripts' payloads: a BIND binder sends "hello-from-binder" and its peer "hello-from-peer"; UDP is "ping-udp" out, "echo:ping-udp" back.
    private const int BinderBytes = 17;
    private const int BindPeerBytes = 15;
    private const int UdpOut = 8;
    private const int UdpBack = 13;

    [PeerTheory(Pysocks, "python3-socks")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PySocks_Connect(bool auth)
    {
        TestServer server = StartServer(auth);
        ClientAssert.Ok(await Clients.PySocksConnectAsync(ProxyOf(server, auth)), "CONNECT-OK");
        await AssertHttpTunnelAsync(server, Http4Destination, auth, LoopbackTargets.HttpRequest.Length);
    }

    /// <summary>PySocks names its real UDP port, with address 0.0.0.0, in the UDP ASSOCIATE request.</summary>
    [PeerTheory(Pysocks, "python3-socks")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PySocks_Udp(bool auth)
    {
        TestServer server = StartServer(auth);
        ClientAssert.Ok(await Clients.PySocksUdpAsync(ProxyOf(server, auth)), "UDP-OK");

        Socks5ConnectionReport report = await SingleReportAsync(server);
        Assert.Matches(@"^0\.0\.0\.0:[1-9][0-9]*$", report.Destination);
        AssertTunnel(report, Command.UdpAssociate, report.Destination!, auth, UdpOut, UdpBack);
    }

    [PeerTheory(PythonSocks, "python3-python-socks")]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task PythonSocks_Connect(bool auth, bool ipv6Proxy)
    {
        TestServer server = StartServer(auth);
        ClientAssert.Ok(await Clients.PythonSocksConnectAsync(ProxyOf(server, auth, ipv6Proxy)), "CONNECT-OK");
        await AssertHttpTunnelAsync(server, Http4Destination, auth, LoopbackTargets.HttpRequest.Length);
    }

    [PeerTheory(Socksio, "python3-socksio")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Socksio_Connect(bool auth)
    {
        TestServer server = StartServer(auth);
        ClientAssert.Ok(await Clients.SocksioConnectAsync(ProxyOf(server, auth)), "CONNECT-OK");
        await AssertHttpTunnelAsync(server, Http4Destination, auth, LoopbackTargets.HttpRequest.Length);
    }

    /// <summary>BIND asks for 127.0.0.1:0 (the script's BindAddr); UDP names 0.0.0.0:0 (UdpAddr/UdpPort).</summary>
    [PeerTheory(PerlSocks, "libio-socket-socks-perl")]
    [MemberData(nameof(ScriptCommands))]
    public async Task PerlIoSocketSocks(string command, bool auth)
    {
        TestServer server = StartServer(auth);
        ClientAssert.Ok(await Clients.PerlAsync(command, ProxyOf(server, auth)), command.ToUpperInvariant() + "-OK");
        await AssertScriptTunnelAsync(server, command, auth, ClientRunners.PerlBindRequest(System.Net.Sockets.AddressFamily.InterNetwork).ToString());
    }

    /// <summary>Over the [::1] listener: CONNECT (to 127.0.0.1), BIND (listener on ::1, DST [::1]:0), UDP ASSOCIATE (relay on ::1).</summary>
    [PeerTheory(PerlSocks, "libio-socket-socks-perl")]
    [InlineData("connect", false)]
    [InlineData("bind", false)]
    [InlineData("udp", true)]
    public async Task PerlIoSocketSocks_OverIpv6Listener(string command, bool auth)
    {
        TestServer server = StartServer(auth);
        AssertOverIpv6Listener(command, await Clients.PerlAsync(command, ProxyOf(server, auth, ipv6: true)));
        // IO::Socket::Socks sends an IPv6 BindAddr as a domain name (ATYP 3 "::1"), which the server reports as given.
        await AssertScriptTunnelAsync(server, command, auth, "::1:0");
    }

    /// <summary>BIND and UDP both name 0.0.0.0:0.</summary>
    [PeerTheory("node", "nodejs", NodeSocksModule, "node-socks")]
    [MemberData(nameof(ScriptCommands))]
    public async Task NodeSocks(string command, bool auth)
    {
        TestServer server = StartServer(auth);
        ClientAssert.Ok(await Clients.NodeAsync(command, ProxyOf(server, auth)), command.ToUpperInvariant() + "-OK");
        await AssertScriptTunnelAsync(server, command, auth, ClientRunners.NodeBindRequest.ToString());
    }

    /// <summary>
    /// Over the [::1] listener: CONNECT (to 127.0.0.1); BIND, whose listener is then on ::1 and named with ATYP 4; UDP
    /// ASSOCIATE, whose relay is then on ::1 (the script sends from an IPv6 socket to the IPv4 echo through it).
    /// </summary>
    [PeerTheory("node", "nodejs", NodeSocksModule, "node-socks")]
    [InlineData("connect", false)]
    [InlineData("bind", false)]
    [InlineData("bind", true)]
    [InlineData("udp", false)]
    public async Task NodeSocks_OverIpv6Listener(string command, bool auth)
    {
        TestServer server = StartServer(auth);
        AssertOverIpv6Listener(command, await Clients.NodeAsync(command, ProxyOf(server, auth, ipv6: true)));
        await AssertScriptTunnelAsync(server, command, auth, ClientRunners.NodeBindRequest.ToString());
    }

    /// <summary>The script's OK line, and for BIND and UDP that the reply named the ::1 listener or relay.</summary>
    private static void AssertOverIpv6Listener(string command, ClientResult result)
    {
        ClientAssert.Ok(result, command.ToUpperInvariant() + "-OK");
        if (command != "connect")
        {
            Assert.Contains(command == "bind" ? "first reply: ::1 " : "relay: ::1 ", result.StdoutText, StringComparison.Ordinal);
        }
    }

    private static async Task AssertScriptTunnelAsync(TestServer server, string command, bool auth, string bindDestination)
    {
        Socks5ConnectionReport report = await SingleReportAsync(server);
        switch (command)
        {
            case "connect":
                AssertTunnel(report, Command.Connect, Http4Destination, auth, LoopbackTargets.HttpRequest.Length, LoopbackTargets.HttpResponse.Length);
                break;
            case "bind":
                AssertTunnel(report, Command.Bind, bindDestination, auth, BinderBytes, BindPeerBytes);
                break;
            default:
                AssertTunnel(report, Command.UdpAssociate, "0.0.0.0:0", auth, UdpOut, UdpBack);
                break;
        }
    }
}
