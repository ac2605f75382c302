using System;

namespace Socks5.Protocol.Tests.Support;

/// <summary>Hex strings for test vectors: "05 01 00" and "050100" both work.</summary>
public static class Hex
{
    public static byte[] Parse(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty));

    public static string Format(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);
}
