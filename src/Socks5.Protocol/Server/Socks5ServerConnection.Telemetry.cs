using System;
using System.Collections.Generic;
using System.Diagnostics;
using Socks5.Protocol.Diagnostics;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Server;

/// <summary>
/// The connection's telemetry: the handshake's activity and the instruments recorded at the handshake's end, at the
/// dial and at the connection's end. Every call checks that someone listens before it measures anything.
/// </summary>
internal sealed partial class Socks5ServerConnection
{
    // The activity is not made current: it ends at the reply while the tunnel lives on in this execution context, and
    // the tunnel's tasks would otherwise carry a stopped activity as their parent.
    private static Activity? StartHandshakeActivity()
    {
        if (!Socks5Telemetry.Source.HasListeners())
        {
            return null;
        }

        Activity? previous = Activity.Current;
        Activity? activity = Socks5Telemetry.Source.StartActivity("socks5.server.handshake", ActivityKind.Server);
        Activity.Current = previous;
        return activity;
    }

    // Called at the first reply, or at the end for a connection that got none; only the first call records.
    private void EndHandshake(Socks5ServerEngine? engine, Exception? error)
    {
        if (_handshakeEnded)
        {
            return;
        }

        _handshakeEnded = true;
        Activity? activity = _activity;
        _activity = null;
        bool record = Socks5Telemetry.HandshakeDuration.Enabled;
        if (!record && activity is null)
        {
            return;
        }

        TagList tags = default;
        tags.Add(Socks5Telemetry.ProtocolTag, Socks5Telemetry.ProtocolValue(_protocol));
        if (_request is { } request)
        {
            tags.Add(Socks5Telemetry.CommandTag, Socks5Telemetry.CommandValue(request.Command));
        }

        if (engine is not null && engine.State != ServerEngineState.AwaitingGreeting)
        {
            tags.Add(Socks5Telemetry.AuthMethodTag, Socks5Telemetry.AuthMethodValue(engine.SelectedMethod));
        }

        if (_reply is { } reply)
        {
            tags.Add(Socks5Telemetry.ReplyCodeTag, Socks5Telemetry.ReplyCodeValue(reply));
        }

        if (record)
        {
            Socks5Telemetry.HandshakeDuration.Record(Socks5Telemetry.Seconds(_options.TimeProvider, _started), in tags);
        }

        if (activity is not null)
        {
            foreach (var tag in tags)
            {
                activity.SetTag(tag.Key, tag.Value);
            }

            HandshakeFailure failure = engine?.Failure ?? HandshakeFailure.None;
            if (error is not null)
            {
                Socks5Telemetry.SetError(activity, Socks5Telemetry.ErrorType(error), error.Message);
            }
            else if (_reply is not ReplyCode.Succeeded)
            {
                Socks5Telemetry.SetError(activity, Socks5Telemetry.FailureValue(failure == HandshakeFailure.None ? HandshakeFailure.RequestRejected : failure), null);
            }

            activity.Dispose();
        }
    }

    // The dial of a CONNECT: resolution, access rule and connect, within the connect timeout.
    private void RecordDial(long started, ReplyCode outcome)
    {
        if (Socks5Telemetry.ConnectDuration.Enabled)
        {
            Socks5Telemetry.ConnectDuration.Record(
                Socks5Telemetry.Seconds(_options.TimeProvider, started),
                new KeyValuePair<string, object?>(Socks5Telemetry.ReplyCodeTag, Socks5Telemetry.ReplyCodeValue(outcome)));
        }

        _activity?.AddEvent(new ActivityEvent(
            "socks5.server.connect",
            tags: new ActivityTagsCollection { { Socks5Telemetry.ReplyCodeTag, Socks5Telemetry.ReplyCodeValue(outcome) } }));
    }

    // The handshake's end if it got no reply, and the connection's instruments; a listener that throws must not keep the
    // report from the host.
    private void RecordEnd(Socks5ConnectionReport report, Exception? error)
    {
        try
        {
            EndHandshake(_handshake?.Engine, error);
            RecordConnection(report, _overUserLimit);
        }
        catch
        {
            // A listener's failure: the telemetry of this connection is lost, nothing else.
        }
    }

    // socks5.server.connection.duration and socks5.server.rejected_connections, from the report.
    private static void RecordConnection(Socks5ConnectionReport report, bool overUserLimit)
    {
        if (Socks5Telemetry.ConnectionDuration.Enabled)
        {
            TagList tags = default;
            tags.Add(Socks5Telemetry.ProtocolTag, Socks5Telemetry.ProtocolValue(report.Protocol));
            if (report.Command is { } command)
            {
                tags.Add(Socks5Telemetry.CommandTag, Socks5Telemetry.CommandValue(command));
            }

            if (report.ReplyCode is { } reply)
            {
                tags.Add(Socks5Telemetry.ReplyCodeTag, Socks5Telemetry.ReplyCodeValue(reply));
            }

            if (!report.Succeeded)
            {
                tags.Add(Socks5Telemetry.ErrorTypeTag, report.Error is { } error ? Socks5Telemetry.ErrorType(error)
                    : Socks5Telemetry.FailureValue(report.Failure == HandshakeFailure.None ? HandshakeFailure.RequestRejected : report.Failure));
            }

            Socks5Telemetry.ConnectionDuration.Record(report.Duration.TotalSeconds, in tags);
        }

        if (Socks5Telemetry.RejectedConnections.Enabled && (overUserLimit ? Socks5Telemetry.RejectionLimit : RejectionOf(report)) is { } rejection)
        {
            Socks5Telemetry.CountRejection(rejection);
        }
    }

    // Why the server turned the connection away, or null when it did not (a tunnel, or a destination that failed).
    private static string? RejectionOf(Socks5ConnectionReport report) => report switch
    {
        { Failure: HandshakeFailure.AuthenticationFailed or HandshakeFailure.NoAcceptableMethod } => Socks5Telemetry.RejectionAuthentication,
        { ReplyCode: ReplyCode.ConnectionNotAllowed } => Socks5Telemetry.RejectionRule,
        { Error: TimeoutException, ReplyCode: null } => Socks5Telemetry.RejectionTimeout,
        { Failure: HandshakeFailure.MalformedMessage or HandshakeFailure.MessageTooLong or HandshakeFailure.CommandNotSupported } => Socks5Telemetry.RejectionProtocol,
        { ReplyCode: ReplyCode.CommandNotSupported or ReplyCode.AddressTypeNotSupported } => Socks5Telemetry.RejectionProtocol,
        _ => null,
    };
}
