using System.IO.Pipelines;

namespace Socks5.Protocol.Pipelines;

internal static class PipeWriterExtensions
{
    /// <summary>The unflushed byte count where the writer can tell it, otherwise -1 (flush to be safe).</summary>
    public static long UnflushedBytesOrUnknown(this PipeWriter writer) => writer.CanGetUnflushedBytes ? writer.UnflushedBytes : -1;
}
