using System.Buffers;
using FsCheck;
using FsCheck.Xunit;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Engine;

/// <summary>
/// Each engine reads its peer's whole RFC 1961 transcript (contexts of one to four legs, then the request or replies, then
/// early tunnel data) cut every way: whole, at every offset, one byte at a time, and where FsCheck chooses. As the engine
/// contract allows, an engine is called again only when new bytes arrive, and each NeedMoreData is checked: offered the
/// same bytes again, the engine must find nothing to do. The answers must be the RFC's and the tunnel bytes must survive.
/// </summary>
public class GssapiTranscriptTests
{
    public static TheoryData<int, Command> Contexts()
    {
        var data = new TheoryData<int, Command>();
        for (int legs = 1; legs <= 4; legs++)
        {
            data.Add(legs, Command.Connect);
            data.Add(legs, Command.Bind);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Contexts))]
    public void Each_engine_reads_its_peers_transcript_cut_anywhere(int legs, Command command)
    {
        Transcript t = Transcripts.Gssapi(legs, command, Transcripts.LongHost);
        foreach (int[] chunks in EveryCut(t.FromClient.Length + Transcripts.Up.Length))
        {
            CheckServer(t, chunks);
        }

        foreach (int[] chunks in EveryCut(t.FromServer.Length + Transcripts.Down.Length))
        {
            CheckClient(t, chunks);
        }
    }

    [Property(MaxTest = 300)]
    public void Both_engines_read_their_peers_transcript_in_any_chunks(byte legs, bool bind, PositiveInt[] chunks)
    {
        Transcript t = Transcripts.Gssapi(1 + legs % 4, bind ? Command.Bind : Command.Connect, "localhost");
        int[] sizes = chunks is { Length: > 0 } ? chunks.Select(c => c.Get).ToArray() : new[] { int.MaxValue };
        CheckServer(t, sizes);
        CheckClient(t, sizes);
    }

    [Fact]
    public void Tokens_of_the_largest_size_are_read_by_both_engines_in_small_chunks()
    {
        // 65,535-byte tokens, the RFC's limit, each followed by more messages.
        Transcript t = Transcripts.Gssapi(3, Command.Connect, "localhost", padding: GssapiMessage.MaxTokenLength - 2);
        CheckServer(t, new[] { 4096, 1, 7 });
        CheckClient(t, new[] { 4096, 1, 7 });
    }

    private static IEnumerable<int[]> EveryCut(int length)
    {
        yield return new[] { length };
        yield return new[] { 1 };
        for (int i = 1; i < length; i++)
        {
            yield return new[] { i, length };
        }
    }

    private static void CheckServer(Transcript t, int[] chunks)
    {
        Socks5ServerEngine engine = t.CreateServer(out FakeGssapiContext? context);
        var output = new ArrayBufferWriter<byte>();
        byte[] bound = new byte[Socks5EndPoint.MaxAddressLength];
        byte[] left = Feed(t.FromClient.Concat(Transcripts.Up).ToArray(), chunks, output, input =>
        {
            ServerEvent e = engine.Process(input, output, out int used);
            while (e is ServerEvent.RequestReceived or ServerEvent.SecondReplyRequired)
            {
                e = engine.Reply(ReplyCode.Succeeded, Socks5EndPoint.FromIPEndPoint(EngineHarness.BoundEndPoint, bound), output);
            }

            return (used, e == ServerEvent.NeedMoreData);
        });

        Assert.True(engine.State == ServerEngineState.Established, $"{t}, chunks {Describe(chunks)}: the server stopped in {engine.State} ({engine.Failure})");
        Assert.Equal(Hex(t.FromServer), Hex(output.WrittenSpan));
        Assert.Equal(Hex(Transcripts.Up), Hex(left));
        Assert.Equal(FakeGssapiContext.TokensSeenOnSuccess(isServer: true, t.GssapiLegs, t.Padding), context!.TokensSeen);
    }

    private static void CheckClient(Transcript t, int[] chunks)
    {
        Socks5ClientEngine engine = t.CreateClient(out FakeGssapiContext? context);
        var output = new ArrayBufferWriter<byte>();
        engine.Start(output);
        byte[] left = Feed(t.FromServer.Concat(Transcripts.Down).ToArray(), chunks, output, input =>
        {
            int consumed = 0;
            ClientEvent e;
            do
            {
                e = engine.Process(input.AsSpan(consumed), output, out int used);
                consumed += used;
            }
            while (e == ClientEvent.FirstReplyReceived);

            return (consumed, e == ClientEvent.NeedMoreData);
        });

        Assert.True(engine.State == ClientEngineState.Established, $"{t}, chunks {Describe(chunks)}: the client stopped in {engine.State} ({engine.Failure})");
        Assert.Equal(Hex(t.FromClient), Hex(output.WrittenSpan));
        Assert.Equal(Hex(Transcripts.Down), Hex(left));
        Assert.Equal(FakeGssapiContext.TokensSeenOnSuccess(isServer: false, t.GssapiLegs, t.Padding), context!.TokensSeen);
    }

    private static string Describe(int[] chunks) => string.Join(",", chunks.Take(8));

    /// <summary>
    /// Delivers <paramref name="input"/> chunk by chunk; after each chunk calls <paramref name="step"/> once with every
    /// unconsumed byte. Returns the bytes left when the step says it is done (the tunnel's), or what was left unread.
    /// </summary>
    private static byte[] Feed(byte[] input, int[] chunks, ArrayBufferWriter<byte> output, Func<byte[], (int Used, bool NeedMoreData)> step)
    {
        var inbox = new List<byte>();
        int offset = 0;
        for (int i = 0; offset < input.Length; i++)
        {
            int n = Math.Min(Math.Max(1, chunks[i % chunks.Length]), input.Length - offset);
            inbox.AddRange(input.AsSpan(offset, n).ToArray());
            offset += n;
            (int used, bool needMoreData) = step(inbox.ToArray());
            inbox.RemoveRange(0, used);
            if (!needMoreData)
            {
                inbox.AddRange(input.AsSpan(offset).ToArray());
                break;
            }

            // NeedMoreData promises that the bytes kept hold nothing the engine can act on yet.
            int written = output.WrittenCount;
            (used, needMoreData) = step(inbox.ToArray());
            Assert.True(needMoreData && used == 0 && output.WrittenCount == written,
                $"NeedMoreData was returned with {inbox.Count} unconsumed bytes the engine could act on");
        }

        return inbox.ToArray();
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);
}
