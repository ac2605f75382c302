using System.Buffers;
using System.Net.Sockets;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;
using Xunit;

namespace Socks5.Protocol.Tests.Transport;

/// <summary>
/// The relay buffer budget: a direction grows its buffer only while the budget has room, and every charge is given back,
/// after a clean end, a reset and a failed rent alike.
/// </summary>
public class RelayBudgetTests
{
    private const int Bulk = 4 * 1024 * 1024;

    private static CancellationToken Failsafe() => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    private static Task<RelayResult> Run(RelaySides sides, ArrayPool<byte> pool, RelayBufferBudget budget) =>
        Socks5Relay.RunAsync(sides.First, sides.Second, new RelaySettings { Pool = pool, Budget = budget, Splice = false }, Failsafe()); // the budget is the copying path's

    [Theory]
    [InlineData(0, 16 * 1024)]
    [InlineData(64 * 1024, 64 * 1024)] // 32 KiB, then 64 KiB (32 more); 128 KiB would need 64 more
    public async Task A_direction_does_not_grow_beyond_the_budget(long limit, int largest)
    {
        var pool = new RecordingPool();
        var budget = new RelayBufferBudget(limit);
        using RelaySides sides = await RelaySides.OpenAsync();
        Task<RelayResult> relay = Run(sides, pool, budget);

        // The target reads only once the client has queued megabytes, so that the relay's receives fill their buffers.
        Task sending = SendAndFinishAsync(sides.ClientSide, Bulk);
        await Task.Delay(200);
        Task<long> received = DrainAsync(sides.TargetSide);
        await sending.WaitAsync(Failsafe());
        sides.TargetSide.Shutdown(SocketShutdown.Send);
        Assert.Equal(Bulk, await received.WaitAsync(Failsafe()));
        RelayResult result = await relay.WaitAsync(Failsafe());

        Assert.Null(result.Error);
        Assert.Equal(largest, pool.Largest); // the tunnel stayed at the budget's size, and still moved every byte
        Assert.Equal(limit, budget.Peak);
        Assert.Equal(0, budget.InUse);
    }

    [Fact]
    public async Task The_charge_returns_to_zero_after_many_tunnels_end_cleanly()
    {
        var budget = new RelayBufferBudget(1024 * 1024); // less than the tunnels would take: some grow, some are held back
        var tunnels = new Task[12];
        for (int i = 0; i < tunnels.Length; i++)
        {
            tunnels[i] = Task.Run(async () =>
            {
                using RelaySides sides = await RelaySides.OpenAsync();
                Task<RelayResult> relay = Run(sides, ArrayPool<byte>.Shared, budget);
                Task toTarget = SendAndFinishAsync(sides.ClientSide, 1024 * 1024);
                Task toClient = SendAndFinishAsync(sides.TargetSide, 1024 * 1024);
                Assert.Equal(1024 * 1024, await DrainAsync(sides.TargetSide));
                Assert.Equal(1024 * 1024, await DrainAsync(sides.ClientSide));
                await Task.WhenAll(toTarget, toClient);
                Assert.Null((await relay).Error);
            });
        }

        await Task.WhenAll(tunnels).WaitAsync(Failsafe());
        Assert.True(budget.Peak > 0, "no direction ever grew: the test proved nothing");
        Assert.True(budget.Peak <= budget.Limit);
        Assert.Equal(0, budget.InUse);
    }

    [Fact]
    public async Task The_charge_returns_to_zero_when_a_peer_resets_mid_transfer()
    {
        var budget = new RelayBufferBudget(long.MaxValue);
        using RelaySides sides = await RelaySides.OpenAsync();
        Task<RelayResult> relay = Run(sides, ArrayPool<byte>.Shared, budget);
        Task sending = SendIgnoringFailureAsync(sides.ClientSide, 64 * Bulk);

        // Wait until the direction has grown (it holds a charge), then reset the target under it.
        byte[] sink = new byte[64 * 1024];
        while (budget.InUse == 0)
        {
            Assert.True(await sides.TargetSide.ReceiveAsync(sink, SocketFlags.None, Failsafe()) > 0);
        }

        sides.TargetSide.LingerState = new LingerOption(true, 0);
        sides.TargetSide.Close();
        RelayResult result = await relay.WaitAsync(Failsafe());
        sides.First.Dispose(); // as the server does

        Assert.IsType<SocketException>(result.Error);
        Assert.Equal(0, budget.InUse);

        // The sender is stopped here, not left to notice the server's close: under heavy load it once waited out the
        // failsafe for that, which says nothing about the budget.
        sides.ClientSide.Dispose();
        await sending.WaitAsync(Failsafe());
    }

