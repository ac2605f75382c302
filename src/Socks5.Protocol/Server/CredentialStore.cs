using System.Collections.Generic;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Server;

/// <summary>
/// The users of <see cref="Socks5ServerOptions.Users"/>, kept as digests. A check compares the user name and the password
/// of every entry, with no early exit, so its time says nothing about which part was wrong or how close it was.
/// </summary>
internal sealed class CredentialStore
{
    private readonly List<(byte[] User, byte[] Password)> _entries = new();

    public CredentialStore(IDictionary<string, string> users)
    {
        foreach (KeyValuePair<string, string> user in users)
        {
            _entries.Add((ConstantTime.Digest(user.Key), ConstantTime.Digest(user.Value)));
        }
    }

    public bool Check(string userName, string password)
    {
        byte[] user = ConstantTime.Digest(userName);
        byte[] pass = ConstantTime.Digest(password);
        bool found = false;
        foreach ((byte[] User, byte[] Password) entry in _entries)
        {
            // Non-short-circuit '&' and '|': both fields of every entry are always compared.
            found |= ConstantTime.Equals(entry.User, user) & ConstantTime.Equals(entry.Password, pass);
        }

        return found;
    }
}
