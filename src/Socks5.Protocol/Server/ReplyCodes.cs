using System;
using System.Net.Sockets;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Server;

/// <summary>The reply a client is owed for a failure while serving its request.</summary>
internal static class ReplyCodes
{
    public static ReplyCode For(Exception exception) => exception switch
    {
        SocketException socket => For(socket.SocketErrorCode),
        _ => ReplyCode.GeneralFailure,
    };

    public static ReplyCode For(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => ReplyCode.ConnectionRefused,
        SocketError.NetworkUnreachable or SocketError.NetworkDown => ReplyCode.NetworkUnreachable,
        SocketError.HostUnreachable or SocketError.HostDown => ReplyCode.HostUnreachable,
        // A name that does not resolve: the host cannot be reached.
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => ReplyCode.HostUnreachable,
        SocketError.AddressFamilyNotSupported => ReplyCode.AddressTypeNotSupported,
        // ETIMEDOUT and everything else: a general failure (RFC 1928 has no "timed out"; X'06' is for TTL expiry).
        _ => ReplyCode.GeneralFailure,
    };
}
