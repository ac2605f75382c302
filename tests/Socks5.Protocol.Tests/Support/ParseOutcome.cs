using System.Buffers;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Tests.Support;

/// <summary>
/// Everything a parse call reported, flattened to values so that results of ref-struct messages can be compared
/// across calls: the status, bytesConsumed, the error and the parsed fields as text ("" unless Done).
/// </summary>
public sealed record ParseOutcome(OperationStatus Status, int Consumed, ParseError Error, string Fields)
{
    public static ParseOutcome Invalid(ParseError error) => new(OperationStatus.InvalidData, 0, error, string.Empty);

    public static ParseOutcome NeedMoreData { get; } = new(OperationStatus.NeedMoreData, 0, ParseError.None, string.Empty);

    /// <summary>ATYP, ADDR and PORT, e.g. "01 7F000001 8000".</summary>
    public static string Describe(Socks5EndPoint endPoint) =>
        $"{(byte)endPoint.AddressType:X2} {Hex.Format(endPoint.Address)} {endPoint.Port}";

    /// <summary>Builds an outcome; the fields only count when the parse is Done.</summary>
    public static ParseOutcome Of(OperationStatus status, int consumed, ParseError error, string fields) =>
        new(status, consumed, error, status == OperationStatus.Done ? fields : string.Empty);
}
