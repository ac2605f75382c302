using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Socks5.Protocol.Pipelines;
using Socks5.Protocol.Transport;
using Xunit;

namespace Socks5.Protocol.Tests.Transport;

/// <summary>
/// The relay when something other than the network fails: a buffer rent that throws (memory running out) or a pipe that
/// throws what no socket would. Tunnels may then fail, but they never cross: every byte arrives at its own peer or the
/// tunnel is closed, no pooled array is returned twice, and a failure in one direction ends both. The rents that fail are
/// those of the copying path's growing buffer, so these relays copy (no splice on Linux).
/// </summary>
public class RelayFailureTests
{
    internal const int BytesPerDirection = 1024 * 1024;

    // Long enough for a loaded 2-core machine; a relay that hangs fails here instead of hanging the run.
    private static CancellationToken Failsafe() => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    [Fact]
    public async Task Under_failing_rents_many_tunnels_fail_or_finish_but_never_cross()
    {
        // A pool that really reuses arrays, so an array returned twice would be handed to two tunnels at once.
        var pool = new FailingPool(failEvery: 3);
        const int tunnels = 24;
        var runs = new Task<TunnelOutcome>[tunnels];
        for (int i = 0; i < tunnels; i++)
        {
            runs[i] = RunTaggedTunnelAsync(i, pool);
        }

        TunnelOutcome[] outcomes = await Task.WhenAll(runs).WaitAsync(Failsafe());

        Assert.True(pool.Failures > 0, "the pool never failed a rent: the test proved nothing");
        Assert.Empty(pool.Violations);
        Assert.Equal(0, pool.Outstanding); // every rented array came back, once
        foreach (TunnelOutcome outcome in outcomes)
        {
            // Whatever arrived is a prefix of what this tunnel's own peer sent (checked byte by byte while reading).
            Assert.Null(outcome.Foreign);
            if (outcome.Result.Error is not null)
            {
                Assert.IsType<OutOfMemoryException>(outcome.Result.Error);
            }
            else
            {
                Assert.Equal(BytesPerDirection, outcome.ToTarget);
                Assert.Equal(BytesPerDirection, outcome.ToClient);
            }
        }

        Assert.Contains(outcomes, o => o.Result.Error is OutOfMemoryException);
    }

