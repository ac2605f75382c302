using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Socks5.Protocol.Pipelines;
using Socks5.Protocol.Transport;
using Xunit;

namespace Socks5.Protocol.Tests.Transport;

/// <summary>
/// <see cref="Socks5Relay"/> between loopback sockets: two <see cref="SocketPipe"/>s (relayed socket to socket) and a
/// socket with an in-memory pipe (relayed through the pipes), with the same contract.
/// </summary>
public class RelayTests
{
    private static CancellationToken Timeout(int seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private static async Task<byte[]> ReadToEndAsync(Socket socket, CancellationToken cancellationToken)
    {
        var all = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
        {
            all.Write(buffer, 0, read);
        }

        return all.ToArray();
    }

    [Fact]
    public async Task Bytes_the_reader_buffered_before_the_relay_go_first_and_nothing_is_lost()
    {
        using RelaySides sides = await RelaySides.OpenAsync();
        (SocketPipe first, SocketPipe second, Socket clientSide, Socket targetSide) = sides;

        // The handshake adapter reads these, looks at all of them and consumes none (as when the request and the
        // first tunnel bytes arrive together): they sit in the reader, examined.
        await clientSide.SendAsync("buffered|"u8.ToArray(), SocketFlags.None);
        ReadResult seen = await first.Input.ReadAsync(Timeout());
        while (seen.Buffer.Length < 9)
        {
            first.Input.AdvanceTo(seen.Buffer.Start, seen.Buffer.End);
            seen = await first.Input.ReadAsync(Timeout());
        }

        first.Input.AdvanceTo(seen.Buffer.Start, seen.Buffer.End);
        Task<RelayResult> relay = Socks5Relay.RunAsync(first, second, Timeout());

        await clientSide.SendAsync("then more"u8.ToArray(), SocketFlags.None);
        clientSide.Shutdown(SocketShutdown.Send);
        Assert.Equal("buffered|then more"u8.ToArray(), await ReadToEndAsync(targetSide, Timeout()));

        await targetSide.SendAsync("answer"u8.ToArray(), SocketFlags.None);
        targetSide.Shutdown(SocketShutdown.Send);
        Assert.Equal("answer"u8.ToArray(), await ReadToEndAsync(clientSide, Timeout()));

        RelayResult result = await relay.WaitAsync(Timeout());
        Assert.Equal(new RelayResult { BytesFromFirst = 18, BytesFromSecond = 6 }, result);
        Assert.Throws<InvalidOperationException>(() => first.Input);
    }

    [Fact]
    public async Task A_FIN_the_reader_already_saw_is_passed_on()
    {
        using RelaySides sides = await RelaySides.OpenAsync();
        (SocketPipe first, SocketPipe second, Socket clientSide, Socket targetSide) = sides;

        await clientSide.SendAsync("last words"u8.ToArray(), SocketFlags.None);
        clientSide.Shutdown(SocketShutdown.Send);
        ReadResult seen = await first.Input.ReadAsync(Timeout());
        while (!seen.IsCompleted)
        {
            first.Input.AdvanceTo(seen.Buffer.Start, seen.Buffer.End);
            seen = await first.Input.ReadAsync(Timeout());
        }

        first.Input.AdvanceTo(seen.Buffer.Start);
        Task<RelayResult> relay = Socks5Relay.RunAsync(first, second, Timeout());
        Assert.Equal("last words"u8.ToArray(), await ReadToEndAsync(targetSide, Timeout()));

        // The other direction still flows after that FIN.
        await targetSide.SendAsync("still heard"u8.ToArray(), SocketFlags.None);
        targetSide.Shutdown(SocketShutdown.Send);
        Assert.Equal("still heard"u8.ToArray(), await ReadToEndAsync(clientSide, Timeout()));
        Assert.Equal(new RelayResult { BytesFromFirst = 10, BytesFromSecond = 11 }, await relay.WaitAsync(Timeout()));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Sixteen_MiB_each_way_arrive_intact_socket_to_socket_and_through_a_pipe(bool bothSockets)
    {
        const int size = 16 * 1024 * 1024;
        using RelaySides sides = await RelaySides.OpenAsync();
        (SocketPipe first, SocketPipe second, Socket clientSide, Socket targetSide) = sides;

        // A wrapper that is not a SocketPipe takes the pipe relay.
        IDuplexPipe firstSide = bothSockets ? first : new Wrapped(first);
        Task<RelayResult> relay = Socks5Relay.RunAsync(firstSide, second, Timeout(120));
        var data = new byte[size];
        new Random(1928).NextBytes(data);
        Task sendForward = Task.Run(async () =>
        {
            await clientSide.SendAsync(data, SocketFlags.None);
            clientSide.Shutdown(SocketShutdown.Send);
        });
        Task sendBack = Task.Run(async () =>
        {
            await targetSide.SendAsync(data, SocketFlags.None);
            targetSide.Shutdown(SocketShutdown.Send);
        });
        Task<byte[]> atTarget = ReadToEndAsync(targetSide, Timeout(120));
        Task<byte[]> atClient = ReadToEndAsync(clientSide, Timeout(120));
        await Task.WhenAll(sendForward, sendBack);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(await atTarget));
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(await atClient));
        Assert.Equal(new RelayResult { BytesFromFirst = size, BytesFromSecond = size }, await relay.WaitAsync(Timeout()));
    }

