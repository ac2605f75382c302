using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Hosting;
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
    /// One connection as one line: when it ended, client, user, command, destination, reply, bytes from and to the
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
    /// <paramref name="text"/> with control characters as <c>\xNN</c>. The user name and the destination are whatever
    /// the client sent (a domain name may hold any byte): a newline in one must not start a forged log line.
    /// </summary>
    public static string Printable(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Any(char.IsControl))
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16);
        foreach (char c in text)
        {
            if (char.IsControl(c))
            {
                escaped.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}");
            }
            else
            {
                escaped.Append(c);
            }
        }

        return escaped.ToString();
    }

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
