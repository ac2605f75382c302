using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Socks5.Protocol.Server;

/// <summary>
/// The text forms of <see cref="Socks5ServerOptions.Listen"/> and <see cref="Socks5ServerOptions.Advertise"/>, the ones
/// a configuration file can hold. One rule for both: an IP literal, never a name (the server must not depend on DNS to
/// know where it listens or what it tells clients); IPv4 as four decimal parts, IPv6 in brackets before a port; no zone.
/// </summary>
internal static class AddressText
{
    /// <summary><c>127.0.0.1:1080</c> or <c>[::1]:1080</c>; the port is 0 to 65535 in decimal.</summary>
    public static bool TryParseEndPoint(string? text, [NotNullWhen(true)] out IPEndPoint? endPoint)
    {
        endPoint = null;
        int colon = text?.LastIndexOf(':') ?? -1;
        if (colon <= 0)
        {
            return false;
        }

        string host = text!.Substring(0, colon);
        string port = text.Substring(colon + 1);
        bool bracketed = host[0] == '[';
        if (bracketed != (host[host.Length - 1] == ']'))
        {
            return false;
        }

        // Without brackets, an IPv6 address's last group would be read as the port.
        if (!TryParseAddress(host, out IPAddress? address)
            || bracketed != (address.AddressFamily == AddressFamily.InterNetworkV6)
            || port.Length is 0 or > 5
            || !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number)
            || number > IPEndPoint.MaxPort)
        {
            return false;
        }

        endPoint = new IPEndPoint(address, number);
        return true;
    }

    /// <summary><c>192.0.2.7</c>, <c>2001:db8::7</c> or <c>[2001:db8::7]</c>.</summary>
    public static bool TryParseAddress(string? text, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        if (string.IsNullOrEmpty(text) || text!.IndexOf('%') >= 0)
        {
            return false;
        }

        if (text.Length > 2 && text[0] == '[' && text[text.Length - 1] == ']')
        {
            text = text.Substring(1, text.Length - 2);
            if (text.IndexOf(':') < 0)
            {
                return false; // [192.0.2.7] is not a form anyone means
            }
        }

        // IPAddress.TryParse would take "[2001:db8::7]:80" too, dropping the port.
        if (text.IndexOf('[') >= 0 || text.IndexOf(']') >= 0 || !IPAddress.TryParse(text, out IPAddress? parsed))
        {
            return false;
        }

        // IPAddress.TryParse also takes "1", "0x7f.1" and "010.0.0.1" (octal): only the plain dotted form is meant here.
        if (parsed.AddressFamily == AddressFamily.InterNetwork && parsed.ToString() != text)
        {
            return false;
        }

        address = parsed;
        return true;
    }
}
