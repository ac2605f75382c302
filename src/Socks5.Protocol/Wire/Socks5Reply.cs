// RFC 1928 §6: the reply, server to client (twice for BIND: when listening, then when the peer connects).
//
//   +----+-----+-------+------+----------+----------+
//   |VER | REP |  RSV  | ATYP | BND.ADDR | BND.PORT |
//   +----+-----+-------+------+----------+----------+
//   | 1  |  1  | X'00' |  1   | Variable |    2     |
//   +----+-----+-------+------+----------+----------+
//
//   REP X'00' succeeded, X'01' general failure ... X'08' address type not supported; see ReplyCode.
using System;
using System.Buffers;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Wire;

/// <summary>
/// A SOCKS5 reply (RFC 1928 §6): the outcome of a request and the bound address.
/// </summary>
public readonly ref struct Socks5Reply
{
    /// <summary>The largest reply: VER, the field, RSV, ATYP, a 255-byte name with its length byte, and the port.</summary>
    public const int MaxLength = AddressedMessage.MaxLength;

    /// <summary>Creates a reply.</summary>
    /// <param name="replyCode">REP: the outcome, kept raw (servers send values the RFC does not name).</param>
    /// <param name="boundAddress">BND.ADDR and BND.PORT.</param>
    public Socks5Reply(ReplyCode replyCode, Socks5EndPoint boundAddress)
    {
        ReplyCode = replyCode;
        BoundAddress = boundAddress;
    }

    /// <summary>REP: the outcome, kept raw (servers send values the RFC does not name).</summary>
    public ReplyCode ReplyCode { get; }

    /// <summary>BND.ADDR and BND.PORT.</summary>
    public Socks5EndPoint BoundAddress { get; }

    /// <summary>Parses a reply from the start of <paramref name="source"/>.</summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="reply">The reply, referring to <paramref name="source"/>, when <c>Done</c>.</param>
    /// <param name="bytesConsumed">The reply's length when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">
    /// Why, when <c>InvalidData</c>: <see cref="ParseError.UnsupportedVersion"/> (VER is not 5),
    /// <see cref="ParseError.NonZeroReserved"/>, <see cref="ParseError.UnknownAddressType"/> or
    /// <see cref="ParseError.EmptyDomainName"/>, each reported as soon as its byte is read.
    /// </param>
    /// <returns><c>Done</c>, <c>NeedMoreData</c> or <c>InvalidData</c>. Only <c>Done</c> consumes anything.</returns>
    public static OperationStatus TryParse(ReadOnlySpan<byte> source, out Socks5Reply reply, out int bytesConsumed, out ParseError error)
    {
        OperationStatus status = AddressedMessage.TryParse(source, out byte field, out Socks5EndPoint endPoint, out bytesConsumed, out error);
        reply = new Socks5Reply((ReplyCode)field, endPoint);
        return status;
    }

    /// <summary>
    /// Parses a reply from the start of <paramref name="source"/>, copying it into <paramref name="scratch"/> when it crosses segments.
    /// </summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="scratch">At least <see cref="MaxLength"/> bytes, used only when the reply crosses segments.</param>
    /// <param name="reply">The reply when <c>Done</c>.</param>
    /// <param name="bytesConsumed">The reply's length when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">Why, when <c>InvalidData</c> (see the span overload).</param>
    /// <returns>As the span overload.</returns>
    /// <exception cref="ArgumentException"><paramref name="scratch"/> is smaller than <see cref="MaxLength"/> and was needed.</exception>
    public static OperationStatus TryParse(in ReadOnlySequence<byte> source, Span<byte> scratch, out Socks5Reply reply, out int bytesConsumed, out ParseError error) =>
        TryParse(SequenceHelper.GetSpan(source, scratch, MaxLength), out reply, out bytesConsumed, out error);

    /// <summary>The length of a reply naming <paramref name="boundAddress"/>.</summary>
    /// <param name="boundAddress">BND.ADDR and BND.PORT.</param>
    /// <returns>3 plus the encoded address.</returns>
    /// <exception cref="ArgumentException">The address is a <c>default</c> instance.</exception>
    public static int GetLength(Socks5EndPoint boundAddress) => AddressedMessage.GetLength(boundAddress);

    /// <summary>Writes a reply.</summary>
    /// <param name="replyCode">REP: the outcome, kept raw (servers send values the RFC does not name).</param>
    /// <param name="boundAddress">BND.ADDR and BND.PORT.</param>
    /// <param name="destination">Where to write.</param>
    /// <param name="bytesWritten">The bytes written; 0 when false.</param>
    /// <returns>False, with nothing written, when the destination is too small.</returns>
    /// <exception cref="ArgumentException">The address is a <c>default</c> instance (nothing is written).</exception>
    public static bool TryWrite(ReplyCode replyCode, Socks5EndPoint boundAddress, Span<byte> destination, out int bytesWritten) =>
        AddressedMessage.TryWrite((byte)replyCode, boundAddress, destination, out bytesWritten);

    /// <summary>Writes a reply to <paramref name="writer"/>.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="replyCode">REP: the outcome, kept raw (servers send values the RFC does not name).</param>
    /// <param name="boundAddress">BND.ADDR and BND.PORT.</param>
    /// <returns>The bytes written.</returns>
    /// <exception cref="ArgumentException">The address is a <c>default</c> instance (nothing is written).</exception>
    public static int Write(IBufferWriter<byte> writer, ReplyCode replyCode, Socks5EndPoint boundAddress) =>
        AddressedMessage.Write(writer, (byte)replyCode, boundAddress);
}