    [Fact]
    public async Task The_charge_returns_to_zero_when_the_larger_rent_fails()
    {
        var pool = new FailingPool(failEvery: 1); // every rent above the smallest size throws
        var budget = new RelayBufferBudget(long.MaxValue);
        using RelaySides sides = await RelaySides.OpenAsync();
        Task<RelayResult> relay = Run(sides, pool, budget);
        Task sending = SendIgnoringFailureAsync(sides.ClientSide, Bulk);
        await Task.Delay(200); // let the client's bytes queue up so that a receive fills the smallest buffer
        Task<long> draining = DrainAsync(sides.TargetSide);

        RelayResult result = await relay.WaitAsync(Failsafe());
        sides.First.Dispose(); // as the server does: the client's unread bytes end its send with a reset
        sides.Second.Dispose();
        await Task.WhenAll(sending, draining).WaitAsync(Failsafe());

        Assert.IsType<OutOfMemoryException>(result.Error);
        Assert.True(budget.Peak > 0);
        Assert.Equal(0, budget.InUse);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void A_server_shares_the_process_budget_unless_it_sets_its_own()
    {
        using var shared = new Socks5Server(new Socks5ServerOptions());
        using var own = new Socks5Server(new Socks5ServerOptions { RelayBufferBudget = 3 * 1024 * 1024 });

        Assert.Same(RelayBufferBudget.Shared, shared.RelayBudget);
        Assert.Equal(3 * 1024 * 1024, own.RelayBudget.Limit);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Socks5Server(new Socks5ServerOptions { RelayBufferBudget = -1 }));
    }

    [Theory]
    [InlineData(300L * 1024 * 1024, 75L * 1024 * 1024)] // a 300 MiB heap limit: a quarter
    [InlineData(64L * 1024 * 1024 * 1024, 1024L * 1024 * 1024)] // a large machine: the cap
    [InlineData(0, 1024L * 1024 * 1024)] // unknown
    public void The_default_is_a_quarter_of_the_available_memory_up_to_a_cap(long available, long expected) =>
        Assert.Equal(expected, RelayBufferBudget.DefaultLimit(available));

    private static async Task SendAndFinishAsync(Socket socket, int count)
    {
        await socket.SendAsync(new byte[count], SocketFlags.None, Failsafe());
        socket.Shutdown(SocketShutdown.Send);
    }

    private static async Task SendIgnoringFailureAsync(Socket socket, int count)
    {
        try
        {
            await SendAndFinishAsync(socket, count);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The relay closed the tunnel under the send, or the test closed the sender.
        }
    }

    private static async Task<long> DrainAsync(Socket socket)
    {
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, Failsafe())) > 0)
            {
                total += read;
            }
        }
        catch (SocketException)
        {
            // A reset ends it too.
        }

        return total;
    }

    /// <summary>ArrayPool.Shared, recording the largest size asked for.</summary>
    private sealed class RecordingPool : ArrayPool<byte>
    {
        private int _largest;

        public int Largest => Volatile.Read(ref _largest);

        public override byte[] Rent(int minimumLength)
        {
            int seen;
            while ((seen = Volatile.Read(ref _largest)) < minimumLength && Interlocked.CompareExchange(ref _largest, minimumLength, seen) != seen)
            {
            }

            return Shared.Rent(minimumLength);
        }

        public override void Return(byte[] array, bool clearArray = false) => Shared.Return(array, clearArray);
    }
}
