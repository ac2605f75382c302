using System;
using System.IO;
using System.Linq;
using System.Net;
using Microsoft.Extensions.Logging;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Server;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Extensions.Hosting;

/// <summary>
/// The package's log events. The ids are stable (dashboards and alerts key on them): add new ones, never renumber.
/// Source-generated, so a disabled level costs a check and nothing is formatted or written on the connection path.
/// </summary>
internal static partial class Log
{
    /// <summary>The category of every event: the server's.</summary>
    public const string Category = "Socks5.Protocol.Server";

    [LoggerMessage(1, LogLevel.Information, "SOCKS5 server listening on {EndPoints}")]
    public static partial void Started(ILogger logger, string endPoints);

    [LoggerMessage(2, LogLevel.Information, "SOCKS5 server stopping: {Active} connection(s) open, draining until the host's shutdown timeout")]
    public static partial void Stopping(ILogger logger, int active);

    [LoggerMessage(3, LogLevel.Information, "SOCKS5 server stopped: {Accepted} accepted, {Rejected} rejected, {Failed} failed")]
    public static partial void Stopped(ILogger logger, long accepted, long rejected, long failed);

    [LoggerMessage(4, LogLevel.Error, "SOCKS5 server could not start")]
    public static partial void StartFailed(ILogger logger, Exception error);

    [LoggerMessage(10, LogLevel.Debug, "Served {Client} user={UserName} {Protocol} {Command} {Destination} reply={ReplyCode} up={BytesFromClient}B down={BytesToClient}B {DurationMs:0.0}ms")]
    public static partial void Served(ILogger logger, EndPoint? client, string? userName, InboundProtocol protocol, Command? command, string? destination, ReplyCode? replyCode, long bytesFromClient, long bytesToClient, double durationMs);

    [LoggerMessage(11, LogLevel.Information, "Handshake failed from {Client} user={UserName}: {Failure} reply={ReplyCode} {Protocol} {Command} {Destination}")]
    public static partial void HandshakeFailed(ILogger logger, EndPoint? client, string? userName, HandshakeFailure failure, ReplyCode? replyCode, InboundProtocol protocol, Command? command, string? destination);

    [LoggerMessage(12, LogLevel.Information, "Request rejected from {Client} user={UserName}: {Protocol} {Command} {Destination} reply={ReplyCode}")]
    public static partial void Rejected(ILogger logger, EndPoint? client, string? userName, InboundProtocol protocol, Command? command, string? destination, ReplyCode? replyCode);

    [LoggerMessage(13, LogLevel.Information, "Connection from {Client} user={UserName} ended by the network: {Protocol} {Command} {Destination} reply={ReplyCode} up={BytesFromClient}B down={BytesToClient}B: {Reason}")]
    public static partial void Aborted(ILogger logger, EndPoint? client, string? userName, InboundProtocol protocol, Command? command, string? destination, ReplyCode? replyCode, long bytesFromClient, long bytesToClient, string reason);

    [LoggerMessage(20, LogLevel.Warning, "Connection from {Client} user={UserName} failed unexpectedly: {Protocol} {Command} {Destination} reply={ReplyCode}")]
    public static partial void Failed(ILogger logger, EndPoint? client, string? userName, InboundProtocol protocol, Command? command, string? destination, ReplyCode? replyCode, Exception error);

    [LoggerMessage(21, LogLevel.Error, "The ConnectionClosed hook of the options threw")]
    public static partial void HookFailed(ILogger logger, Exception error);

    /// <summary>One event for a closed connection, chosen by how it ended.</summary>
    public static void Report(ILogger logger, Socks5ConnectionReport report)
    {
        // Names come from the client: control characters would let it forge lines in a text log.
        string? user = Printable(report.UserName);
        string? destination = Printable(report.Destination);
        if (report.Error is { } error)
        {
            if (error is IOException or System.Net.Sockets.SocketException or OperationCanceledException or TimeoutException)
            {
                if (logger.IsEnabled(LogLevel.Information))
                {
                    Aborted(logger, report.Client, user, report.Protocol, report.Command, destination, report.ReplyCode, report.BytesFromClient, report.BytesToClient, error.GetType().Name + ": " + error.Message);
                }
            }
            else
            {
                Failed(logger, report.Client, user, report.Protocol, report.Command, destination, report.ReplyCode, error);
            }
        }
        else if (report.Failure == HandshakeFailure.RequestRejected || (report.Failure == HandshakeFailure.None && report.ReplyCode is { } reply && reply != ReplyCode.Succeeded))
        {
            Rejected(logger, report.Client, user, report.Protocol, report.Command, destination, report.ReplyCode);
        }
        else if (report.Failure != HandshakeFailure.None)
        {
            HandshakeFailed(logger, report.Client, user, report.Failure, report.ReplyCode, report.Protocol, report.Command, destination);
        }
        else
        {
            Served(logger, report.Client, user, report.Protocol, report.Command, destination, report.ReplyCode, report.BytesFromClient, report.BytesToClient, report.Duration.TotalMilliseconds);
        }
    }

    private static string? Printable(string? text)
    {
        if (text is null || !text.Any(char.IsControl))
        {
            return text;
        }

        return string.Create(text.Length, text, static (span, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? '?' : source[i];
            }
        });
    }
}