    [Fact]
    public async Task A_failed_rent_in_one_direction_closes_the_idle_other_direction_too()
    {
        var pool = new FailingPool(failEvery: 1); // every rent past the first size fails
        using RelaySides sides = await RelaySides.OpenAsync();
        Task<RelayResult> relay = Socks5Relay.RunAsync(sides.First, sides.Second, new RelaySettings { Pool = pool, Splice = false }, Failsafe());

        // Only the client sends, enough to fill the smallest buffer and ask for a larger one; the target never sends, so
        // the other direction waits idle until the failure ends the tunnel.
        Task sending = SendIgnoringFailureAsync(sides.ClientSide, new byte[BytesPerDirection]);
        byte[] sink = new byte[64 * 1024];
        try
        {
            while (await sides.TargetSide.ReceiveAsync(sink, SocketFlags.None, Failsafe()) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // A reset is an end too.
        }

        RelayResult result = await relay.WaitAsync(Failsafe());
        await sending.WaitAsync(Failsafe());
        Assert.IsType<OutOfMemoryException>(result.Error);
        // The client's side of the tunnel was shut as well: its read ends instead of waiting for ever.
        Assert.Equal(0, await ReceiveOrZeroAsync(sides.ClientSide, sink));
        Assert.Empty(pool.Violations);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public async Task An_unexpected_exception_from_a_pipe_ends_both_directions_of_the_pipe_relay()
    {
        using RelaySides sides = await RelaySides.OpenAsync();
        var broken = new BrokenWriterPipe();
        Task<RelayResult> relay = Socks5Relay.RunAsync(sides.First, broken, Failsafe());

        // Bytes from the client reach the broken writer, which throws; the reverse direction (the broken pipe's input,
        // which never ends by itself) must be stopped too.
        await sides.ClientSide.SendAsync("hello"u8.ToArray(), SocketFlags.None);
        RelayResult result = await relay.WaitAsync(Failsafe());

        Assert.IsType<NotSupportedException>(result.Error);
        Assert.Equal(0, await ReceiveOrZeroAsync(sides.ClientSide, new byte[16]));
    }

    private static async Task<int> ReceiveOrZeroAsync(Socket socket, byte[] buffer)
    {
        try
        {
            return await socket.ReceiveAsync(buffer, SocketFlags.None, Failsafe());
        }
        catch (SocketException)
        {
            return 0;
        }
    }

    private static async Task SendIgnoringFailureAsync(Socket socket, byte[] data)
    {
        try
        {
            await socket.SendAsync(data, SocketFlags.None, Failsafe());
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The relay closed the tunnel under the send.
        }
    }

    // One tunnel: the client and the target each send their own tagged megabyte and check, byte by byte, that what they
    // receive is exactly what the other end sent, as far as it got.
    private static async Task<TunnelOutcome> RunTaggedTunnelAsync(int id, ArrayPool<byte> pool)
    {
        using RelaySides sides = await RelaySides.OpenAsync();
        byte[] fromClient = Tagged(id, 0);
        byte[] fromTarget = Tagged(id, 1);
        Task<RelayResult> relay = Socks5Relay.RunAsync(sides.First, sides.Second, new RelaySettings { Pool = pool, Splice = false }, Failsafe());
        Task clientSends = SendIgnoringFailureAsync(sides.ClientSide, fromClient);
        Task targetSends = SendIgnoringFailureAsync(sides.TargetSide, fromTarget);
        Task<(int Count, string? Foreign)> targetReceives = ReceiveCheckedAsync(sides.TargetSide, fromClient);
        Task<(int Count, string? Foreign)> clientReceives = ReceiveCheckedAsync(sides.ClientSide, fromTarget);
        await Task.WhenAll(clientSends, targetSends);
        (int toTarget, string? foreignAtTarget) = await targetReceives;
        (int toClient, string? foreignAtClient) = await clientReceives;
        RelayResult result = await relay;
        return new TunnelOutcome(result, toTarget, toClient, foreignAtTarget ?? foreignAtClient);
    }

    private static async Task<(int Count, string? Foreign)> ReceiveCheckedAsync(Socket socket, byte[] expected)
    {
        byte[] buffer = new byte[64 * 1024];
        int count = 0;
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, Failsafe())) > 0)
            {
                if (count + read > expected.Length || !buffer.AsSpan(0, read).SequenceEqual(expected.AsSpan(count, read)))
                {
                    return (count, $"bytes at offset {count} are not the ones this tunnel's peer sent");
                }

                count += read;
            }
        }
        catch (SocketException)
        {
            // The relay reset the tunnel: what arrived before is still checked.
        }

        return (count, null);
    }

    // Eight-byte blocks: the tunnel and direction, then the block number, so a byte from any other stream differs.
    internal static byte[] Tagged(int id, int direction)
    {
        byte[] data = new byte[BytesPerDirection];
        for (int offset = 0; offset < data.Length; offset += 8)
        {
            BitConverter.TryWriteBytes(data.AsSpan(offset), (id * 2) + direction + 1);
            BitConverter.TryWriteBytes(data.AsSpan(offset + 4), offset / 8);
        }

        return data;
    }

    private sealed record TunnelOutcome(RelayResult Result, int ToTarget, int ToClient, string? Foreign);

    /// <summary>A duplex pipe whose input never ends and whose output throws what no transport documents.</summary>
    private sealed class BrokenWriterPipe : IDuplexPipe
    {
        private readonly Pipe _input = new();

        public PipeReader Input => _input.Reader;

        public PipeWriter Output { get; } = new ThrowingWriter();

        private sealed class ThrowingWriter : PipeWriter
        {
            public override void Advance(int bytes) => throw new NotSupportedException("injected");

            public override Memory<byte> GetMemory(int sizeHint = 0) => throw new NotSupportedException("injected");

            public override Span<byte> GetSpan(int sizeHint = 0) => throw new NotSupportedException("injected");

            public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) =>
                throw new NotSupportedException("injected");

            public override void CancelPendingFlush()
            {
            }

            public override void Complete(Exception? exception = null)
            {
            }

            public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => default;
        }
    }
}
