using System.Buffers;
using Socks5.Protocol.Engine;

namespace Socks5.Protocol.Tests.Engine;

/// <summary>Feeds a client engine a server's bytes in chunks, keeping what it did not consume, as a host does.</summary>
internal static class ClientEngineDriver
{
    public delegate ClientEvent Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output, out int bytesConsumed, bool isFinalBlock);

    /// <summary>
    /// Delivers <paramref name="fromServer"/> cut at <paramref name="cuts"/> (then closed when <paramref name="close"/>);
    /// returns the events that were not NeedMoreData and the bytes left unconsumed after the last one.
    /// </summary>
    public static (List<ClientEvent> Events, byte[] Unconsumed) Feed(Process process, byte[] fromServer, IEnumerable<int> cuts, bool close = false)
    {
        var output = new ArrayBufferWriter<byte>();
        var events = new List<ClientEvent>();
        var pending = new List<byte>();
        int offset = 0;
        foreach (int cut in cuts.Append(fromServer.Length))
        {
            pending.AddRange(fromServer.AsSpan(offset, cut - offset).ToArray());
            offset = cut;
            bool final = close && cut == fromServer.Length;
            while (true)
            {
                ClientEvent e = process(pending.ToArray(), output, out int consumed, final);
                pending.RemoveRange(0, consumed);
                if (e == ClientEvent.NeedMoreData)
                {
                    break;
                }

                events.Add(e);
                if (e is ClientEvent.Established or ClientEvent.MustClose)
                {
                    return (events, pending.Concat(fromServer.Skip(offset)).ToArray());
                }
            }
        }

        return (events, pending.ToArray());
    }

    /// <summary>Every way to cut <paramref name="length"/> bytes in two, plus one byte at a time.</summary>
    public static IEnumerable<int[]> Splits(int length)
    {
        yield return Array.Empty<int>();
        for (int i = 1; i < length; i++)
        {
            yield return new[] { i };
        }

        yield return Enumerable.Range(1, Math.Max(0, length - 1)).ToArray();
    }

    /// <summary>
    /// Runs <paramref name="exchange"/> on 1,100 engines made up front: after 100 to warm up, the other 1,000 allocate
    /// nothing on this thread.
    /// </summary>
    public static void AssertExchangesAllocateNothing<TEngine>(Func<TEngine> create, Action<TEngine, ArrayBufferWriter<byte>> exchange)
    {
        var engines = new TEngine[1100];
        for (int i = 0; i < engines.Length; i++)
        {
            engines[i] = create();
        }

        var output = new ArrayBufferWriter<byte>(1024);
        for (int i = 0; i < 100; i++)
        {
            output.Clear();
            exchange(engines[i], output);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 100; i < engines.Length; i++)
        {
            output.Clear();
            exchange(engines[i], output);
        }

        Xunit.Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
