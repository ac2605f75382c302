using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Tests.Interop;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Server;

/// <summary>The library's server over loopback sockets, driven by raw-byte clients.</summary>
public class ServerTests
{
    private static readonly LoopbackTargets Targets = LoopbackTargets.Shared;

    private static CancellationToken Timeout(int seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    public static TheoryData<string> Destinations => new() { "ipv4", "ipv6", "localhost" };

    private static EndPoint EchoFor(string kind) => kind switch
    {
        "ipv4" => Targets.Echo4,
        "ipv6" => Targets.Echo6,
        _ => new DnsEndPoint("localhost", Targets.EchoPort),
    };

    [Theory]
    [MemberData(nameof(Destinations))]
    public async Task Connect_relays_to_every_address_type_over_both_listeners(string kind)
    {
        using var server = new TestServer();
        foreach (IPEndPoint proxy in new[] { server.EndPoint4, server.EndPoint6 })
        {
            using RawSocks5Client client = await RawSocks5Client.OpenAsync(proxy, Timeout());
            ReplyInfo reply = await client.ConnectAndAssertEchoAsync(EchoFor(kind), Timeout());
            Assert.NotEqual(0, reply.Port); // BND is the real outgoing address
        }

        Socks5ConnectionReport[] reports = await server.WaitForReportsAsync(2);
        Assert.All(reports, r => Assert.Equal(Command.Connect, r.Command));
    }

    [Fact]
    public async Task Credentials_are_required_and_checked()
    {
        using var server = new TestServer(o => o.Users["socksuser"] = "sockspass");
        using (RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout(), "socksuser", "sockspass"))
        {
            await client.ConnectAndAssertEchoAsync(Targets.Echo4, Timeout());
        }

        Assert.Equal(UsernamePasswordReply.Failure, await RawSocks5Client.AuthStatusAsync(server.EndPoint4, "socksuser", "wrong", Timeout()));
        Assert.Equal(UsernamePasswordReply.Failure, await RawSocks5Client.AuthStatusAsync(server.EndPoint4, "other", "sockspass", Timeout()));

        using RawSocks5Client anonymous = await RawSocks5Client.ConnectAsync(server.EndPoint4, Timeout());
        Assert.Equal(AuthenticationMethod.NoAcceptableMethods, await anonymous.GreetAsync([AuthenticationMethod.NoAuthenticationRequired], Timeout()));

        Socks5ConnectionReport[] reports = await server.WaitForReportsAsync(4);
        Assert.Contains(reports, r => r.UserName == "socksuser" && r.Succeeded);
        Assert.Equal(2, reports.Count(r => r.Failure == HandshakeFailure.AuthenticationFailed));
    }

    [Fact]
    public async Task Custom_credential_check_decides()
    {
        using var server = new TestServer(o => o.ValidateCredentials = (user, password, _) => ValueTask.FromResult(user == "a" && password == "b"));
        Assert.Equal(UsernamePasswordReply.Success, await RawSocks5Client.AuthStatusAsync(server.EndPoint4, "a", "b", Timeout()));
        Assert.Equal(UsernamePasswordReply.Failure, await RawSocks5Client.AuthStatusAsync(server.EndPoint4, "a", "c", Timeout()));
    }

    [Fact]
    public async Task Refused_connection_gets_reply_5()
    {
        using var server = new TestServer();
        int closedPort = Loopback.GetFreePort();
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo reply = await client.RequestAsync(Command.Connect, new IPEndPoint(IPAddress.Loopback, closedPort), Timeout());
        Assert.Equal(ReplyCode.ConnectionRefused, reply.ReplyCode);
        await client.AssertClosedWithoutReplyAsync(Timeout());
    }

