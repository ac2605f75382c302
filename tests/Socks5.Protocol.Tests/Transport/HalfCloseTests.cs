using System.IO.Pipelines;
using System.Net.Sockets;
using Socks5.Protocol.Tests.Server;
using Socks5.Protocol.Transport;
using Xunit;

namespace Socks5.Protocol.Tests.Transport;

/// <summary>A tunnel whose one direction has finished while the other never does ends after the half-close bound.</summary>
public sealed class HalfCloseTests
{
    private static CancellationToken Timeout(int seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    // Hides that the pipes are SocketPipes, so that the relay moves the bytes through the pipes.
    private sealed record PlainPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    // A relay with a 60 s half-close bound on the given clock: socket to socket, or through the pipes.
    private static Task<RelayResult> StartRelay(RelaySides sides, ManualTimeProvider clock, bool socketToSocket)
    {
        IDuplexPipe first = socketToSocket ? sides.First : new PlainPipe(sides.First.Input, sides.First.Output);
        IDuplexPipe second = socketToSocket ? sides.Second : new PlainPipe(sides.Second.Input, sides.Second.Output);
        return Socks5Relay.RunAsync(first, second, new RelaySettings { HalfCloseTimeout = TimeSpan.FromSeconds(60), Clock = clock }, Timeout());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_half_closed_tunnel_ends_after_the_half_close_timeout_on_the_given_clock(bool socketToSocket)
    {
        using RelaySides sides = await RelaySides.OpenAsync();
        var clock = new ManualTimeProvider();
        Task<RelayResult> relay = StartRelay(sides, clock, socketToSocket);

        // The client finishes its direction; the FIN reaches the target, which never finishes its own.
        sides.ClientSide.Shutdown(SocketShutdown.Send);
        byte[] one = new byte[1];
        Assert.Equal(0, await sides.TargetSide.ReceiveAsync(one, SocketFlags.None, Timeout()));
        await ServerTests.WaitUntil(() => clock.PendingTimers > 0);
        Assert.False(relay.IsCompleted);

        // Short of the bound the tunnel stays; past it the relay ends and the client's side is closed too.
        clock.Advance(TimeSpan.FromSeconds(59));
        await Task.WhenAny(relay, Task.Delay(100));
        Assert.False(relay.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(2));
        await Task.WhenAny(relay, Task.Delay(5000));
        Assert.True(relay.IsCompleted);
        Assert.Equal(new RelayResult(), await relay);
        Assert.Equal(0, await sides.ClientSide.ReceiveAsync(one, SocketFlags.None, Timeout()));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_half_closed_tunnel_whose_other_direction_keeps_moving_stays_open_past_the_bound(bool socketToSocket)
    {
        using RelaySides sides = await RelaySides.OpenAsync();
        var clock = new ManualTimeProvider();
        Task<RelayResult> relay = StartRelay(sides, clock, socketToSocket);

        // The client sends its request and its FIN, then reads a long answer: 5 minutes on the clock, a byte every 30 s.
        sides.ClientSide.Shutdown(SocketShutdown.Send);
        byte[] one = new byte[1];
        Assert.Equal(0, await sides.TargetSide.ReceiveAsync(one, SocketFlags.None, Timeout()));
        for (int i = 0; i < 10; i++)
        {
            await sides.TargetSide.SendAsync(new[] { (byte)i }, SocketFlags.None);
            Assert.Equal(1, await sides.ClientSide.ReceiveAsync(one, SocketFlags.None, Timeout()));
            Assert.Equal((byte)i, one[0]);
            await ServerTests.WaitUntil(() => clock.PendingTimers > 0);
            clock.Advance(TimeSpan.FromSeconds(30));
            await Task.WhenAny(relay, Task.Delay(50));
            Assert.False(relay.IsCompleted, $"the tunnel was cut after {(i + 1) * 30} s although bytes kept moving");
        }

        // The answer ends: the tunnel ends cleanly, every byte counted.
        sides.TargetSide.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await sides.ClientSide.ReceiveAsync(one, SocketFlags.None, Timeout()));
        RelayResult result = await relay.WaitAsync(Timeout());
        Assert.Equal(10, result.BytesFromSecond);
        Assert.Null(result.Error);
    }
}
