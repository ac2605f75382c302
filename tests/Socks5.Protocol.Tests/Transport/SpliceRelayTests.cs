using System.Buffers;
using System.Net.Sockets;
using System.Security.Cryptography;
using Socks5.Protocol.Transport;
using Xunit;

namespace Socks5.Protocol.Tests.Transport;

/// <summary>
/// The relay's splice(2) path on Linux: bulk bursts move socket to pipe to socket, and the contract is the copying path's
/// (every byte in order, FIN passed on, a reset ends both). Each test checks that the path it means was taken, through the
/// process-wide counters, which only grow: tests running beside these can only add to them.
/// </summary>
public class SpliceRelayTests
{
    private static CancellationToken Timeout(int seconds = 60) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Fact]
    public void Splice_is_supported_on_Linux_x64_and_arm64_and_on_by_default_only_with_the_switch()
    {
        bool supported = OperatingSystem.IsLinux()
            && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture is System.Runtime.InteropServices.Architecture.X64 or System.Runtime.InteropServices.Architecture.Arm64;
        Assert.Equal(supported, LinuxSplice.IsSupported);
        Assert.Equal(supported && Environment.GetEnvironmentVariable(TestRelayMode.Variable) == "splice", LinuxSplice.IsEnabledByDefault);
        Assert.Equal(LinuxSplice.IsEnabledByDefault, new RelaySettings().Splice);
    }

    [Fact]
    public async Task Bulk_both_ways_is_spliced_and_arrives_whole()
    {
        if (!LinuxSplice.IsSupported)
        {
            return; // no splice(2) here: the copying path is what RelayTests covers
        }

        const int size = 24 * 1024 * 1024;
        using RelaySides sides = await RelaySides.OpenAsync();
        long splicedBefore = Interlocked.Read(ref LinuxSplice.SplicedBytes);
        Task<RelayResult> relay = Socks5Relay.RunAsync(sides.First, sides.Second, new RelaySettings { Splice = true }, Timeout());
        byte[] forward = RandomNumberGenerator.GetBytes(size);
        byte[] backward = RandomNumberGenerator.GetBytes(size);

        Task<byte[]> atTarget = ReadToEndAsync(sides.TargetSide, Timeout());
        Task<byte[]> atClient = ReadToEndAsync(sides.ClientSide, Timeout());
        await Task.WhenAll(SendAndFinishAsync(sides.ClientSide, forward), SendAndFinishAsync(sides.TargetSide, backward));

        Assert.Equal(SHA256.HashData(forward), SHA256.HashData(await atTarget));
        Assert.Equal(SHA256.HashData(backward), SHA256.HashData(await atClient));
        Assert.Equal(new RelayResult { BytesFromFirst = size, BytesFromSecond = size }, await relay.WaitAsync(Timeout()));
        // Most of it went through the pipes (only each burst's first receive is copied).
        Assert.True(Interlocked.Read(ref LinuxSplice.SplicedBytes) - splicedBefore > size, "the bulk transfer was not spliced");
    }

    [Fact]
    public async Task A_reader_slower_than_the_pipe_gets_every_byte_in_order()
    {
        if (!LinuxSplice.IsSupported)
        {
            return;
        }

        const int size = 8 * 1024 * 1024;
        using RelaySides sides = await RelaySides.OpenAsync();
        // Small buffers toward the target, so that the 8 MiB cannot all sit in the kernel on the way (loopback's own
        // grow to megabytes: once in CI every byte fitted and no splice ever had to wait).
        sides.Second.Socket.SendBufferSize = 64 * 1024;
        sides.TargetSide.ReceiveBufferSize = 64 * 1024;
        long bufferedBefore = Interlocked.Read(ref LinuxSplice.SentThroughBuffer);
        Task<RelayResult> relay = Socks5Relay.RunAsync(sides.First, sides.Second, new RelaySettings { Splice = true }, Timeout());
        byte[] data = RandomNumberGenerator.GetBytes(size);
        Task sending = SendAndFinishAsync(sides.ClientSide, data);

        // The target reads nothing at first: the socket buffers toward it fill, splicing into it would block, and what
        // sits in the pipe goes through the buffer and an ordinary send, which waits. Then it reads everything.
        CancellationToken waiting = Timeout();
        while (Interlocked.Read(ref LinuxSplice.SentThroughBuffer) == bufferedBefore && !sending.IsCompleted)
        {
            await Task.Delay(10, waiting);
        }

        var received = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await sides.TargetSide.ReceiveAsync(chunk, SocketFlags.None, Timeout())) > 0)
        {
            received.Write(chunk, 0, read);
        }

        await sending;
        sides.TargetSide.Shutdown(SocketShutdown.Send);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received.ToArray()));
        Assert.Equal(size, (await relay.WaitAsync(Timeout())).BytesFromFirst);
        Assert.True(Interlocked.Read(ref LinuxSplice.SentThroughBuffer) > bufferedBefore, "no splice into the target would have blocked");
    }

    [Fact]
    public async Task A_reset_during_a_spliced_burst_ends_both_directions_with_the_error()
    {
        if (!LinuxSplice.IsSupported)
        {
            return;
        }

        using RelaySides sides = await RelaySides.OpenAsync();
        Task<RelayResult> relay = Socks5Relay.RunAsync(sides.First, sides.Second, new RelaySettings { Splice = true }, Timeout());
        using var stopSending = new CancellationTokenSource();
        Task sending = Task.Run(async () =>
        {
            byte[] block = new byte[256 * 1024];
            try
            {
                while (!stopSending.IsCancellationRequested)
                {
                    await sides.ClientSide.SendAsync(block, SocketFlags.None, stopSending.Token);
                }
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                // The relay closed the client's side: the end this test waits for.
            }
        });

        // Let a burst get going, then reset the target with bytes in flight.
        var sink = new byte[1024 * 1024];
        long seen = 0;
        while (seen < 4 * 1024 * 1024)
        {
            seen += await sides.TargetSide.ReceiveAsync(sink, SocketFlags.None, Timeout());
        }

        sides.TargetSide.LingerState = new LingerOption(true, 0);
        sides.TargetSide.Dispose();
        RelayResult result = await relay.WaitAsync(Timeout());
        stopSending.Cancel();
        await sending.WaitAsync(Timeout());
        Assert.IsType<SocketException>(result.Error);
        Assert.True(result.BytesFromFirst >= seen);
    }

    private static async Task SendAndFinishAsync(Socket socket, byte[] data)
    {
        await socket.SendAsync(data, SocketFlags.None);
        socket.Shutdown(SocketShutdown.Send);
    }

    private static async Task<byte[]> ReadToEndAsync(Socket socket, CancellationToken cancellationToken)
    {
        var all = new MemoryStream();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(256 * 1024);
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
        {
            all.Write(buffer, 0, read);
        }

        ArrayPool<byte>.Shared.Return(buffer);
        return all.ToArray();
    }
}
