using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Diagnostics;

/// <summary>
/// The library's one <see cref="Meter"/>, its instruments and its <see cref="ActivitySource"/>, with the tag values they
/// share. Every call site tests <c>Enabled</c> (or gets a null activity) first, so that nothing is computed, allocated or
/// added while nobody listens.
/// </summary>
internal static class Socks5Telemetry
{
    public static readonly ActivitySource Source = new(Socks5Diagnostics.ActivitySourceName, Version);

    public static readonly Meter Meter = new(Socks5Diagnostics.MeterName, Version);

    public static readonly UpDownCounter<long> ActiveConnections = Meter.CreateUpDownCounter<long>(
        "socks5.server.active_connections", "{connection}", "Connections the server is serving.");

    public static readonly Histogram<double> ConnectionDuration = Meter.CreateHistogram<double>(
        "socks5.server.connection.duration", "s", "From accept to close, per served connection.");

    public static readonly Histogram<double> HandshakeDuration = Meter.CreateHistogram<double>(
        "socks5.server.handshake.duration", "s", "From accept until the reply to the request is sent (or the handshake fails).");

    public static readonly Histogram<double> ConnectDuration = Meter.CreateHistogram<double>(
        "socks5.server.connect.duration", "s", "Resolving, checking and dialing a CONNECT destination.");

    public static readonly Counter<long> Io = Meter.CreateCounter<long>(
        "socks5.server.io", "By", "Tunnel bytes relayed: receive = from the client, transmit = to the client.");

    public static readonly Counter<long> RejectedConnections = Meter.CreateCounter<long>(
        "socks5.server.rejected_connections", "{connection}", "Connections refused, by reason.");

    public static readonly UpDownCounter<long> ActiveUdpAssociations = Meter.CreateUpDownCounter<long>(
        "socks5.server.active_udp_associations", "{association}", "UDP associations the server is relaying.");

    public static readonly Counter<long> UdpDatagrams = Meter.CreateCounter<long>(
        "socks5.server.udp.datagrams", "{datagram}", "UDP datagrams: receive = from the client, transmit = to the client; socks5.udp.dropped says why one was dropped.");

    public static readonly Histogram<double> ClientHandshakeDuration = Meter.CreateHistogram<double>(
        "socks5.client.handshake.duration", "s", "The client's handshake with the proxy, up to the final reply (the first one for BIND).");

    public static readonly UpDownCounter<long> ActiveTunnels = Meter.CreateUpDownCounter<long>(
        "socks5.client.active_tunnels", "{tunnel}", "Client tunnels open (CONNECT, or BIND once established).");

    // Tag names (OpenTelemetry's where one exists).
    public const string CommandTag = "socks5.command";
    public const string ProtocolTag = "socks5.protocol";
    public const string ReplyCodeTag = "socks5.reply_code";
    public const string AuthMethodTag = "socks5.auth_method";
    public const string ErrorTypeTag = "error.type";
    public const string DirectionTag = "network.io.direction";
    public const string RejectionTag = "socks5.rejection";
    public const string DroppedTag = "socks5.udp.dropped";

    // Cached tags: adding with one of these allocates nothing.
    public static readonly KeyValuePair<string, object?> Receive = new(DirectionTag, "receive");
    public static readonly KeyValuePair<string, object?> Transmit = new(DirectionTag, "transmit");

    // socks5.rejection values.
    public const string RejectionLimit = "limit";
    public const string RejectionAuthentication = "authentication";
    public const string RejectionRule = "rule";
    public const string RejectionProtocol = "protocol";
    public const string RejectionTimeout = "timeout";

    // socks5.udp.dropped values.
    public const string DroppedSource = "source";
    public const string DroppedMalformed = "malformed";
    public const string DroppedFragment = "fragment";
    public const string DroppedResolve = "resolve";
    public const string DroppedRule = "rule";
    public const string DroppedSend = "send";
    public const string DroppedError = "error";

    // Reply codes and methods are bytes: their tag values are boxed once, here.
    private static readonly object[] Bytes = CreateBytes();

