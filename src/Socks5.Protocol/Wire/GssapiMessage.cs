// RFC 1961 §3-§5: the GSSAPI sub-negotiation message, in both directions.
//
//   +------+------+------+.......................+
//   + ver  | mtyp | len  |       token           |
//   +------+------+------+.......................+
//   + 0x01 | 0x01 | 0x02 | up to 2^16 - 1 octets |
//   +------+------+------+.......................+
//
//   MTYP X'01' authentication, X'02' protection-level negotiation, X'03' encapsulated message.
//   An abort is only VER and MTYP:
//
//   +------+------+
//   + ver  | mtyp |
//   +------+------+
//   + 0x01 | 0xff |
//   +------+------+
using System;
using System.Buffers;
using System.Buffers.Binary;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Wire;

/// <summary>
/// An RFC 1961 GSSAPI message. Tokens can reach 65,535 bytes, so the sequence parser hands the token back as a
/// slice of the input instead of copying it.
/// </summary>
public readonly ref struct GssapiMessage
{
    /// <summary>VER of the RFC 1961 sub-negotiation.</summary>
    public const byte Version = 1;

    /// <summary>VER, MTYP and LEN.</summary>
    public const int HeaderLength = 4;

    /// <summary>The length of an abort message: VER and MTYP.</summary>
    public const int AbortLength = 2;

    /// <summary>The largest token LEN can describe.</summary>
    public const int MaxTokenLength = ushort.MaxValue;

    private GssapiMessage(GssapiMessageType messageType, ReadOnlySpan<byte> token)
    {
        MessageType = messageType;
        Token = token;
    }

    /// <summary>MTYP.</summary>
    public GssapiMessageType MessageType { get; }

    /// <summary>The token (empty for an abort).</summary>
    public ReadOnlySpan<byte> Token { get; }

    /// <summary>Parses a message whose token may have up to 65,535 bytes.</summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="message">The message, referring to <paramref name="source"/>, when <c>Done</c>.</param>
    /// <param name="bytesConsumed">The message's length when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">Why, when <c>InvalidData</c> (see the overload with a limit).</param>
    /// <returns><c>Done</c>, <c>NeedMoreData</c> or <c>InvalidData</c>. Only <c>Done</c> consumes anything.</returns>
    public static OperationStatus TryParse(ReadOnlySpan<byte> source, out GssapiMessage message, out int bytesConsumed, out ParseError error) =>
        TryParse(source, MaxTokenLength, out message, out bytesConsumed, out error);

    /// <summary>Parses a message from the start of <paramref name="source"/>.</summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="maxTokenLength">The largest token to accept; a larger LEN is refused as soon as it is read.</param>
    /// <param name="message">The message, referring to <paramref name="source"/>, when <c>Done</c>.</param>
    /// <param name="bytesConsumed">The message's length when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">
    /// Why, when <c>InvalidData</c>: <see cref="ParseError.UnsupportedVersion"/> (VER is not 1),
    /// <see cref="ParseError.UnknownGssapiMessageType"/>, or <see cref="ParseError.GssapiTokenTooLong"/>.
    /// </param>
    /// <returns><c>Done</c>, <c>NeedMoreData</c> or <c>InvalidData</c>. Only <c>Done</c> consumes anything.</returns>
    public static OperationStatus TryParse(ReadOnlySpan<byte> source, int maxTokenLength, out GssapiMessage message, out int bytesConsumed, out ParseError error)
    {
        message = default;
        OperationStatus status = TryParseHeader(source, maxTokenLength, out GssapiMessageType type, out int tokenLength, out int headerLength, out error);
        bytesConsumed = 0;
        if (status != OperationStatus.Done)
        {
            return status;
        }

        if (source.Length < headerLength + tokenLength)
        {
            return OperationStatus.NeedMoreData;
        }

        message = new GssapiMessage(type, source.Slice(headerLength, tokenLength));
        bytesConsumed = headerLength + tokenLength;
        return OperationStatus.Done;
    }

    /// <summary>
    /// Parses a message from the start of <paramref name="source"/>, giving the token as a slice of the sequence (no copy).
    /// </summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="maxTokenLength">The largest token to accept; a larger LEN is refused as soon as it is read.</param>
    /// <param name="messageType">MTYP when <c>Done</c>.</param>
    /// <param name="token">The token, a slice of <paramref name="source"/>, when <c>Done</c>.</param>
    /// <param name="bytesConsumed">The message's length when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">Why, when <c>InvalidData</c> (see the span overload).</param>
    /// <returns>As the span overload.</returns>
    public static OperationStatus TryParse(in ReadOnlySequence<byte> source, int maxTokenLength, out GssapiMessageType messageType, out ReadOnlySequence<byte> token, out int bytesConsumed, out ParseError error)
    {
        token = default;
        bytesConsumed = 0;
        ReadOnlySpan<byte> head = SequenceHelper.GetSpan(source, stackalloc byte[HeaderLength], HeaderLength);
        OperationStatus status = TryParseHeader(head, maxTokenLength, out messageType, out int tokenLength, out int headerLength, out error);
        if (status != OperationStatus.Done)
        {
            return status;
        }

        if (source.Length < headerLength + tokenLength)
        {
            messageType = default;
            return OperationStatus.NeedMoreData;
        }

        token = source.Slice(headerLength, tokenLength);
        bytesConsumed = headerLength + tokenLength;
        return OperationStatus.Done;
    }

    /// <summary>The length of a message of this type with a token of <paramref name="tokenLength"/> bytes.</summary>
    /// <param name="messageType">MTYP.</param>
    /// <param name="tokenLength">0 for an abort; 0 to 65,535 otherwise.</param>
    /// <returns>2 for an abort, 4 plus the token's length otherwise.</returns>
    /// <exception cref="ArgumentException">An unknown type, an abort with a token, or a token over 65,535 bytes.</exception>
    public static int GetLength(GssapiMessageType messageType, int tokenLength)
    {
        switch (messageType)
        {
            case GssapiMessageType.Abort:
                if (tokenLength != 0)
                {
                    ThrowHelper.ThrowArgument("An RFC 1961 abort carries no token.", "token");
                }

                return AbortLength;
            case GssapiMessageType.Authentication:
            case GssapiMessageType.ProtectionLevelNegotiation:
            case GssapiMessageType.EncapsulatedMessage:
                if (tokenLength is < 0 or > MaxTokenLength)
                {
                    ThrowHelper.ThrowArgument($"An RFC 1961 token has at most 65,535 bytes, not {tokenLength}.", "token");
                }

                return HeaderLength + tokenLength;
            default:
                ThrowHelper.ThrowArgument($"MTYP {(byte)messageType:X2} is not an RFC 1961 message type.", nameof(messageType));
                return 0;
        }
    }

    /// <summary>Writes a message.</summary>
    /// <param name="messageType">MTYP.</param>
    /// <param name="token">The token; empty for an abort.</param>
    /// <param name="destination">Where to write.</param>
    /// <param name="bytesWritten">The bytes written; 0 when false.</param>
    /// <returns>False, with nothing written, when the destination is too small.</returns>
    /// <exception cref="ArgumentException">An unknown type, an abort with a token, or a token over 65,535 bytes (nothing is written).</exception>
    public static bool TryWrite(GssapiMessageType messageType, ReadOnlySpan<byte> token, Span<byte> destination, out int bytesWritten)
    {
        int length = GetLength(messageType, token.Length);
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }

        destination[0] = Version;
        destination[1] = (byte)messageType;
        if (messageType != GssapiMessageType.Abort)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2), (ushort)token.Length);
            token.CopyTo(destination.Slice(HeaderLength));
        }

        bytesWritten = length;
        return true;
    }

    /// <summary>Writes a message to <paramref name="writer"/>.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="messageType">MTYP.</param>
    /// <param name="token">The token; empty for an abort.</param>
    /// <returns>The bytes written.</returns>
    /// <exception cref="ArgumentException">An unknown type, an abort with a token, or a token over 65,535 bytes (nothing is written).</exception>
    public static int Write(IBufferWriter<byte> writer, GssapiMessageType messageType, ReadOnlySpan<byte> token)
    {
        int length = GetLength(messageType, token.Length);
        bool ok = TryWrite(messageType, token, BufferWriterHelper.GetSpan(writer, length), out int written);
        return BufferWriterHelper.Commit(writer, ok, written);
    }

    // Reads VER, MTYP and (unless an abort) LEN, and checks LEN against the limit before the token arrives.
    private static OperationStatus TryParseHeader(ReadOnlySpan<byte> source, int maxTokenLength, out GssapiMessageType type, out int tokenLength, out int headerLength, out ParseError error)
    {
        type = default;
        tokenLength = 0;
        headerLength = 0;
        error = ParseError.None;
        if (source.IsEmpty)
        {
            return OperationStatus.NeedMoreData;
        }

        if (source[0] != Version)
        {
            error = ParseError.UnsupportedVersion;
            return OperationStatus.InvalidData;
        }

        if (source.Length < 2)
        {
            return OperationStatus.NeedMoreData;
        }

        var mtyp = (GssapiMessageType)source[1];
        switch (mtyp)
        {
            case GssapiMessageType.Abort:
                type = mtyp;
                headerLength = AbortLength;
                return OperationStatus.Done;
            case GssapiMessageType.Authentication:
            case GssapiMessageType.ProtectionLevelNegotiation:
            case GssapiMessageType.EncapsulatedMessage:
                break;
            default:
                error = ParseError.UnknownGssapiMessageType;
                return OperationStatus.InvalidData;
        }

        if (source.Length < HeaderLength)
        {
            return OperationStatus.NeedMoreData;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(source.Slice(2));
        if (length > maxTokenLength)
        {
            error = ParseError.GssapiTokenTooLong;
            return OperationStatus.InvalidData;
        }

        type = mtyp;
        tokenLength = length;
        headerLength = HeaderLength;
        return OperationStatus.Done;
    }
}
