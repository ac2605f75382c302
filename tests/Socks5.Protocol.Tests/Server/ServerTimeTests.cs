using System.Net;
using System.Net.Sockets;
using Socks5.Protocol.Server;
using Socks5.Protocol.Tests.Interop;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Server;

/// <summary>
/// The server's timeouts and its drain run on <see cref="Socks5ServerOptions.TimeProvider"/>: with a clock moved by hand,
/// they end exactly when the clock says, however long the real wait.
/// </summary>
public class ServerTimeTests
{
    private static readonly LoopbackTargets Targets = LoopbackTargets.Shared;

    private static CancellationToken Timeout(int seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    // A tunnel to the echo target, once the handshake's and the dial's timeouts are over.
    private static async Task<RawSocks5Client> TunnelAsync(TestServer server, ManualTimeProvider clock)
    {
        RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        Assert.Equal(ReplyCode.Succeeded, (await client.RequestAsync(Command.Connect, Targets.Echo4, Timeout())).ReplyCode);
        await ServerTests.WaitUntil(() => clock.PendingTimers == 0);
        return client;
    }

    [Fact]
    public async Task StopAsync_drains_until_the_timeout_on_the_servers_clock_then_closes_the_rest()
    {
        var clock = new ManualTimeProvider();
        using var server = new TestServer(o => o.TimeProvider = clock);
        using RawSocks5Client client = await TunnelAsync(server, clock);

        Task stop = server.Server.StopAsync(TimeSpan.FromMinutes(1));
        await ServerTests.WaitUntil(() => clock.PendingTimers == 1); // the drain's
        clock.Advance(TimeSpan.FromSeconds(59));
        await client.AssertEchoAsync(Timeout()); // a minute has not passed: the tunnel goes on
        Assert.False(stop.IsCompleted);

        clock.Advance(TimeSpan.FromSeconds(1));
        await stop.WaitAsync(Timeout());
        Assert.Equal(0, server.Server.Statistics.Active);
        Assert.Empty(await client.ReadToEndAsync(Timeout())); // closed by the server
    }

    [Fact]
    public async Task StopAsync_cancelled_ends_the_drain_and_closes_the_rest()
    {
        var clock = new ManualTimeProvider();
        using var server = new TestServer(o => o.TimeProvider = clock);
        using RawSocks5Client client = await TunnelAsync(server, clock);

        using var cancel = new CancellationTokenSource();
        Task stop = server.Server.StopAsync(System.Threading.Timeout.InfiniteTimeSpan, cancel.Token);
        await client.AssertEchoAsync(Timeout()); // an endless drain: the tunnel goes on
        Assert.False(stop.IsCompleted);

        cancel.Cancel();
        await stop.WaitAsync(Timeout()); // completes, without throwing
        Assert.Equal(0, server.Server.Statistics.Active);
        Assert.Empty(await client.ReadToEndAsync(Timeout()));
    }

    [Fact]
    public async Task StopAsync_returns_at_once_when_no_connection_is_open_and_refuses_a_negative_drain()
    {
        var clock = new ManualTimeProvider();
        var server = new TestServer(o => o.TimeProvider = clock);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => server.Server.StopAsync(TimeSpan.FromSeconds(-1)));
        await server.Server.StopAsync(TimeSpan.FromHours(1)).WaitAsync(Timeout()); // the clock never moves
        await Assert.ThrowsAnyAsync<SocketException>(() => RawSocks5Client.ConnectAsync(server.EndPoint4, Timeout()));
        server.Dispose();
    }

    [Fact]
    public async Task DisposeAsync_stops_gracefully_then_disposes()
    {
        var clock = new ManualTimeProvider();
        var server = new TestServer(o => o.TimeProvider = clock);
        RawSocks5Client client = await TunnelAsync(server, clock);

        ValueTask disposing = server.Server.DisposeAsync();
        await ServerTests.WaitUntil(() => clock.PendingTimers == 1); // the default drain, 5 s
        clock.Advance(TimeSpan.FromSeconds(4));
        await client.AssertEchoAsync(Timeout());
        Assert.False(disposing.IsCompleted);

        client.Dispose(); // the tunnel ends by itself: the drain is over before its time
        await disposing.AsTask().WaitAsync(Timeout());
        Assert.Equal(0, server.Server.Statistics.Active);
        await Assert.ThrowsAnyAsync<SocketException>(() => RawSocks5Client.ConnectAsync(server.EndPoint4, Timeout()));
    }

    [Fact]
    public async Task Handshake_timeout_and_report_duration_are_on_the_servers_clock()
    {
        var clock = new ManualTimeProvider();
        using var server = new TestServer(o => o.TimeProvider = clock);
        using RawSocks5Client client = await RawSocks5Client.ConnectAsync(server.EndPoint4, Timeout()); // and says nothing
        await ServerTests.WaitUntil(() => clock.PendingTimers == 1);

        clock.Advance(server.Options.HandshakeTimeout);
        await client.AssertClosedWithoutReplyAsync(Timeout());
        Socks5ConnectionReport report = (await server.WaitForReportsAsync(1)).Single();
        Assert.IsType<TimeoutException>(report.Error);
        Assert.Equal(server.Options.HandshakeTimeout, report.Duration);
    }

    [Fact]
    public async Task Udp_association_ends_after_its_idle_timeout_on_the_servers_clock()
    {
        var clock = new ManualTimeProvider();
        using var server = new TestServer(o => o.TimeProvider = clock);
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo reply = await client.RequestAsync(Command.UdpAssociate, new IPEndPoint(IPAddress.Any, 0), Timeout());
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Socks5Udp.Datagram answer = await Socks5Udp.RoundTripAsync(udp, reply.Usable(server.EndPoint4), Targets.UdpEcho4, "ping"u8.ToArray(), Timeout());
        Assert.Equal("echo:ping"u8.ToArray(), answer.Data);
        await ServerTests.WaitUntil(() => clock.PendingTimers == 1); // the idle watch's

        clock.Advance(server.Options.UdpIdleTimeout);
        Assert.Empty(await client.ReadToEndAsync(Timeout())); // the association is over: its TCP connection is closed
        await ServerTests.WaitUntil(() => server.Server.Statistics.UdpAssociations == 0);
        Socks5ConnectionReport report = (await server.WaitForReportsAsync(1)).Single();
        Assert.Equal(server.Options.UdpIdleTimeout, report.Duration);
    }
}
