using System;
using System.Security.Cryptography;
using System.Text;

namespace Socks5.Protocol.Internal;

/// <summary>Credential comparison that takes the same time whatever matches, and whatever the lengths.</summary>
internal static class ConstantTime
{
    /// <summary>SHA-256 of the UTF-8 text: comparing digests hides the secret's length.</summary>
    public static byte[] Digest(string text)
    {
        using var sha = SHA256.Create();
        return sha.ComputeHash(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Compares two digests without an early exit.</summary>
    public static bool Equals(byte[] a, byte[] b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        int diff = 0;
        for (int i = 0; i < a.Length; i++)
        {
            diff |= a[i] ^ b[i];
        }

        return diff == 0;
    }
}
