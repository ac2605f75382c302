using System.Net;
using System.Net.Sockets;
using System.Text;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Server;
using Socks5.Protocol.Tests.Interop;
using Socks5.Protocol.Wire;
using Xunit;
using static Socks5.Protocol.Tests.Server.ServerDefectTests;

namespace Socks5.Protocol.Tests.Server;

/// <summary>
/// SOCKS4, SOCKS4a and HTTP CONNECT on the SOCKS5 port, driven by raw bytes. Destinations other than loopback are only
/// handed to a recording dialer or a fake resolver: nothing here sends a packet beyond loopback.
/// </summary>
public class MixedProtocolTests
{
    private static readonly LoopbackTargets Targets = LoopbackTargets.Shared;

    private static CancellationToken Timeout(int seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    internal static byte[] Socks4Connect(IPAddress address, int port, string userId) =>
        [4, 1, (byte)(port >> 8), (byte)port, .. address.GetAddressBytes(), .. Encoding.ASCII.GetBytes(userId), 0];

    internal static byte[] Socks4aConnect(string host, int port, string userId) =>
        [4, 1, (byte)(port >> 8), (byte)port, 0, 0, 0, 1, .. Encoding.ASCII.GetBytes(userId), 0, .. Encoding.ASCII.GetBytes(host), 0];

    internal static byte[] HttpConnect(string authority, string? basic = null, string extra = "") => Encoding.ASCII.GetBytes(
        $"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n"
        + (basic is null ? "" : $"Proxy-Authorization: Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes(basic))}\r\n")
        + "\r\n" + extra);

    internal static async Task<Socket> OpenAsync(IPEndPoint server, byte[] first, CancellationToken ct)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server, ct);
        await socket.SendAsync(first, SocketFlags.None, ct);
        return socket;
    }

    internal static async Task<byte[]> ReadExactlyAsync(Socket socket, int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, ct);
            if (n == 0)
            {
                throw new EndOfStreamException($"Closed after {read} of {count} bytes.");
            }
            read += n;
        }
        return buffer;
    }

    /// <summary>An HTTP response head, read a byte at a time so that no tunnel byte after it is taken.</summary>
    internal static async Task<string> ReadHeadAsync(Socket socket, CancellationToken ct)
    {
        var head = new List<byte>();
        while (head.Count < 4 || !(head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            head.Add((await ReadExactlyAsync(socket, 1, ct))[0]);
        }
        return Encoding.ASCII.GetString(head.ToArray());
    }

    private static async Task AssertEchoAsync(Socket socket, string text, CancellationToken ct)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(text);
        await socket.SendAsync(bytes, SocketFlags.None, ct);
        Assert.Equal(text, Encoding.ASCII.GetString(await ReadExactlyAsync(socket, bytes.Length, ct)));
    }

    [Fact]
    public async Task Socks4_connect_is_granted_and_relayed()
    {
        using var server = new TestServer();
        using Socket client = await OpenAsync(server.EndPoint4, Socks4Connect(IPAddress.Loopback, Targets.EchoPort, "bob"), Timeout());
        byte[] reply = await ReadExactlyAsync(client, 8, Timeout());
        Assert.Equal(0, reply[0]);
        Assert.Equal(90, reply[1]);
        await AssertEchoAsync(client, "hello over socks4", Timeout());
        client.Shutdown(SocketShutdown.Send);
        Assert.True(await IsClosedAsync(client, Timeout()));
        Socks5ConnectionReport report = (await server.WaitForReportsAsync(1)).Single();
        Assert.Equal(InboundProtocol.Socks4, report.Protocol);
        Assert.Equal(Command.Connect, report.Command);
        Assert.Equal(ReplyCode.Succeeded, report.ReplyCode);
        Assert.Equal($"127.0.0.1:{Targets.EchoPort}", report.Destination);
        Assert.Null(report.UserName); // a USERID is not an authenticated user
    }

    [Fact]
    public async Task Socks4a_names_the_target_and_the_server_resolves_it()
    {
        var asked = new List<string>();
        Socks5AccessRequest? seen = null;
        using var server = new TestServer(o =>
        {
            o.Resolver = (host, _) =>
            {
                asked.Add(host);
                return ValueTask.FromResult(new[] { IPAddress.Loopback });
            };
            o.AccessRule = (request, _) =>
            {
                seen = request;
                return ValueTask.FromResult(true);
            };
        });
        using Socket client = await OpenAsync(server.EndPoint4, Socks4aConnect("echo.test", Targets.EchoPort, ""), Timeout());
        byte[] reply = await ReadExactlyAsync(client, 8, Timeout());
        Assert.Equal(90, reply[1]);
        await AssertEchoAsync(client, "hello over socks4a", Timeout());
        Assert.Equal(["echo.test"], asked);
        Assert.Equal(InboundProtocol.Socks4a, seen!.Protocol);
        Assert.Equal("echo.test", seen.RequestedHost);
    }

    [Fact]
    public async Task Socks4_is_refused_with_91_when_the_server_requires_users()
    {
        var dialer = new DialRecorder();
        using var server = new TestServer(o =>
        {
            o.Users["alice"] = "secret";
            o.Dialer = dialer.DialAsync;
        });
        using Socket client = await OpenAsync(server.EndPoint4, Socks4Connect(IPAddress.Loopback, Targets.EchoPort, "alice"), Timeout());
        byte[] reply = await ReadExactlyAsync(client, 8, Timeout());
        Assert.Equal(91, reply[1]);
        Assert.True(await IsClosedAsync(client, Timeout()));
        Assert.Empty(dialer.Dialed);
        Socks5ConnectionReport report = (await server.WaitForReportsAsync(1)).Single();
        Assert.Equal(HandshakeFailure.AuthenticationFailed, report.Failure);
    }

    [Theory]
    [InlineData("alice", 90)]
    [InlineData("mallory", 91)]
    [InlineData("", 91)]
    public async Task Socks4_userid_goes_to_the_validator_with_an_empty_password(string userId, int expected)
    {
        using var server = new TestServer(o => o.ValidateCredentials = (user, password, _) => ValueTask.FromResult(user == "alice" && password.Length == 0));
        using Socket client = await OpenAsync(server.EndPoint4, Socks4Connect(IPAddress.Loopback, Targets.EchoPort, userId), Timeout());
        byte[] reply = await ReadExactlyAsync(client, 8, Timeout());
        Assert.Equal(expected, reply[1]);
        if (expected == 90)
        {
            await AssertEchoAsync(client, "validated", Timeout());
            client.Shutdown(SocketShutdown.Send);
            Assert.True(await IsClosedAsync(client, Timeout()));
            Assert.Equal("alice", (await server.WaitForReportsAsync(1)).Single().UserName);
        }
    }

    [Fact]
    public async Task Socks4_bind_is_answered_91()
    {
        using var server = new TestServer();
        byte[] request = Socks4Connect(IPAddress.Loopback, Targets.EchoPort, "");
        request[1] = 2; // BIND
        using Socket client = await OpenAsync(server.EndPoint4, request, Timeout());
        Assert.Equal(91, (await ReadExactlyAsync(client, 8, Timeout()))[1]);
        Assert.True(await IsClosedAsync(client, Timeout()));
    }

    [Fact]
    public async Task Http_connect_gets_200_and_bytes_sent_with_the_head_reach_the_target()
    {
        using var server = new TestServer();
        using Socket client = await OpenAsync(server.EndPoint4, HttpConnect($"127.0.0.1:{Targets.EchoPort}", extra: "early bytes"), Timeout());
        Assert.Equal("HTTP/1.1 200 Connection established\r\n\r\n", await ReadHeadAsync(client, Timeout()));
        Assert.Equal("early bytes", Encoding.ASCII.GetString(await ReadExactlyAsync(client, 11, Timeout())));
        await AssertEchoAsync(client, " and later ones", Timeout());
        client.Shutdown(SocketShutdown.Send);
        Assert.True(await IsClosedAsync(client, Timeout()));
        Socks5ConnectionReport report = (await server.WaitForReportsAsync(1)).Single();
        Assert.Equal(InboundProtocol.HttpConnect, report.Protocol);
        Assert.Equal(Command.Connect, report.Command);
        Assert.Equal(26, report.BytesFromClient);
    }

    [Fact]
    public async Task Http_connect_to_an_ipv6_literal_and_a_name()
    {
        using var server = new TestServer(o => o.Resolver = (_, _) => ValueTask.FromResult(new[] { IPAddress.IPv6Loopback }));
        foreach (string authority in new[] { $"[::1]:{Targets.EchoPort}", $"echo.test:{Targets.EchoPort}" })
        {
            using Socket client = await OpenAsync(server.EndPoint6, HttpConnect(authority), Timeout());
            Assert.StartsWith("HTTP/1.1 200 ", await ReadHeadAsync(client, Timeout()));
            await AssertEchoAsync(client, authority, Timeout());
        }
    }

    [Theory]
    [InlineData(null, 407)]
    [InlineData("alice:wrong", 407)]
    [InlineData("bob:secret", 407)]
    [InlineData("alice:secret", 200)]
    public async Task Http_connect_checks_proxy_authorization_against_the_users(string? basic, int expected)
    {
        using var server = new TestServer(o => o.Users["alice"] = "secret");
        using Socket client = await OpenAsync(server.EndPoint4, HttpConnect($"127.0.0.1:{Targets.EchoPort}", basic), Timeout());
        string head = await ReadHeadAsync(client, Timeout());
        Assert.StartsWith($"HTTP/1.1 {expected} ", head);
        if (expected == 407)
        {
            Assert.Contains("\r\nProxy-Authenticate: Basic realm=\"proxy\"\r\n", head);
        }
        else
        {
            await AssertEchoAsync(client, "authorized", Timeout());
            client.Shutdown(SocketShutdown.Send);
            Assert.True(await IsClosedAsync(client, Timeout()));
            Assert.Equal("alice", (await server.WaitForReportsAsync(1)).Single().UserName);
        }
    }

    [Fact]
    public async Task After_a_407_the_client_may_try_again_on_the_same_connection()
    {
        using var server = new TestServer(o => o.Users["alice"] = "secret");
        string authority = $"127.0.0.1:{Targets.EchoPort}";
        using Socket client = await OpenAsync(server.EndPoint4, HttpConnect(authority), Timeout());
        Assert.StartsWith("HTTP/1.1 407 ", await ReadHeadAsync(client, Timeout()));
        await client.SendAsync(HttpConnect(authority, "alice:secret"), SocketFlags.None, Timeout());
        Assert.StartsWith("HTTP/1.1 200 ", await ReadHeadAsync(client, Timeout()));
        await AssertEchoAsync(client, "second try", Timeout());
    }

    [Theory]
    [InlineData("GET http://127.0.0.1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")]
    public async Task Any_other_method_gets_405_with_allow_connect(string request)
    {
        var dialer = new DialRecorder();
        using var server = new TestServer(o => o.Dialer = dialer.DialAsync);
        using Socket client = await OpenAsync(server.EndPoint4, Encoding.ASCII.GetBytes(request), Timeout());
        string head = await ReadHeadAsync(client, Timeout());
        Assert.StartsWith("HTTP/1.1 405 ", head);
        Assert.Contains("\r\nAllow: CONNECT\r\n", head);
        Assert.True(await IsClosedAsync(client, Timeout()));
        Assert.Empty(dialer.Dialed);
    }

    [Theory]
    [InlineData("10.0.0.1:443")]
    [InlineData("[fd00::1]:443")]
    [InlineData("private.test:443")]
    public async Task Http_connect_to_an_egress_denied_target_gets_403_and_dials_nothing(string authority)
    {
        var dialer = new DialRecorder();
        using var server = new TestServer(o =>
        {
            o.Egress.DenyPrivate = true;
            o.Dialer = dialer.DialAsync;
            o.Resolver = (_, _) => ValueTask.FromResult(new[] { IPAddress.Parse("10.9.9.9") });
        });
        using Socket client = await OpenAsync(server.EndPoint4, HttpConnect(authority), Timeout());
        Assert.StartsWith("HTTP/1.1 403 ", await ReadHeadAsync(client, Timeout()));
        Assert.True(await IsClosedAsync(client, Timeout()));
        Assert.Empty(dialer.Dialed);
        Assert.Equal(ReplyCode.ConnectionNotAllowed, (await server.WaitForReportsAsync(1)).Single().ReplyCode);
    }

    [Fact]
    public async Task Http_connect_to_a_refusing_target_gets_502()
    {
        var dialer = new DialRecorder(); // answers every dial with "connection refused"
        using var server = new TestServer(o => o.Dialer = dialer.DialAsync);
        using Socket client = await OpenAsync(server.EndPoint4, HttpConnect("198.51.100.7:443"), Timeout());
        Assert.StartsWith("HTTP/1.1 502 ", await ReadHeadAsync(client, Timeout()));
        Assert.Equal([new IPEndPoint(IPAddress.Parse("198.51.100.7"), 443)], dialer.Dialed);
    }

    [Fact]
    public async Task Http_connect_past_the_connect_timeout_gets_504()
    {
        using var server = new TestServer(o =>
        {
            o.ConnectTimeout = TimeSpan.FromMilliseconds(100);
            o.Dialer = async (_, ct) =>
            {
                await Task.Delay(System.Threading.Timeout.Infinite, ct);
                throw new InvalidOperationException("unreachable");
            };
        });
        using Socket client = await OpenAsync(server.EndPoint4, HttpConnect("198.51.100.7:443"), Timeout());
        Assert.StartsWith("HTTP/1.1 504 ", await ReadHeadAsync(client, Timeout()));
    }

    [Fact]
    public async Task A_head_over_8_KiB_gets_431()
    {
        using var server = new TestServer();
        byte[] request = Encoding.ASCII.GetBytes($"CONNECT 127.0.0.1:{Targets.EchoPort} HTTP/1.1\r\nHost: x\r\nX-Pad: {new string('a', 9000)}\r\n\r\n");
        using Socket client = await OpenAsync(server.EndPoint4, request, Timeout());
        Assert.StartsWith("HTTP/1.1 431 ", await ReadHeadAsync(client, Timeout()));
        Socks5ConnectionReport report = (await server.WaitForReportsAsync(1)).Single();
        Assert.Equal(HandshakeFailure.MessageTooLong, report.Failure);
    }

    [Fact]
    public async Task A_malformed_head_gets_400()
    {
        using var server = new TestServer();
        using Socket client = await OpenAsync(server.EndPoint4, Encoding.ASCII.GetBytes("CONNECT nowhere HTTP/1.1\r\nHost: x\r\n\r\n"), Timeout());
        Assert.StartsWith("HTTP/1.1 400 ", await ReadHeadAsync(client, Timeout()));
    }

    [Fact]
    public async Task Disabled_protocols_are_closed_without_a_reply()
    {
        var dialer = new DialRecorder();
        using var server = new TestServer(o =>
        {
            o.EnableSocks4 = false;
            o.EnableHttpConnect = false;
            o.Dialer = dialer.DialAsync;
        });
        foreach (byte[] request in new[] { Socks4Connect(IPAddress.Loopback, Targets.EchoPort, ""), HttpConnect($"127.0.0.1:{Targets.EchoPort}") })
        {
            using Socket client = await OpenAsync(server.EndPoint4, request, Timeout());
            Assert.True(await IsClosedAsync(client, Timeout())); // EOF, not a byte of reply
        }

        Assert.Empty(dialer.Dialed);
    }

    [Fact]
    public async Task Socks5_is_served_beside_them()
    {
        using var server = new TestServer();
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo reply = await client.ConnectAndAssertEchoAsync(Targets.Echo4, Timeout());
        Assert.Equal(ReplyCode.Succeeded, reply.ReplyCode);
    }

    [Fact]
    public async Task A_user_over_its_connection_limit_gets_403()
    {
        using var server = new TestServer(o =>
        {
            o.Users["alice"] = "secret";
            o.MaxConnectionsPerUser = 1;
        });
        string authority = $"127.0.0.1:{Targets.EchoPort}";
        using Socket first = await OpenAsync(server.EndPoint4, HttpConnect(authority, "alice:secret"), Timeout());
        Assert.StartsWith("HTTP/1.1 200 ", await ReadHeadAsync(first, Timeout()));
        using Socket second = await OpenAsync(server.EndPoint4, HttpConnect(authority, "alice:secret"), Timeout());
        Assert.StartsWith("HTTP/1.1 403 ", await ReadHeadAsync(second, Timeout()));
    }
}
