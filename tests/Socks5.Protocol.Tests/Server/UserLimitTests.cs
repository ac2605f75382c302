using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Socks5.Protocol.Server;
using Socks5.Protocol.Tests.Interop;
using Socks5.Protocol.Tests.Transport;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Server;

/// <summary>
/// Per-user limits: <see cref="Socks5ServerOptions.MaxConnectionsPerUser"/> (X'02' past it, the slot freed when a
/// connection closes), <see cref="Socks5Server.GetUserStatistics"/> (bytes per user, live and closed) and
/// <see cref="Socks5ServerOptions.MaxBytesPerSecondPerUser"/> (on a clock moved by hand).
/// </summary>
public class UserLimitTests
{
    private static readonly LoopbackTargets Targets = LoopbackTargets.Shared;

    private static CancellationToken Timeout(int seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private static TestServer UsersServer(Action<Socks5ServerOptions> configure) => new(o =>
    {
        o.Users["alice"] = "alice-pw";
        o.Users["bob"] = "bob-pw";
        configure(o);
    });

    private static async Task<RawSocks5Client> TunnelAsync(TestServer server, string user)
    {
        RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout(), user, user + "-pw");
        await client.ConnectAndAssertEchoAsync(Targets.Echo4, Timeout());
        return client;
    }

    [Fact]
    public async Task A_users_connection_past_the_limit_gets_X02_other_users_do_not_and_a_closed_one_frees_its_slot()
    {
        using TestServer server = UsersServer(o => o.MaxConnectionsPerUser = 2);
        using RawSocks5Client alice1 = await TunnelAsync(server, "alice");
        RawSocks5Client alice2 = await TunnelAsync(server, "alice");

        using (RawSocks5Client alice3 = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout(), "alice", "alice-pw"))
        {
            ReplyInfo refused = await alice3.RequestAsync(Command.Connect, Targets.Echo4, Timeout());
            Assert.Equal(ReplyCode.ConnectionNotAllowed, refused.ReplyCode);
            Assert.Empty(await alice3.ReadToEndAsync(Timeout())); // then closed
        }

        using (RawSocks5Client bob = await TunnelAsync(server, "bob"))
        {
            await alice1.AssertEchoAsync(Timeout()); // alice's open tunnels go on
        }

        Socks5ConnectionReport rejected = (await server.WaitForReportsAsync(2)).Single(r => r.ReplyCode == ReplyCode.ConnectionNotAllowed);
        Assert.Equal("alice", rejected.UserName);
        Assert.Equal(1, server.Server.Statistics.Rejected);

        alice2.Dispose();
        await ServerTests.WaitUntil(() => server.Server.GetUserStatistics().Single(u => u.UserName == "alice").ActiveConnections == 1);
        using RawSocks5Client alice4 = await TunnelAsync(server, "alice"); // the closed one's slot

