// RFC 1928 §4: the request, client to server.
//
//   +----+-----+-------+------+----------+----------+
//   |VER | CMD |  RSV  | ATYP | DST.ADDR | DST.PORT |
//   +----+-----+-------+------+----------+----------+
//   | 1  |  1  | X'00' |  1   | Variable |    2     |
//   +----+-----+-------+------+----------+----------+
//
//   CMD X'01' CONNECT, X'02' BIND, X'03' UDP ASSOCIATE. An unknown CMD is kept raw, so that
//   an engine can answer X'07' (command not supported) after reading the whole request.
using System;
using System.Buffers;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Wire;

/// <summary>
/// A SOCKS5 request (RFC 1928 §4): a command and its destination.
/// </summary>
public readonly ref struct Socks5Request
{
    /// <summary>The largest request: VER, the field, RSV, ATYP, a 255-byte name with its length byte, and the port.</summary>
    public const int MaxLength = AddressedMessage.MaxLength;

    /// <summary>Creates a request.</summary>
    /// <param name="command">CMD: CONNECT, BIND, UDP ASSOCIATE, or any other byte, kept raw.</param>
    /// <param name="destinationAddress">DST.ADDR and DST.PORT.</param>
    public Socks5Request(Command command, Socks5EndPoint destinationAddress)
    {
        Command = command;
        Destination = destinationAddress;
    }

    /// <summary>CMD: CONNECT, BIND, UDP ASSOCIATE, or any other byte, kept raw.</summary>
    public Command Command { get; }

    /// <summary>DST.ADDR and DST.PORT.</summary>
    public Socks5EndPoint Destination { get; }

    /// <summary>Parses a request from the start of <paramref name="source"/>.</summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="request">The request, referring to <paramref name="source"/>, when <c>Done</c>.</param>
    /// <param name="bytesConsumed">The request's length when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">
    /// Why, when <c>InvalidData</c>: <see cref="ParseError.UnsupportedVersion"/> (VER is not 5),
    /// <see cref="ParseError.NonZeroReserved"/>, <see cref="ParseError.UnknownAddressType"/> or
    /// <see cref="ParseError.EmptyDomainName"/>, each reported as soon as its byte is read.
    /// </param>
    /// <returns><c>Done</c>, <c>NeedMoreData</c> or <c>InvalidData</c>. Only <c>Done</c> consumes anything.</returns>
    public static OperationStatus TryParse(ReadOnlySpan<byte> source, out Socks5Request request, out int bytesConsumed, out ParseError error)
    {
        OperationStatus status = AddressedMessage.TryParse(source, out byte field, out Socks5EndPoint endPoint, out bytesConsumed, out error);
        request = new Socks5Request((Command)field, endPoint);
        return status;
    }

    /// <summary>
    /// Parses a request from the start of <paramref name="source"/>, copying it into <paramref name="scratch"/> when it crosses segments.
    /// </summary>
    /// <param name="source">The bytes received.</param>
    /// <param name="scratch">At least <see cref="MaxLength"/> bytes, used only when the request crosses segments.</param>
    /// <param name="request">The request when <c>Done</c>.</param>
    /// <param name="bytesConsumed">The request's length when <c>Done</c>; otherwise 0.</param>
    /// <param name="error">Why, when <c>InvalidData</c> (see the span overload).</param>
    /// <returns>As the span overload.</returns>
    /// <exception cref="ArgumentException"><paramref name="scratch"/> is smaller than <see cref="MaxLength"/> and was needed.</exception>
    public static OperationStatus TryParse(in ReadOnlySequence<byte> source, Span<byte> scratch, out Socks5Request request, out int bytesConsumed, out ParseError error) =>
        TryParse(SequenceHelper.GetSpan(source, scratch, MaxLength), out request, out bytesConsumed, out error);

    /// <summary>The length of a request naming <paramref name="destinationAddress"/>.</summary>
    /// <param name="destinationAddress">DST.ADDR and DST.PORT.</param>
    /// <returns>3 plus the encoded address.</returns>
    /// <exception cref="ArgumentException">The address is a <c>default</c> instance.</exception>
    public static int GetLength(Socks5EndPoint destinationAddress) => AddressedMessage.GetLength(destinationAddress);

    /// <summary>Writes a request.</summary>
    /// <param name="command">CMD: CONNECT, BIND, UDP ASSOCIATE, or any other byte, kept raw.</param>
    /// <param name="destinationAddress">DST.ADDR and DST.PORT.</param>
    /// <param name="destination">Where to write.</param>
    /// <param name="bytesWritten">The bytes written; 0 when false.</param>
    /// <returns>False, with nothing written, when the destination is too small.</returns>
    /// <exception cref="ArgumentException">The address is a <c>default</c> instance (nothing is written).</exception>
    public static bool TryWrite(Command command, Socks5EndPoint destinationAddress, Span<byte> destination, out int bytesWritten) =>
        AddressedMessage.TryWrite((byte)command, destinationAddress, destination, out bytesWritten);

    /// <summary>Writes a request to <paramref name="writer"/>.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="command">CMD: CONNECT, BIND, UDP ASSOCIATE, or any other byte, kept raw.</param>
    /// <param name="destinationAddress">DST.ADDR and DST.PORT.</param>
    /// <returns>The bytes written.</returns>
    /// <exception cref="ArgumentException">The address is a <c>default</c> instance (nothing is written).</exception>
    public static int Write(IBufferWriter<byte> writer, Command command, Socks5EndPoint destinationAddress) =>
        AddressedMessage.Write(writer, (byte)command, destinationAddress);
}
