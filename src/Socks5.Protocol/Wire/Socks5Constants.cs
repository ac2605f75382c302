// RFC 1928 §3, §4 and §6: the greeting, the method selection, the request and the reply all open with
//
//   +----+
//   |VER |
//   +----+
//   | 1  |
//   +----+
//
//   VER is X'05'. (The sub-negotiations keep their own VER: X'01' for RFC 1929 and RFC 1961.)
namespace Socks5.Protocol.Wire;

/// <summary>Values RFC 1928 shares between its messages.</summary>
public static class Socks5Constants
{
    /// <summary>VER of the greeting, the method selection, the request and the reply: X'05'.</summary>
    public const byte Version = 5;
}
