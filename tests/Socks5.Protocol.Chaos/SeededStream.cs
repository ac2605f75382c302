using System.Runtime.InteropServices;

namespace Socks5.Protocol.Chaos;

/// <summary>
/// The bytes one tunnel sends one way: a xorshift64* stream seeded by the tunnel and the direction, so that bytes of
/// any other tunnel or direction differ from them (and the hashes at the two ends tell).
/// </summary>
internal struct SeededStream
{
    private ulong _state;

    public SeededStream(int tunnel, int direction, int seed) =>
        _state = (((ulong)(uint)tunnel << 32) | ((ulong)(uint)seed << 2) | (uint)direction) * 0x9E3779B97F4A7C15UL | 1;

    /// <summary>Fills <paramref name="block"/> (a multiple of 8 bytes long) with the next bytes.</summary>
    public void Fill(Span<byte> block)
    {
        Span<ulong> words = MemoryMarshal.Cast<byte, ulong>(block);
        ulong x = _state;
        for (int i = 0; i < words.Length; i++)
        {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            words[i] = x * 0x2545F4914F6CDD1DUL;
        }

        _state = x;
    }
}
