using System.Buffers;
using System;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Wire;

/// <summary>
/// The shape shared by the method selection message (VER 5, METHOD) and the RFC 1929 reply (VER 1, STATUS):
/// a version byte and one value.
/// </summary>
internal static class TwoByteMessage
{
    public const int Length = 2;

    public static OperationStatus TryParse(ReadOnlySpan<byte> source, byte version, out byte value, out int bytesConsumed, out ParseError error)
    {
        value = 0;
        bytesConsumed = 0;
        error = ParseError.None;
        if (source.IsEmpty)
        {
            return OperationStatus.NeedMoreData;
        }

        if (source[0] != version)
        {
            error = ParseError.UnsupportedVersion;
            return OperationStatus.InvalidData;
        }

        if (source.Length < Length)
        {
            return OperationStatus.NeedMoreData;
        }

        value = source[1];
        bytesConsumed = Length;
        return OperationStatus.Done;
    }

    public static bool TryWrite(byte version, byte value, Span<byte> destination, out int bytesWritten)
    {
        if (destination.Length < Length)
        {
            bytesWritten = 0;
            return false;
        }

        destination[0] = version;
        destination[1] = value;
        bytesWritten = Length;
        return true;
    }

    public static int Write(IBufferWriter<byte> writer, byte version, byte value)
    {
        bool ok = TryWrite(version, value, BufferWriterHelper.GetSpan(writer, Length), out int written);
        return BufferWriterHelper.Commit(writer, ok, written);
    }
}
