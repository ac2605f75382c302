using System.Buffers;
using System;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Wire;

/// <summary>
/// The shape shared by the request (VER, CMD, RSV, address) and the reply (VER, REP, RSV, address) of RFC 1928.
/// </summary>
internal static class AddressedMessage
{
    public const int HeaderLength = 3;

    /// <summary>VER, the field, RSV and the largest address.</summary>
    public const int MaxLength = HeaderLength + Socks5EndPoint.MaxEncodedLength;

    public static OperationStatus TryParse(ReadOnlySpan<byte> source, out byte field, out Socks5EndPoint endPoint, out int bytesConsumed, out ParseError error)
    {
        field = 0;
        endPoint = default;
        bytesConsumed = 0;
        error = ParseError.None;
        if (source.IsEmpty)
        {
            return OperationStatus.NeedMoreData;
        }

        if (source[0] != Socks5Constants.Version)
        {
            error = ParseError.UnsupportedVersion;
            return OperationStatus.InvalidData;
        }

        if (source.Length < HeaderLength)
        {
            return OperationStatus.NeedMoreData;
        }

        if (source[2] != 0)
        {
            error = ParseError.NonZeroReserved;
            return OperationStatus.InvalidData;
        }

        OperationStatus status = Socks5EndPoint.TryParse(source.Slice(HeaderLength), out endPoint, out int addressLength, out error);
        if (status != OperationStatus.Done)
        {
            return status;
        }

        field = source[1];
        bytesConsumed = HeaderLength + addressLength;
        return OperationStatus.Done;
    }

    public static int GetLength(in Socks5EndPoint endPoint)
    {
        endPoint.ThrowIfDefault();
        return HeaderLength + endPoint.EncodedLength;
    }

    public static bool TryWrite(byte field, in Socks5EndPoint endPoint, Span<byte> destination, out int bytesWritten)
    {
        int length = GetLength(endPoint);
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }

        destination[0] = Socks5Constants.Version;
        destination[1] = field;
        destination[2] = 0;
        endPoint.WriteValidated(destination.Slice(HeaderLength));
        bytesWritten = length;
        return true;
    }

    public static int Write(IBufferWriter<byte> writer, byte field, in Socks5EndPoint endPoint)
    {
        int length = GetLength(endPoint);
        bool ok = TryWrite(field, endPoint, BufferWriterHelper.GetSpan(writer, length), out int written);
        return BufferWriterHelper.Commit(writer, ok, written);
    }
}