    [Fact]
    public async Task Access_rule_sees_the_resolved_address_and_can_refuse_with_reply_2()
    {
        var seen = new List<Socks5AccessRequest>();
        using var server = new TestServer(o =>
        {
            o.Resolver = (host, _) => ValueTask.FromResult(host == "both.test" ? new[] { IPAddress.Loopback, IPAddress.IPv6Loopback } : Array.Empty<IPAddress>());
            o.AccessRule = (request, _) =>
            {
                lock (seen)
                {
                    seen.Add(request);
                }

                return ValueTask.FromResult(request.Destination.Address.Equals(IPAddress.IPv6Loopback));
            };
        });
        using (RawSocks5Client refused = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout()))
        {
            ReplyInfo reply = await refused.RequestAsync(Command.Connect, Targets.Echo4, Timeout());
            Assert.Equal(ReplyCode.ConnectionNotAllowed, reply.ReplyCode);
        }

        // The (injected) resolver gives 127.0.0.1 and then ::1; the rule allows only ::1, and the dialer uses exactly that.
        using (RawSocks5Client allowed = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout()))
        {
            await allowed.ConnectAndAssertEchoAsync(new DnsEndPoint("both.test", Targets.EchoPort), Timeout());
        }

        lock (seen)
        {
            Assert.Contains(seen, r => r.RequestedHost == "both.test" && r.Destination.Address.Equals(IPAddress.Loopback));
            Assert.Contains(seen, r => r.RequestedHost == "both.test" && r.Destination.Address.Equals(IPAddress.IPv6Loopback));
            Assert.All(seen, r => Assert.Equal(Command.Connect, r.Command));
        }
    }

    [Fact]
    public async Task Name_that_does_not_resolve_gets_reply_4()
    {
        using var server = new TestServer(o => o.Resolver = (_, _) => throw new SocketException((int)SocketError.HostNotFound));
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo reply = await client.RequestAsync(Command.Connect, new DnsEndPoint("no-such-name.invalid", 80), Timeout());
        Assert.Equal(ReplyCode.HostUnreachable, reply.ReplyCode);
    }

    [Fact]
    public async Task Resolver_that_throws_anything_gets_reply_4()
    {
        using var server = new TestServer(o => o.Resolver = (host, _) => throw new ArgumentOutOfRangeException(nameof(host)));
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo reply = await client.RequestAsync(Command.Connect, new DnsEndPoint(new string('n', 255), 80), Timeout());
        Assert.Equal(ReplyCode.HostUnreachable, reply.ReplyCode);
    }

    [Fact]
    public async Task Hook_that_throws_still_gets_the_client_a_reply_and_is_reported()
    {
        using var server = new TestServer(o => o.AccessRule = (_, _) => throw new InvalidOperationException("rule bug"));
        foreach (Command command in new[] { Command.Connect, Command.Bind })
        {
            using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
            ReplyInfo reply = await client.RequestAsync(command, Targets.Echo4, Timeout());
            Assert.Equal(ReplyCode.GeneralFailure, reply.ReplyCode);
            await client.AssertClosedWithoutReplyAsync(Timeout());
        }

        Socks5ConnectionReport[] reports = await server.WaitForReportsAsync(2);
        Assert.All(reports, r => Assert.Equal("rule bug", r.Error?.Message));
        Assert.All(reports, r => Assert.Equal(ReplyCode.GeneralFailure, r.ReplyCode));
    }

    [Fact]
    public async Task Dialer_that_throws_anything_gets_reply_1()
    {
        using var server = new TestServer(o => o.Dialer = (_, _) => throw new InvalidOperationException("dialer bug"));
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo reply = await client.RequestAsync(Command.Connect, Targets.Echo4, Timeout());
        Assert.Equal(ReplyCode.GeneralFailure, reply.ReplyCode);
    }

    [Fact]
    public async Task Failed_login_reports_no_user()
    {
        using var server = new TestServer(o => o.Users["socksuser"] = "sockspass");
        Assert.Equal(UsernamePasswordReply.Failure, await RawSocks5Client.AuthStatusAsync(server.EndPoint4, "socksuser", "wrong", Timeout()));
        Socks5ConnectionReport report = (await server.WaitForReportsAsync(1)).Single();
        Assert.Null(report.UserName);
        Assert.Equal(HandshakeFailure.AuthenticationFailed, report.Failure);
    }

    [Fact]
    public async Task Connect_timeout_gets_reply_1()
    {
        using var server = new TestServer(o =>
        {
            o.ConnectTimeout = TimeSpan.FromMilliseconds(200);
            o.Dialer = async (_, ct) =>
            {
                await Task.Delay(System.Threading.Timeout.Infinite, ct);
                throw new InvalidOperationException("unreachable");
            };
        });
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo reply = await client.RequestAsync(Command.Connect, Targets.Echo4, Timeout());
        Assert.Equal(ReplyCode.GeneralFailure, reply.ReplyCode);
    }

    [Theory]
    [InlineData(0x09, true, true)]
    [InlineData(0x02, false, true)]
    [InlineData(0x03, true, false)]
    public async Task Unsupported_or_disabled_command_gets_reply_7(byte command, bool bind, bool udp)
    {
        using var server = new TestServer(o =>
        {
            o.EnableBind = bind;
            o.EnableUdpAssociate = udp;
        });
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo reply = await client.RequestAsync((Command)command, Targets.Echo4, Timeout());
        Assert.Equal(ReplyCode.CommandNotSupported, reply.ReplyCode);
    }

    [Fact]
    public async Task Pipelined_handshake_with_early_data_loses_nothing()
    {
        using var server = new TestServer();
        using RawSocks5Client client = await RawSocks5Client.ConnectAsync(server.EndPoint4, Timeout());
        byte[] request = RawSocks5Client.Encode(Targets.Echo4, (e, span) => Socks5Request.TryWrite(Command.Connect, e, span, out int n) ? n : 0);
        byte[] early = Encoding.ASCII.GetBytes("early tunnel bytes");
        byte[] all = [0x05, 0x01, 0x00, .. request, .. early];
        await client.Stream.WriteAsync(all, Timeout());
        Assert.Equal(new byte[] { 5, 0 }, await client.ReadExactlyAsync(2, Timeout()));
        ReplyInfo reply = await client.ReadReplyAsync(Timeout());
        Assert.Equal(ReplyCode.Succeeded, reply.ReplyCode);
        Assert.Equal(early, await client.ReadExactlyAsync(early.Length, Timeout()));
    }

    [Fact]
    public async Task One_byte_at_a_time_handshake_works()
    {
        using var server = new TestServer();
        using RawSocks5Client client = await RawSocks5Client.ConnectAsync(server.EndPoint4, Timeout());
        byte[] request = RawSocks5Client.Encode(Targets.Echo4, (e, span) => Socks5Request.TryWrite(Command.Connect, e, span, out int n) ? n : 0);
        foreach (byte b in new byte[] { 0x05, 0x01, 0x00 }.Concat(request))
        {
            await client.Stream.WriteAsync(new[] { b }, Timeout());
            await Task.Delay(2);
        }

        Assert.Equal(new byte[] { 5, 0 }, await client.ReadExactlyAsync(2, Timeout()));
        Assert.Equal(ReplyCode.Succeeded, (await client.ReadReplyAsync(Timeout())).ReplyCode);
        await client.AssertEchoAsync(Timeout());
    }

    [Fact]
    public async Task Half_close_from_the_client_reaches_the_target_and_the_reply_still_flows()
    {
        using var server = new TestServer();
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        Assert.Equal(ReplyCode.Succeeded, (await client.RequestAsync(Command.Connect, Targets.Echo4, Timeout())).ReplyCode);
        byte[] sent = Encoding.ASCII.GetBytes("then FIN");
        await client.Stream.WriteAsync(sent, Timeout());
        client.Socket.Shutdown(SocketShutdown.Send);
        // The echo target answers and closes only after it saw our FIN: the echo and then EOF prove both.
        Assert.Equal(sent, await client.ReadToEndAsync(Timeout()));
    }

    [Fact]
    public async Task Half_close_from_the_target_reaches_the_client_and_the_client_can_still_send()
    {
        using var target = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        target.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        target.Listen(1);
        Task<byte[]> targetSide = Task.Run(async () =>
        {
            using Socket accepted = await target.AcceptAsync(Timeout());
            await accepted.SendAsync("hello, then FIN"u8.ToArray(), SocketFlags.None);
            accepted.Shutdown(SocketShutdown.Send);
            var all = new MemoryStream();
            var buffer = new byte[1024];
            int read;
            while ((read = await accepted.ReceiveAsync(buffer, SocketFlags.None, Timeout())) > 0)
            {
                all.Write(buffer, 0, read);
            }

            return all.ToArray();
        });

        using var server = new TestServer();
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        Assert.Equal(ReplyCode.Succeeded, (await client.RequestAsync(Command.Connect, (IPEndPoint)target.LocalEndPoint!, Timeout())).ReplyCode);
        Assert.Equal("hello, then FIN"u8.ToArray(), await client.ReadToEndAsync(Timeout()));
        await client.Stream.WriteAsync("sent after the target's FIN"u8.ToArray(), Timeout());
        client.Socket.Shutdown(SocketShutdown.Send);
        Assert.Equal("sent after the target's FIN"u8.ToArray(), await targetSide);
    }

    [Fact]
    public async Task Bulk_transfer_of_64_MiB_each_way_arrives_intact()
    {
        const int size = 64 * 1024 * 1024;
        using var server = new TestServer();
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout(120));
        Assert.Equal(ReplyCode.Succeeded, (await client.RequestAsync(Command.Connect, Targets.Echo4, Timeout())).ReplyCode);

        byte[] chunk = new byte[256 * 1024];
        new Random(1928).NextBytes(chunk);
        using var sentHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var receivedHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Task send = Task.Run(async () =>
        {
            for (int sent = 0; sent < size; sent += chunk.Length)
            {
                chunk[0] = (byte)(sent >> 18); // each chunk differs
                sentHash.AppendData(chunk);
                await client.Stream.WriteAsync(chunk, Timeout(120));
            }

            client.Socket.Shutdown(SocketShutdown.Send);
        });
        long received = 0;
        var buffer = new byte[128 * 1024];
        int read;
        while ((read = await client.Stream.ReadAsync(buffer, Timeout(120))) > 0)
        {
            receivedHash.AppendData(buffer, 0, read);
            received += read;
        }

        await send;
        Assert.Equal(size, received);
        Assert.Equal(sentHash.GetHashAndReset(), receivedHash.GetHashAndReset());
        Socks5ConnectionReport report = (await server.WaitForReportsAsync(1)).Single();
        Assert.Equal(size, report.BytesFromClient);
        Assert.Equal(size, report.BytesToClient);
    }

    [Fact]
    public async Task Five_hundred_concurrent_tunnels_all_echo()
    {
        using var server = new TestServer();
        var clients = await Task.WhenAll(Enumerable.Range(0, 500).Select(async _ =>
        {
            RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout(60));
            Assert.Equal(ReplyCode.Succeeded, (await client.RequestAsync(Command.Connect, Targets.Echo4, Timeout(60))).ReplyCode);
            return client;
        }));
        try
        {
            Assert.Equal(500, server.Server.Statistics.Active);
            await Task.WhenAll(clients.Select(c => c.AssertEchoAsync(Timeout(60))));
        }
        finally
        {
            foreach (RawSocks5Client c in clients)
            {
                c.Dispose();
            }
        }
    }

    [Fact]
    public async Task Connection_limit_closes_connections_over_it()
    {
        using var server = new TestServer(o => o.MaxConnections = 2);
        using RawSocks5Client first = await RawSocks5Client.ConnectAsync(server.EndPoint4, Timeout());
        using RawSocks5Client second = await RawSocks5Client.ConnectAsync(server.EndPoint4, Timeout());
        await WaitUntil(() => server.Server.Statistics.Active == 2);
        using RawSocks5Client third = await RawSocks5Client.ConnectAsync(server.EndPoint4, Timeout());
        await third.AssertClosedWithoutReplyAsync(Timeout());
        Assert.Equal(1, server.Server.Statistics.Rejected);
        // The two within the limit are served.
        Assert.Equal(AuthenticationMethod.NoAuthenticationRequired, await first.GreetAsync([AuthenticationMethod.NoAuthenticationRequired], Timeout()));
    }

    [Fact]
    public async Task Handshake_timeout_closes_an_idle_half_handshake()
    {
        using var server = new TestServer(o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        using RawSocks5Client client = await RawSocks5Client.ConnectAsync(server.EndPoint4, Timeout());
        await client.Stream.WriteAsync(new byte[] { 0x05 }, Timeout());
        await client.AssertClosedWithoutReplyAsync(Timeout(5));
        Socks5ConnectionReport report = (await server.WaitForReportsAsync(1)).Single();
        Assert.IsType<TimeoutException>(report.Error);
    }

    [Fact]
    public async Task Bind_sends_two_replies_and_relays_both_ways()
    {
        using var server = new TestServer();
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo first = await client.RequestAsync(Command.Bind, new IPEndPoint(IPAddress.Any, 0), Timeout());
        Assert.Equal(ReplyCode.Succeeded, first.ReplyCode);
        Assert.Equal(IPAddress.Loopback, first.Address);

        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(new IPEndPoint(first.Address!, first.Port), Timeout());
        ReplyInfo second = await client.ReadReplyAsync(Timeout());
        Assert.Equal(ReplyCode.Succeeded, second.ReplyCode);
        Assert.Equal(((IPEndPoint)peer.LocalEndPoint!).Port, second.Port);

        await peer.SendAsync("from the peer"u8.ToArray(), SocketFlags.None);
        Assert.Equal("from the peer"u8.ToArray(), await client.ReadExactlyAsync(13, Timeout()));
        await client.Stream.WriteAsync("to the peer"u8.ToArray(), Timeout());
        var back = new byte[11];
        using var peerStream = new NetworkStream(peer);
        await peerStream.ReadExactlyAsync(back, Timeout());
        Assert.Equal("to the peer"u8.ToArray(), back);
    }

    [Fact]
    public async Task Bind_over_ipv6_listens_on_ipv6()
    {
        using var server = new TestServer();
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint6, Timeout());
        ReplyInfo first = await client.RequestAsync(Command.Bind, new IPEndPoint(IPAddress.IPv6Any, 0), Timeout());
        Assert.Equal(IPAddress.IPv6Loopback, first.Address);
        using var peer = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(new IPEndPoint(first.Address!, first.Port), Timeout());
        Assert.Equal(ReplyCode.Succeeded, (await client.ReadReplyAsync(Timeout())).ReplyCode);
    }

    [Fact]
    public async Task Bind_without_a_peer_times_out_with_a_failure_reply()
    {
        using var server = new TestServer(o => o.BindTimeout = TimeSpan.FromMilliseconds(300));
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        Assert.Equal(ReplyCode.Succeeded, (await client.RequestAsync(Command.Bind, new IPEndPoint(IPAddress.Any, 0), Timeout())).ReplyCode);
        Assert.Equal(ReplyCode.GeneralFailure, (await client.ReadReplyAsync(Timeout())).ReplyCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Udp_association_relays_datagrams(bool ipv6)
    {
        using var server = new TestServer();
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(ipv6 ? server.EndPoint6 : server.EndPoint4, Timeout());
        await Socks5Udp.AssertEchoAsync(client, ipv6 ? Targets.UdpEcho6 : Targets.UdpEcho4, Timeout());
    }

    [Fact]
    public async Task Udp_from_a_foreign_source_or_with_frag_is_dropped_and_the_association_ends_with_its_tcp_connection()
    {
        using var server = new TestServer();
        RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo reply = await client.RequestAsync(Command.UdpAssociate, new IPEndPoint(IPAddress.Any, 0), Timeout());
        IPEndPoint relay = reply.Usable(server.EndPoint4);
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Socks5Udp.Datagram answer = await Socks5Udp.RoundTripAsync(udp, relay, Targets.UdpEcho4, "first"u8.ToArray(), Timeout());
        Assert.Equal("echo:first"u8.ToArray(), answer.Data);

        // Another port on the client's address is not the client: the association learned the port from the first datagram.
        using var foreign = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        foreign.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await foreign.SendToAsync(UdpDatagram(0, Targets.UdpEcho4, "foreign"u8.ToArray()), relay);
        Assert.Null(await ReceiveOrNullAsync(foreign, TimeSpan.FromMilliseconds(500)));

        // A fragment is dropped, even from the client.
        await udp.SendToAsync(UdpDatagram(1, Targets.UdpEcho4, "fragment"u8.ToArray()), relay);
        Assert.Null(await ReceiveOrNullAsync(udp, TimeSpan.FromMilliseconds(500)));

        Assert.Equal(1, server.Server.Statistics.UdpAssociations);
        client.Dispose();
        await WaitUntil(() => server.Server.Statistics.UdpAssociations == 0);
        await udp.SendToAsync(UdpDatagram(0, Targets.UdpEcho4, "after close"u8.ToArray()), relay);
        Assert.Null(await ReceiveOrNullAsync(udp, TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task Idle_tunnel_is_closed_after_the_idle_timeout_but_a_busy_one_is_not()
    {
        using var server = new TestServer(o => o.IdleTimeout = TimeSpan.FromSeconds(1));
        using RawSocks5Client busy = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        Assert.Equal(ReplyCode.Succeeded, (await busy.RequestAsync(Command.Connect, Targets.Echo4, Timeout())).ReplyCode);
        for (int i = 0; i < 15; i++)
        {
            await busy.AssertEchoAsync(Timeout()); // 1.5 s in all, never silent for more than 0.1 s
            await Task.Delay(100);
        }

        using RawSocks5Client idle = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        Assert.Equal(ReplyCode.Succeeded, (await idle.RequestAsync(Command.Connect, Targets.Echo4, Timeout())).ReplyCode);
        await idle.AssertClosedWithoutReplyAsync(Timeout(5));
    }

    [Fact]
    public async Task A_throwing_log_hook_does_not_stop_the_server()
    {
        using var server = new TestServer(o => o.ConnectionClosed = _ => throw new InvalidOperationException("hook"));
        for (int i = 0; i < 2; i++)
        {
            using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
            await client.ConnectAndAssertEchoAsync(Targets.Echo4, Timeout());
        }
    }

    [Fact]
    public async Task Garbage_gets_a_silent_close_and_a_report()
    {
        using var server = new TestServer();
        using RawSocks5Client client = await RawSocks5Client.ConnectAsync(server.EndPoint4, Timeout());
        // A TLS ClientHello's first bytes: neither SOCKS5, SOCKS4 nor an HTTP method (a GET gets 405: MixedProtocolTests).
        await client.Stream.WriteAsync(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00 }, Timeout());
        await client.AssertClosedWithoutReplyAsync(Timeout());
        Socks5ConnectionReport report = (await server.WaitForReportsAsync(1)).Single();
        Assert.Equal(HandshakeFailure.MalformedMessage, report.Failure);
        Assert.False(report.Succeeded);
    }

    [Fact]
    public async Task Stop_lets_tunnels_drain_then_closes_them()
    {
        var server = new TestServer();
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        Assert.Equal(ReplyCode.Succeeded, (await client.RequestAsync(Command.Connect, Targets.Echo4, Timeout())).ReplyCode);
        Task stop = server.Server.StopAsync(TimeSpan.FromMilliseconds(500));
        await client.AssertEchoAsync(Timeout()); // still flowing during the drain
        await stop.WaitAsync(Timeout(10));
        Assert.Equal(0, server.Server.Statistics.Active);
        await Assert.ThrowsAnyAsync<SocketException>(() => RawSocks5Client.ConnectAsync(server.EndPoint4, Timeout()));
        server.Dispose();
    }

    internal static byte[] UdpDatagram(byte fragment, IPEndPoint target, byte[] payload)
    {
        byte[] header = RawSocks5Client.Encode(target, (e, span) => Socks5UdpHeader.TryWrite(fragment, e, span, out int n) ? n : 0);
        return [.. header, .. payload];
    }

    internal static async Task<byte[]?> ReceiveOrNullAsync(Socket udp, TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        var buffer = new byte[2048];
        try
        {
            SocketReceiveFromResult r = await udp.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), cts.Token);
            return buffer[..r.ReceivedBytes];
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        DateTime until = DateTime.UtcNow.AddSeconds(10);
        while (!condition() && DateTime.UtcNow < until)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "condition not reached in 10 s");
    }
}
