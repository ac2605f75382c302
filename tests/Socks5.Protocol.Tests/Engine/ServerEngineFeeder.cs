using System.Buffers;
using Socks5.Protocol.Engine;

namespace Socks5.Protocol.Tests.Engine;

/// <summary>
/// Feeds a server engine its input in chunks, as a socket would deliver it: after each chunk the engine is shown every
/// byte it has not consumed, and the host's answers (credentials, reply) are given as soon as it asks.
/// </summary>
public static class ServerEngineFeeder
{
    public delegate ServerEvent Step(ReadOnlySpan<byte> input, IBufferWriter<byte> output, out int consumed, bool isFinalBlock);

    /// <summary>The events, all bytes written, and the bytes left unconsumed when the engine finished (or the input ran out).</summary>
    public static (List<ServerEvent> Events, byte[] Output, byte[] Left) Run(
        byte[] input, int chunk, Step process, Func<ServerEvent, IBufferWriter<byte>, ServerEvent> answer, bool closeAtEnd = false)
    {
        var events = new List<ServerEvent>();
        var output = new ArrayBufferWriter<byte>();
        var inbox = new List<byte>();
        int offset = 0;
        do
        {
            inbox.AddRange(input.Skip(offset).Take(chunk));
            offset += chunk;
            bool final = closeAtEnd && offset >= input.Length;
            while (true)
            {
                ServerEvent e = process(inbox.ToArray(), output, out int used, final);
                inbox.RemoveRange(0, used);
                events.Add(e);
                bool answered = false;
                while (e is ServerEvent.CredentialsReceived or ServerEvent.RequestReceived)
                {
                    e = answer(e, output);
                    events.Add(e);
                    answered = true;
                }

                if (e is ServerEvent.Established or ServerEvent.MustClose)
                {
                    // What the engine left, then what had not arrived yet: all of it is the tunnel's.
                    return (events, output.WrittenSpan.ToArray(), inbox.Concat(input.AsSpan(Math.Min(offset, input.Length)).ToArray()).ToArray());
                }

                if (!answered && used == 0)
                {
                    break; // nothing new for the engine until more bytes come
                }
            }
        }
        while (offset < input.Length);

        return (events, output.WrittenSpan.ToArray(), inbox.ToArray());
    }

    /// <summary>The events without the NeedMoreData ones, which depend on how the input was split.</summary>
    public static ServerEvent[] Decisions(List<ServerEvent> events) => events.Where(e => e != ServerEvent.NeedMoreData).ToArray();

    /// <summary>The bytes 1000 runs of <paramref name="handshake"/> allocate on this thread, after 100 to warm up.</summary>
    public static long AllocatedInSteadyState(Action handshake)
    {
        for (int i = 0; i < 100; i++)
        {
            handshake();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            handshake();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
