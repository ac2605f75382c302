using System;
using System.Buffers;
using System.Globalization;
using System.IO;
using System.Text;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Wire;

namespace Socks5.Server;

/// <summary>
/// The server's log: whole lines to one writer, from any number of threads at once (the server reports each connection
/// from the task that served it), so that lines never interleave.
/// </summary>
public sealed class ConnectionLog
{
    private readonly TextWriter _writer;
    private readonly object _gate = new();

    /// <summary>Writes to <paramref name="writer"/>, flushing after every line (a log read through a pipe must not lag).</summary>
    public ConnectionLog(TextWriter writer) => _writer = writer;

    /// <summary>
    /// One connection as one line: when it ended, client, user, command (and the protocol unless SOCKS5), destination, reply, bytes from and to the
    /// client, duration, and why it failed when it did.
    /// </summary>
    public static string Format(Socks5ConnectionReport report, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(report);
        var line = new StringBuilder(160);
        line.Append(now.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))
            .Append(' ').Append(report.Client?.ToString() ?? "-")
            .Append(" user=").Append(Printable(report.UserName ?? "-"))
            .Append(' ').Append(report.Command switch
            {
                Command.Connect => "CONNECT",
                Command.Bind => "BIND",
                Command.UdpAssociate => "UDP-ASSOCIATE",
                null => "-",
                { } other => other.ToString(),
            })
            .Append(report.Protocol switch
            {
                InboundProtocol.Socks5 => "", // the usual case: lines stay as they were
                InboundProtocol.Socks4 => " via=socks4",
                InboundProtocol.Socks4a => " via=socks4a",
                InboundProtocol.HttpConnect => " via=http",
                _ => " via=" + report.Protocol,
            })
            .Append(' ').Append(Printable(report.Destination ?? "-"))
            .Append(" reply=").Append(report.ReplyCode?.ToString() ?? "-")
            .Append(CultureInfo.InvariantCulture, $" up={report.BytesFromClient}B down={report.BytesToClient}B")
            .Append(CultureInfo.InvariantCulture, $" {report.Duration.TotalSeconds:0.000}s");
        if (report.Failure != HandshakeFailure.None)
        {
            line.Append(" failed=").Append(report.Failure);
        }

        if (report.Error is { } error)
        {
            line.Append(" error=").Append(error.GetType().Name).Append(": ").Append(Printable(error.Message));
        }

        return line.ToString();
    }

    /// <summary>
    /// <paramref name="text"/> with every character a terminal or a log viewer would act on or hide escaped: controls
    /// (C0 and C1), format characters (bidi overrides such as U+202E, zero-width marks), line and paragraph separators
    /// (U+2028, U+2029), non-characters and unpaired surrogates become <c>\xNN</c> or <c>\uNNNN</c>, and a backslash
    /// becomes two so that no escape can be forged. The user name and the destination are whatever the client sent (a
    /// domain name may hold any byte): one must not start a forged log line or reorder the text around it.
    /// </summary>
    public static string Printable(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var escaped = new StringBuilder(text.Length);
        ReadOnlySpan<char> rest = text;
        while (!rest.IsEmpty)
        {
            // Anything but Done is an unpaired surrogate (length 1).
            bool whole = Rune.DecodeFromUtf16(rest, out Rune rune, out int length) == OperationStatus.Done;
            if (whole && !Hidden(rune))
            {
                escaped.Append(rest[..length]);
            }
            else
            {
                foreach (char c in rest[..length])
                {
                    escaped.Append(c switch
                    {
                        '\\' => @"\\",
                        < '\u0100' => @"\x" + ((int)c).ToString("X2", CultureInfo.InvariantCulture),
                        _ => @"\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture),
                    });
                }
            }

            rest = rest[length..];
        }

        return escaped.ToString();
    }

    private static bool Hidden(Rune rune) =>
        rune.Value == '\\'
        || rune.Value is >= 0xFDD0 and <= 0xFDEF || (rune.Value & 0xFFFE) == 0xFFFE // non-characters
        || Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

    /// <summary>The <see cref="Socks5ServerOptions.ConnectionClosed"/> hook.</summary>
    public void Write(Socks5ConnectionReport report) => WriteLine(Format(report, DateTime.UtcNow));

    /// <summary>Writes one line whole.</summary>
    public void WriteLine(string line)
    {
        lock (_gate)
        {
            _writer.WriteLine(line);
            _writer.Flush();
        }
    }
}
