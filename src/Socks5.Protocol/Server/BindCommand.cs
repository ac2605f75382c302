using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using System;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Server;

/// <summary>
/// BIND (RFC 1928): listen where the client reached us, name that address in the first reply, take the first peer that
/// comes from where the client said it would and passes the check, name it in the second reply, then relay.
/// </summary>
internal static class BindCommand
{
    /// <summary>Serves the BIND up to its last reply; returns the running relay, or null when there is none.</summary>
    public static async Task<Task<RelayResult>?> RunAsync(Socks5ServerConnection connection, RequestInfo request, CancellationToken cancellationToken)
    {
        Socks5Server server = connection.Server;
        (IPEndPoint[] expected, ReplyCode failure) = await server.Policy.AllowedAsync(connection, request, cancellationToken).ConfigureAwait(false);
        if (expected.Length == 0)
        {
            await connection.ReplyAsync(failure, null, cancellationToken).ConfigureAwait(false);
            return null;
        }

        // Listen on the address the client reached us on: a family and an interface the client can reach.
        IPAddress local = connection.LocalAddress;
        using var listener = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(local, 0));
        listener.Listen(1);
        var listening = (IPEndPoint)listener.LocalEndPoint!;
        var advertised = new IPEndPoint(server.AdvertisedAddress ?? listening.Address, listening.Port);
        if (await connection.ReplyAsync(ReplyCode.Succeeded, advertised, cancellationToken).ConfigureAwait(false) != ServerEvent.SecondReplyRequired)
        {
            return null;
        }

        (Socket? Peer, bool ClientGone) accepted;
        using (Deadline bindTimeout = Deadline.Start(server.Options.TimeProvider, server.Options.BindTimeout, cancellationToken))
        {
            accepted = await AcceptExpectedAsync(connection, request, listener, expected, bindTimeout.Token).ConfigureAwait(false);
        }

        if (accepted.ClientGone)
        {
            return null; // nobody to tell
        }

        if (accepted.Peer is not { } peer)
        {
            await connection.ReplyAsync(ReplyCode.GeneralFailure, null, cancellationToken).ConfigureAwait(false);
            return null;
        }

        var pipe = new SocketPipe(peer);
        return await connection.EstablishAsync(pipe, pipe.RemoteEndPoint, cancellationToken).ConfigureAwait(false);
    }

    // Accepts until a peer from an expected address passes the check, the client leaves, or the token (the bind timeout)
    // ends the wait. No peer without the client gone: the client is owed a failure reply.
    private static async Task<(Socket? Peer, bool ClientGone)> AcceptExpectedAsync(Socks5ServerConnection connection, RequestInfo request, Socket listener, IPEndPoint[] expected, CancellationToken cancellationToken)
    {
        Task<bool> clientGone = ClientClosedAsync(connection.Client.Input, cancellationToken);
        try
        {
            using (cancellationToken.Register(static s => ((Socket)s!).Dispose(), listener))
            {
                while (true)
                {
                    Task<Socket> accept = listener.AcceptAsync();
                    if (await Task.WhenAny(accept, clientGone).ConfigureAwait(false) != accept && await clientGone.ConfigureAwait(false))
                    {
                        return (null, true);
                    }

                    Socket candidate = await accept.ConfigureAwait(false);
                    bool taken = false;
                    try
                    {
                        taken = await IsExpectedPeerAsync(connection, request, candidate, expected, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        if (!taken)
                        {
                            candidate.Dispose(); // not the peer the client is waiting for: it may still come
                        }
                    }

                    if (taken)
                    {
                        return (candidate, false);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return (null, false);
        }
        finally
        {
            if (!clientGone.IsCompleted)
            {
                // End the watch; the relay reads again after a canceled read, so nothing is lost.
                connection.Client.Input.CancelPendingRead();
            }

            await Socks5ServerConnection.IgnoreAsync(clientGone).ConfigureAwait(false);
        }
    }

    // A peer that connected to the listener is taken when it comes from an expected address (0.0.0.0 or :: stands for
    // any) and passes the check.
    private static async ValueTask<bool> IsExpectedPeerAsync(Socks5ServerConnection connection, RequestInfo request, Socket candidate, IPEndPoint[] expected, CancellationToken cancellationToken)
    {
        IPEndPoint peer = IPAddresses.Unmap((IPEndPoint)candidate.RemoteEndPoint!);
        foreach (IPEndPoint from in expected)
        {
            if (IPAddresses.IsUnspecified(from.Address) || from.Address.Equals(peer.Address))
            {
                return await connection.Server.Policy.IsPeerAllowedAsync(connection, request.Command, request.Host, peer, cancellationToken).ConfigureAwait(false);
            }
        }

        return false;
    }

    // Watches the client while BIND waits: true when it closed, false when data arrived or the watch was cancelled.
    // The data, if any, stays in the reader for the relay.
    private static async Task<bool> ClientClosedAsync(System.IO.Pipelines.PipeReader input, CancellationToken cancellationToken)
    {
        try
        {
            System.IO.Pipelines.ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            input.AdvanceTo(result.Buffer.Start);
            return result.IsCompleted && result.Buffer.IsEmpty && !result.IsCanceled;
        }
        catch (OperationCanceledException)
        {
            return false; // the bind timeout: the accept fails the same way and gets the reply
        }
    }
}
