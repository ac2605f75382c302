using System;

namespace Socks5.Protocol.Internal;

internal static class SpanExtensions
{
    /// <summary>The index of the first byte that is not 0, or -1 (IndexOfAnyExcept is not in netstandard2.0).</summary>
    public static int IndexOfAnyExcept0(this ReadOnlySpan<byte> span)
    {
#if NET
        return span.IndexOfAnyExcept((byte)0);
#else
        for (int i = 0; i < span.Length; i++)
        {
            if (span[i] != 0)
            {
                return i;
            }
        }

        return -1;
#endif
    }
}
