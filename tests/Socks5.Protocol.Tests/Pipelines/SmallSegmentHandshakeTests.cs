using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Pipelines;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Tests.Engine;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Pipelines;

/// <summary>
/// The handshake adapters over a real <see cref="Pipe"/> whose peer pipelines a whole handshake in segments of every size
/// from one byte to the whole, as Kestrel or a TLS stream may deliver it: each handshake must complete, answer with the
/// RFC's bytes, and leave the early tunnel data in the reader. The peer writes either everything before the adapter reads,
/// or while it reads.
/// </summary>
public class SmallSegmentHandshakeTests
{
    private static readonly PipeOptions Unbounded = new(pauseWriterThreshold: 0, useSynchronizationContext: false);

    private static readonly Transcript[] All =
    {
        Transcripts.NoAuthentication(Command.Connect, Transcripts.LongHost),
        Transcripts.NoAuthentication(Command.Bind, "localhost"),
        Transcripts.UsernamePassword(Command.Connect, Transcripts.LongHost),
        Transcripts.Gssapi(1, Command.Connect, Transcripts.LongHost),
        Transcripts.Gssapi(2, Command.Connect, Transcripts.LongHost),
        Transcripts.Gssapi(3, Command.Bind, Transcripts.LongHost),
        Transcripts.Gssapi(4, Command.Connect, Transcripts.LongHost),
    };

