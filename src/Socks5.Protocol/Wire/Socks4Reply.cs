// SOCKS4 ("SOCKS: A protocol for TCP proxy across firewalls"): the reply, server to client (twice for BIND). SOCKS4a
// replies the same way.
//
//               +----+----+----+----+----+----+----+----+
//               | VN | CD | DSTPORT |      DSTIP        |
//               +----+----+----+----+----+----+----+----+
//   # of bytes:   1    1      2              4
//
//   VN is 0, the version of the reply code. CD 90 request granted, 91 rejected or failed, 92 rejected because the
//   server cannot connect to identd on the client, 93 rejected because the client program and identd report different
//   user-ids; see Socks4ReplyCode. DSTPORT and DSTIP matter for BIND (where the server listens) and Tor's RESOLVE
//   (the address found); otherwise they are ignored. DSTPORT is in network byte order.
using System;
using System.Buffers;
using System.Buffers.Binary;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Wire;

/// <summary>
/// A SOCKS4 reply: the outcome of a SOCKS4 or SOCKS4a request and an IPv4 address and port.
/// </summary>
public readonly ref struct Socks4Reply
{
    /// <summary>VN of a SOCKS4 reply.</summary>
    public const byte Version = 0;

    /// <summary>The length of every reply.</summary>
    public const int Length = 8;

    private Socks4Reply(Socks4ReplyCode replyCode, Socks5EndPoint boundAddress)
    {
        ReplyCode = replyCode;
        BoundAddress = boundAddress;
    }

    /// <summary>CD: the outcome, kept raw.</summary>
    public Socks4ReplyCode ReplyCode { get; }

    /// <summary>True when <see cref="ReplyCode"/> is 90 (request granted).</summary>
    public bool Granted => ReplyCode == Socks4ReplyCode.RequestGranted;

    /// <summary>DSTIP and DSTPORT, as an IPv4 endpoint.</summary>
    public Socks5EndPoint BoundAddress { get; }

    /// <summary>Parses a reply from the start of <paramref name="source"/>.</summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="reply">The reply, referring to <paramref name="source"/>, when <c>Done</c>.</param>
    /// <param name="bytesConsumed">8 when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">Why, when <c>InvalidData</c>: <see cref="ParseError.UnsupportedVersion"/> (VN is not 0), known from the first byte.</param>
    /// <returns><c>Done</c>, <c>NeedMoreData</c> or <c>InvalidData</c>. Only <c>Done</c> consumes anything.</returns>
    public static OperationStatus TryParse(ReadOnlySpan<byte> source, out Socks4Reply reply, out int bytesConsumed, out ParseError error)
    {
        reply = default;
        bytesConsumed = 0;
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

        if (source.Length < Length)
        {
            return OperationStatus.NeedMoreData;
        }

        var bound = new Socks5EndPoint(AddressType.IPv4, source.Slice(4, 4), BinaryPrimitives.ReadUInt16BigEndian(source.Slice(2)));
        reply = new Socks4Reply((Socks4ReplyCode)source[1], bound);
        bytesConsumed = Length;
        return OperationStatus.Done;
    }

    /// <summary>
    /// Parses a reply from the start of <paramref name="source"/>, copying it into <paramref name="scratch"/> when it crosses segments.
    /// </summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="scratch">At least <see cref="Length"/> bytes, used only when the reply crosses segments.</param>
    /// <param name="reply">The reply when <c>Done</c>.</param>
    /// <param name="bytesConsumed">8 when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">Why, when <c>InvalidData</c> (see the span overload).</param>
    /// <returns>As the span overload.</returns>
    /// <exception cref="ArgumentException"><paramref name="scratch"/> is smaller than <see cref="Length"/> and was needed.</exception>
    public static OperationStatus TryParse(in ReadOnlySequence<byte> source, Span<byte> scratch, out Socks4Reply reply, out int bytesConsumed, out ParseError error) =>
        TryParse(SequenceHelper.GetSpan(source, scratch, Length), out reply, out bytesConsumed, out error);

    /// <summary>Writes a reply.</summary>
    /// <param name="replyCode">CD: the outcome, kept raw.</param>
    /// <param name="boundAddress">DSTIP and DSTPORT: an IPv4 endpoint (0.0.0.0 port 0 when they carry nothing).</param>
    /// <param name="destination">Where to write.</param>
    /// <param name="bytesWritten">8; 0 when false.</param>
    /// <returns>False, with nothing written, when the destination is too small.</returns>
    /// <exception cref="ArgumentException">The address is not IPv4 (nothing is written).</exception>
    public static bool TryWrite(Socks4ReplyCode replyCode, Socks5EndPoint boundAddress, Span<byte> destination, out int bytesWritten)
    {
        if (boundAddress.AddressType != AddressType.IPv4 || boundAddress.Address.Length != 4)
        {
            ThrowHelper.ThrowArgument("A SOCKS4 reply carries an IPv4 address.", nameof(boundAddress));
        }

        if (destination.Length < Length)
        {
            bytesWritten = 0;
            return false;
        }

        destination[0] = Version;
        destination[1] = (byte)replyCode;
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2), boundAddress.Port);
        boundAddress.Address.CopyTo(destination.Slice(4));
        bytesWritten = Length;
        return true;
    }

    /// <summary>Writes a reply to <paramref name="writer"/>.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="replyCode">CD: the outcome, kept raw.</param>
    /// <param name="boundAddress">DSTIP and DSTPORT: an IPv4 endpoint.</param>
    /// <returns>8.</returns>
    /// <exception cref="ArgumentException">The address is not IPv4 (nothing is written).</exception>
    public static int Write(IBufferWriter<byte> writer, Socks4ReplyCode replyCode, Socks5EndPoint boundAddress)
    {
        bool ok = TryWrite(replyCode, boundAddress, BufferWriterHelper.GetSpan(writer, Length), out int written);
        return BufferWriterHelper.Commit(writer, ok, written);
    }
}