        Socks5UserStatistics alice = server.Server.GetUserStatistics().Single(u => u.UserName == "alice");
        Assert.Equal(2, alice.ActiveConnections);
        Assert.Equal(3, alice.Connections);
        Assert.Equal(1, alice.RejectedConnections);
    }

    [Fact]
    public async Task A_slot_is_freed_when_the_connection_fails_before_its_request()
    {
        using TestServer server = UsersServer(o => o.MaxConnectionsPerUser = 1);
        using (RawSocks5Client gone = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout(), "alice", "alice-pw"))
        {
            // Authenticated, then closed without a request.
        }

        await server.WaitForReportsAsync(1);
        using RawSocks5Client next = await TunnelAsync(server, "alice");
        Assert.Equal(0, server.Server.Statistics.Rejected);
    }

    [Fact]
    public async Task Stopping_the_server_frees_the_slots_of_the_tunnels_it_closes()
    {
        using TestServer server = UsersServer(o => o.MaxConnectionsPerUser = 1);
        using RawSocks5Client tunnel = await TunnelAsync(server, "alice");
        Assert.Equal(1, server.Server.GetUserStatistics().Single().ActiveConnections);

        await server.Server.StopAsync(TimeSpan.Zero).WaitAsync(Timeout());

        Assert.Equal(0, server.Server.GetUserStatistics().Single().ActiveConnections);
    }

    [Fact]
    public async Task User_statistics_count_each_users_bytes_live_and_after_close()
    {
        using TestServer server = UsersServer(_ => { });
        byte[] payload = new byte[100_000];
        Random.Shared.NextBytes(payload);
        using (RawSocks5Client alice = await TunnelAsync(server, "alice"))
        {
            await alice.Stream.WriteAsync(payload, Timeout());
            await alice.ReadExactlyAsync(payload.Length, Timeout());
            // The relay counts a chunk once it is sent: the count may trail what the client has read by a moment.
            await ServerTests.WaitUntil(() => server.Server.GetUserStatistics().Single().BytesToClients == payload.Length + PingLength);

            Socks5UserStatistics live = server.Server.GetUserStatistics().Single();
            Assert.Equal("alice", live.UserName);
            Assert.Equal(1, live.ActiveConnections);
            Assert.Equal(payload.Length + PingLength, live.BytesFromClients);
            Assert.Equal(payload.Length + PingLength, live.BytesToClients);
        }

        using (RawSocks5Client bob = await TunnelAsync(server, "bob"))
        {
            await bob.Stream.WriteAsync(payload.AsMemory(0, 1000), Timeout());
            await bob.ReadExactlyAsync(1000, Timeout());
        }

        await server.WaitForReportsAsync(2);
        await ServerTests.WaitUntil(() => server.Server.GetUserStatistics().All(u => u.ActiveConnections == 0));
        Socks5ConnectionReport[] reports = server.Reports.ToArray();
        IReadOnlyList<Socks5UserStatistics> users = server.Server.GetUserStatistics();
        Assert.Equal(["alice", "bob"], users.Select(u => u.UserName));
        Assert.Equal(payload.Length + PingLength, users[0].BytesFromClients);
        Assert.Equal(payload.Length + PingLength, users[0].BytesToClients);
        Assert.Equal(1000 + PingLength, users[1].BytesFromClients);
        Assert.Equal(1000 + PingLength, users[1].BytesToClients);
        Assert.Equal(reports.Single(r => r.UserName == "bob").BytesToClient, users[1].BytesToClients);
    }

    // What RawSocks5Client.AssertEchoAsync sends: "ping-" and a GUID's 32 hex digits.
    private const int PingLength = 5 + 32;

    [Fact]
    public async Task Anonymous_tunnels_have_no_user_entry()
    {
        using var server = new TestServer();
        using (RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout()))
        {
            await client.ConnectAndAssertEchoAsync(Targets.Echo4, Timeout());
        }

        await server.WaitForReportsAsync(1);
        Assert.Empty(server.Server.GetUserStatistics());
    }

    [Fact]
    public async Task The_rate_limit_lets_a_seconds_worth_through_per_second_of_the_servers_clock_holding_no_buffer_while_it_waits()
    {
        const int rate = 1000;
        const int total = 5 * rate;
        var clock = new ManualTimeProvider();
        var pool = new FailingPool(failEvery: int.MaxValue);
        using var source = new TcpListener(IPAddress.Loopback, 0);
        source.Start();
        using TestServer server = UsersServer(o =>
        {
            o.TimeProvider = clock;
            o.RelayBufferPool = pool;
            o.MaxBytesPerSecondPerUser = rate;
        });

        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout(), "alice", "alice-pw");
        Task<Socket> accepted = source.AcceptSocketAsync(Timeout()).AsTask();
        Assert.Equal(ReplyCode.Succeeded, (await client.RequestAsync(Command.Connect, source.LocalEndpoint, Timeout())).ReplyCode);
        using Socket target = await accepted;
        await target.SendAsync(new byte[total], SocketFlags.None); // all of it at once: the relay holds it back

        int received = 0;
        byte[] buffer = new byte[total];
        for (int second = 0; ; second++)
        {
            int expected = Math.Min(total, (second + 1) * rate); // a full bucket at first, then a second's worth per second
            while (received < expected)
            {
                int read = await client.Stream.ReadAsync(buffer, Timeout());
                Assert.True(read > 0, "the tunnel closed");
                received += read;
            }

            Assert.Equal(expected, received);
            if (received == total)
            {
                break;
            }

            // The tunnel now waits on the clock for its bucket, holding no pooled buffer, and nothing more arrives.
            await ServerTests.WaitUntil(() => clock.PendingTimers == 1);
            Assert.Equal(0, pool.Outstanding);
            await Task.Delay(50);
            Assert.Equal(0, client.Socket.Available);
            Assert.Equal(expected, received);

            clock.Advance(TimeSpan.FromSeconds(1));
        }

        await ServerTests.WaitUntil(() => server.Server.GetUserStatistics().Single().BytesToClients == total);
    }

    [Fact]
    public async Task The_rate_limit_holds_on_the_pipe_relay_of_a_connection_the_host_accepted()
    {
        const int rate = 1000;
        const int total = 3 * rate;
        const int replies = 2 + 10; // the method selection and the reply naming an IPv4 BND
        var clock = new ManualTimeProvider();
        using var source = new TcpListener(IPAddress.Loopback, 0);
        source.Start();
        using var server = new Socks5Server(new Socks5ServerOptions { TimeProvider = clock, MaxBytesPerSecondPerUser = rate });
        var toServer = new Pipe();
        var toClient = new Pipe();
        // Not a SocketPipe (as a Kestrel connection is not): the tunnel goes through the pipe relay.
        Task serving = server.HandleConnectionAsync(new Duplex(toServer.Reader, toClient.Writer), new IPEndPoint(IPAddress.Loopback, 50000), new IPEndPoint(IPAddress.Loopback, 1), Timeout());
        byte[] request = RawSocks5Client.Encode(source.LocalEndpoint, (e, span) => Socks5Request.TryWrite(Command.Connect, e, span, out int n) ? n : 0);
        Task<Socket> accepted = source.AcceptSocketAsync(Timeout()).AsTask();
        await toServer.Writer.WriteAsync(new byte[] { 5, 1, 0 }.Concat(request).ToArray(), Timeout());
        using Socket target = await accepted;
        await target.SendAsync(new byte[total], SocketFlags.None);

        long received = -replies;
        for (int second = 0; ; second++)
        {
            int expected = Math.Min(total, (second + 1) * rate);
            while (received < expected)
            {
                ReadResult read = await toClient.Reader.ReadAsync(Timeout());
                received += read.Buffer.Length;
                toClient.Reader.AdvanceTo(read.Buffer.End);
            }

            Assert.Equal(expected, received);
            if (received == total)
            {
                break;
            }

            await ServerTests.WaitUntil(() => clock.PendingTimers == 1);
            await Task.Delay(50);
            Assert.False(toClient.Reader.TryRead(out _), "more than the rate arrived");
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        server.Dispose();
        await serving.WaitAsync(Timeout());
    }

    private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