    private static string Version => typeof(Socks5Telemetry).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    public static object ReplyCodeValue(ReplyCode code) => Bytes[(byte)code];

    public static string ProtocolValue(Server.InboundProtocol protocol) => protocol switch
    {
        Server.InboundProtocol.Socks5 => "socks5",
        Server.InboundProtocol.Socks4 => "socks4",
        Server.InboundProtocol.Socks4a => "socks4a",
        Server.InboundProtocol.HttpConnect => "http_connect",
        _ => "other",
    };

    public static string CommandValue(Command command) => command switch
    {
        Command.Connect => "connect",
        Command.Bind => "bind",
        Command.UdpAssociate => "udp_associate",
        Command.Resolve => "resolve",
        Command.ResolvePtr => "resolve_ptr",
        _ => "other",
    };

    public static string AuthMethodValue(AuthenticationMethod method) => method switch
    {
        AuthenticationMethod.NoAuthenticationRequired => "none",
        AuthenticationMethod.Gssapi => "gssapi",
        AuthenticationMethod.UsernamePassword => "username_password",
        AuthenticationMethod.NoAcceptableMethods => "no_acceptable_methods",
        _ => "other",
    };

    /// <summary>
    /// Adds a relayed chunk to <c>socks5.server.io</c>. While nobody listens this is one field test per chunk: no
    /// interlocked operation, no allocation. While someone does, the cached tag makes the add allocation-free too.
    /// </summary>
    public static void CountServerIo(bool fromClient, long bytes)
    {
        if (Io.Enabled)
        {
            Io.Add(bytes, fromClient ? Receive : Transmit);
        }
    }

    /// <summary>A datagram relayed (<paramref name="dropped"/> null) or dropped, for <c>socks5.server.udp.datagrams</c>.</summary>
    public static void CountDatagram(bool fromClient, string? dropped)
    {
        if (UdpDatagrams.Enabled)
        {
            if (dropped is null)
            {
                UdpDatagrams.Add(1, fromClient ? Receive : Transmit);
            }
            else
            {
                UdpDatagrams.Add(1, fromClient ? Receive : Transmit, new KeyValuePair<string, object?>(DroppedTag, dropped));
            }
        }
    }

    public static void CountRejection(string reason)
    {
        if (RejectedConnections.Enabled)
        {
            RejectedConnections.Add(1, new KeyValuePair<string, object?>(RejectionTag, reason));
        }
    }

    public static string FailureValue(HandshakeFailure failure) => failure switch
    {
        HandshakeFailure.None => "none",
        HandshakeFailure.MalformedMessage => "malformed_message",
        HandshakeFailure.NoAcceptableMethod => "no_acceptable_method",
        HandshakeFailure.UnexpectedMethod => "unexpected_method",
        HandshakeFailure.AuthenticationFailed => "authentication_failed",
        HandshakeFailure.CommandNotSupported => "command_not_supported",
        HandshakeFailure.RequestRejected => "request_rejected",
        HandshakeFailure.ConnectionClosed => "connection_closed",
        HandshakeFailure.MessageTooLong => "message_too_long",
        _ => "other",
    };

    /// <summary>OpenTelemetry's <c>error.type</c>: the exception's type name; for a timeout, <c>timeout</c>.</summary>
    public static string ErrorType(Exception error) => error is TimeoutException ? "timeout" : error.GetType().FullName ?? "other";

    /// <summary>Seconds between two timestamps of a <see cref="TimeProvider"/>.</summary>
    public static double Seconds(TimeProvider clock, long started) => clock.GetElapsedTime(started).TotalSeconds;

    /// <summary>Marks an activity failed, with OpenTelemetry's <c>error.type</c>.</summary>
    public static void SetError(Activity activity, string errorType, string? description)
    {
        activity.SetTag(ErrorTypeTag, errorType);
        activity.SetStatus(ActivityStatusCode.Error, description);
    }

    private static object[] CreateBytes()
    {
        var values = new object[256];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = i;
        }

        return values;
    }
}