    [Fact]
    public async Task A_reset_on_one_side_ends_both_directions()
    {
        using RelaySides sides = await RelaySides.OpenAsync();
        (SocketPipe first, SocketPipe second, Socket clientSide, Socket targetSide) = sides;

        Task<RelayResult> relay = Socks5Relay.RunAsync(first, second, Timeout());
        await clientSide.SendAsync("ping"u8.ToArray(), SocketFlags.None);
        var four = new byte[4];
        await new NetworkStream(targetSide).ReadExactlyAsync(four, Timeout());
        Assert.Equal("ping"u8.ToArray(), four);

        targetSide.LingerState = new LingerOption(true, 0); // close with a RST
        targetSide.Dispose();
        RelayResult result = await relay.WaitAsync(Timeout());
        Assert.Equal(4, result.BytesFromFirst);

        // The client's side was closed too: its read ends (a FIN or a reset), it does not hang.
        var buffer = new byte[16];
        int read;
        try
        {
            read = await clientSide.ReceiveAsync(buffer, SocketFlags.None, Timeout());
        }
        catch (SocketException)
        {
            read = 0;
        }

        Assert.Equal(0, read);
    }

    [Fact]
    public async Task Cancelling_ends_an_idle_relay_and_closes_both_sockets()
    {
        using RelaySides sides = await RelaySides.OpenAsync();
        (SocketPipe first, SocketPipe second, Socket clientSide, Socket targetSide) = sides;

        using var stop = new CancellationTokenSource();
        Task<RelayResult> relay = Socks5Relay.RunAsync(first, second, stop.Token);
        await Task.Delay(50);
        Assert.False(relay.IsCompleted);
        stop.Cancel();
        Assert.Equal(new RelayResult { BytesFromFirst = 0, BytesFromSecond = 0 }, await relay.WaitAsync(Timeout()));
        Assert.Empty(await ReadToEndOrResetAsync(clientSide));
        Assert.Empty(await ReadToEndOrResetAsync(targetSide));
    }

    [Fact]
    public async Task Cancelling_ends_a_relay_stuck_sending_to_a_peer_that_does_not_read()
    {
        using RelaySides sides = await RelaySides.OpenAsync();
        (SocketPipe first, SocketPipe second, Socket clientSide, Socket targetSide) = sides;

        using var stop = new CancellationTokenSource();
        Task<RelayResult> relay = Socks5Relay.RunAsync(first, second, stop.Token);
        clientSide.Blocking = false;
        var chunk = new byte[64 * 1024];
        long sent = 0;
        // Fill every buffer on the way until the client can send no more: the relay is blocked in a send.
        for (int idle = 0; idle < 20; )
        {
            int n = clientSide.Send(chunk, 0, chunk.Length, SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock)
            {
                idle++;
                await Task.Delay(10);
                continue;
            }

            Assert.Equal(SocketError.Success, error);
            sent += n;
        }

        Assert.False(relay.IsCompleted);
        stop.Cancel();
        RelayResult result = await relay.WaitAsync(Timeout());
        Assert.InRange(result.BytesFromFirst, 1, sent);
    }

    [Fact]
    public async Task Idle_timeout_ends_a_silent_relay()
    {
        using RelaySides sides = await RelaySides.OpenAsync();
        (SocketPipe first, SocketPipe second, Socket clientSide, Socket targetSide) = sides;

        // On the wall clock: long enough that a loaded machine still relays the byte within one idle period.
        Task<RelayResult> relay = Socks5Relay.RunAsync(first, second, TimeSpan.FromSeconds(1), Timeout());
        await clientSide.SendAsync("x"u8.ToArray(), SocketFlags.None);
        Assert.Equal(new RelayResult { BytesFromFirst = 1, BytesFromSecond = 0 }, await relay.WaitAsync(Timeout()));
        Assert.Equal("x"u8.ToArray(), await ReadToEndOrResetAsync(targetSide));
    }

    [Fact]
    public async Task Idle_timeout_runs_on_the_given_clock_and_not_on_the_wall_clock()
    {
        using RelaySides sides = await RelaySides.OpenAsync();
        var clock = new Socks5.Protocol.Tests.Server.ManualTimeProvider();
        Task<RelayResult> relay = Socks5Relay.RunAsync(sides.First, sides.Second, new RelaySettings { IdleTimeout = TimeSpan.FromMinutes(5), Clock = clock }, Timeout());

        // Real time passes, the clock does not: the tunnel stays up and still carries bytes.
        await sides.ClientSide.SendAsync("a"u8.ToArray(), SocketFlags.None);
        byte[] one = new byte[1];
        Assert.Equal(1, await sides.TargetSide.ReceiveAsync(one, SocketFlags.None, Timeout()));
        await Task.Delay(300);
        Assert.False(relay.IsCompleted);

        // Five silent minutes on the clock end it, at once.
        for (int i = 0; i < 40 && !relay.IsCompleted; i++)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            await Task.WhenAny(relay, Task.Delay(50));
        }

        Assert.Equal(new RelayResult { BytesFromFirst = 1, BytesFromSecond = 0 }, await relay.WaitAsync(Timeout()));
    }

    private static async Task<byte[]> ReadToEndOrResetAsync(Socket socket)
    {
        try
        {
            return await ReadToEndAsync(socket, Timeout());
        }
        catch (SocketException)
        {
            return [];
        }
    }

    // Two pairs: the relay's two SocketPipes, and the client's and the target's ends that the test talks through.
    private sealed class Wrapped(IDuplexPipe inner) : IDuplexPipe
    {
        public PipeReader Input => inner.Input;

        public PipeWriter Output => inner.Output;
    }
}