    public static TheoryData<string, bool> Handshakes()
    {
        var data = new TheoryData<string, bool>();
        foreach (Transcript t in All)
        {
            data.Add(t.ToString(), true);
            data.Add(t.ToString(), false);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Handshakes))]
    public async Task Each_adapter_completes_a_pipelined_handshake_in_segments_of_any_size(string handshake, bool writtenFirst)
    {
        Transcript t = All.Single(t => t.ToString() == handshake);
        for (int segment = 1; segment <= t.FromClient.Length + Transcripts.Up.Length; segment++)
        {
            await RunAsync(t, server: true, segment, writtenFirst);
        }

        for (int segment = 1; segment <= t.FromServer.Length + Transcripts.Down.Length; segment++)
        {
            await RunAsync(t, server: false, segment, writtenFirst);
        }
    }

    // A 65,535-byte token fills the adapters' one-message window: what follows it must still be read.
    private const int LargestTokenPadding = GssapiMessage.MaxTokenLength - 2;

    [Fact]
    public Task Server_adapter_reads_a_largest_gssapi_token_and_what_follows_it_in_small_segments() =>
        RunAsync(Transcripts.Gssapi(1, Command.Connect, "localhost", LargestTokenPadding), server: true, 1024, writtenFirst: true);

    [Fact]
    public Task Client_adapter_reads_a_largest_gssapi_token_and_what_follows_it_in_small_segments() =>
        RunAsync(Transcripts.Gssapi(2, Command.Connect, "localhost", LargestTokenPadding), server: false, 1024, writtenFirst: true);

    // The peer closes right after its tunnel data: the engine is told so with bytes still to handle, in many segments of
    // which it sees one message's worth at a time. None of that may change the outcome.
    [Theory]
    [MemberData(nameof(Handshakes))]
    public async Task Each_adapter_completes_a_handshake_the_peer_closes_right_after(string handshake, bool writtenFirst)
    {
        Transcript t = All.Single(t => t.ToString() == handshake);
        foreach (int segment in new[] { 1, 7, t.FromClient.Length + Transcripts.Up.Length })
        {
            await RunAsync(t, server: true, segment, writtenFirst, closed: true);
        }

        foreach (int segment in new[] { 1, 7, t.FromServer.Length + Transcripts.Down.Length })
        {
            await RunAsync(t, server: false, segment, writtenFirst, closed: true);
        }
    }

    [Fact]
    public Task Server_adapter_reads_a_largest_gssapi_token_and_what_follows_it_when_the_client_closed() =>
        RunAsync(Transcripts.Gssapi(1, Command.Connect, "localhost", LargestTokenPadding), server: true, 1024, writtenFirst: true, closed: true);

    [Fact]
    public Task Client_adapter_reads_a_largest_gssapi_token_and_what_follows_it_when_the_proxy_closed() =>
        RunAsync(Transcripts.Gssapi(2, Command.Connect, "localhost", LargestTokenPadding), server: false, 1024, writtenFirst: true, closed: true);

    /// <summary>
    /// Runs one side's adapter while the other side's transcript and tunnel data arrive in <paramref name="segment"/>-byte
    /// segments (then, when <paramref name="closed"/>, the end of the stream); checks that it finished, sent its own
    /// transcript and left the peer's tunnel data unread.
    /// </summary>
    private static async Task RunAsync(Transcript t, bool server, int segment, bool writtenFirst, bool closed = false)
    {
        string how = $"{(server ? "server" : "client")} adapter, {t}, {segment}-byte segments, {(writtenFirst ? "all written first" : "written while read")}{(closed ? ", then closed" : "")}";
        byte[] tunnel = server ? Transcripts.Up : Transcripts.Down;
        using var failsafe = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var incoming = new Pipe(SmallSegments(segment));
        var outgoing = new Pipe(Unbounded);
        var transport = new HandshakeAdapterTests.DuplexPipe(incoming.Reader, outgoing.Writer);
        byte[] fromPeer = (server ? t.FromClient : t.FromServer).Concat(tunnel).ToArray();
        Task writing = Task.Run(async () =>
        {
            await WriteInSegmentsAsync(incoming.Writer, fromPeer, segment, failsafe.Token);
            if (closed)
            {
                await incoming.Writer.CompleteAsync();
            }
        });
        if (writtenFirst)
        {
            await writing;
        }

        string? failure;
        try
        {
            failure = server ? await ServeAsync(transport, t, failsafe.Token) : await ConnectAsync(transport, t, failsafe.Token);
        }
        catch (OperationCanceledException)
        {
            // The failsafe only turns a stall into a failure instead of a hung test run.
            Assert.Fail($"{how}: the handshake stalled");
            throw;
        }

        Assert.True(failure is null, $"{how}: {failure}");
        await writing;
        Assert.Equal(Hex(tunnel), Hex(await ReadToEndAsync(incoming, failsafe.Token)));
        Assert.Equal(Hex(server ? t.FromServer : t.FromClient), Hex(await ReadToEndAsync(outgoing, failsafe.Token)));
    }

    /// <summary>The server side, deciding as the transcript expects; null once established, else why not.</summary>
    private static async Task<string?> ServeAsync(IDuplexPipe transport, Transcript t, CancellationToken cancellationToken)
    {
        var handshake = new Socks5ServerHandshake(transport, t.CreateServer(out _));
        ServerEvent e = await handshake.ReadAsync(cancellationToken);
        while (e is not (ServerEvent.Established or ServerEvent.MustClose))
        {
            e = e == ServerEvent.CredentialsReceived
                ? await handshake.AcceptCredentialsAsync(
                    Encoding.ASCII.GetString(handshake.Engine.UserName) == Transcripts.User && Encoding.ASCII.GetString(handshake.Engine.Password) == Transcripts.Password,
                    cancellationToken)
                : await handshake.ReplyAsync(ReplyCode.Succeeded, EngineHarness.BoundEndPoint, cancellationToken);
        }

        return e == ServerEvent.Established ? null : $"{e} ({handshake.Engine.Failure})";
    }

    /// <summary>The client side; null once established, else why not.</summary>
    private static async Task<string?> ConnectAsync(IDuplexPipe transport, Transcript t, CancellationToken cancellationToken)
    {
        var handshake = new Socks5ClientHandshake(transport, t.CreateClient(out _));
        ClientEvent e;
        do
        {
            e = await handshake.RunAsync(cancellationToken);
        }
        while (e == ClientEvent.FirstReplyReceived);

        return e == ClientEvent.Established ? null : $"{e} ({handshake.Engine.Failure})";
    }

    /// <summary>Pipe options whose segments hold exactly <paramref name="size"/> bytes, so each write makes its own.</summary>
    private static PipeOptions SmallSegments(int size) =>
        new(pool: new ExactPool(), minimumSegmentSize: size, pauseWriterThreshold: 0, useSynchronizationContext: false);

    private static async Task WriteInSegmentsAsync(PipeWriter writer, byte[] bytes, int segment, CancellationToken cancellationToken)
    {
        for (int i = 0; i < bytes.Length; i += segment)
        {
            // WriteAsync flushes: each piece reaches the reader on its own.
            await writer.WriteAsync(bytes.AsMemory(i, Math.Min(segment, bytes.Length - i)), cancellationToken);
        }
    }

    /// <summary>Completes the pipe's writer, then reads what is left in it.</summary>
    private static async Task<byte[]> ReadToEndAsync(Pipe pipe, CancellationToken cancellationToken)
    {
        await pipe.Writer.CompleteAsync();
        PipeReader reader = pipe.Reader;
        var all = new List<byte>();
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken);
            all.AddRange(result.Buffer.ToArray());
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return all.ToArray();
            }
        }
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);

    /// <summary>Hands out blocks of exactly the size asked for (the shared pools round up to 16 bytes or more).</summary>
    private sealed class ExactPool : MemoryPool<byte>
    {
        public override int MaxBufferSize => int.MaxValue;

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1) => new Block(new byte[minBufferSize < 1 ? 4096 : minBufferSize]);

        protected override void Dispose(bool disposing)
        {
        }

        private sealed class Block(byte[] array) : IMemoryOwner<byte>
        {
            public Memory<byte> Memory { get; } = array;

            public void Dispose()
            {
            }
        }
    }
}
