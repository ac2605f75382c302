using System.IO.Pipelines;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Socks5.Protocol.Diagnostics;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Server;

/// <summary>
/// UDP ASSOCIATE (RFC 1928 §7): a <see cref="UdpRelay"/> on the address the client reached us on, named in the reply, for
/// as long as the TCP connection stays open.
/// </summary>
internal static class UdpAssociateCommand
{
    /// <summary>Serves the association until it ends; there is never a relay left to run.</summary>
    public static async Task<Task<RelayResult>?> RunAsync(Socks5ServerConnection connection, RequestInfo request, CancellationToken cancellationToken)
    {
        Socks5Server server = connection.Server;
        if (!server.TryEnterUdpAssociation())
        {
            Socks5Telemetry.CountRejection(Socks5Telemetry.RejectionLimit);
            await connection.ReplyAsync(ReplyCode.GeneralFailure, null, cancellationToken).ConfigureAwait(false);
            return null;
        }

        // Counted out only if counted in, so that a listener that comes or goes meanwhile never sees the count drift.
        bool counted = Socks5Telemetry.ActiveUdpAssociations.Enabled;
        if (counted)
        {
            Socks5Telemetry.ActiveUdpAssociations.Add(1);
        }

        try
        {
            using var relay = new UdpRelay(connection, connection.LocalAddress, ClientOf(connection, request, server.Options.LearnUdpClientAddress));
            var advertised = new IPEndPoint(server.AdvertisedAddress ?? relay.LocalEndPoint.Address, relay.LocalEndPoint.Port);
            if (await connection.ReplyAsync(ReplyCode.Succeeded, advertised, cancellationToken).ConfigureAwait(false) != ServerEvent.Established)
            {
                return null;
            }

            using var ended = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task relaying = relay.RunAsync(ended.Token);
            // The association lives as long as its TCP connection: wait for the client to close it.
            Task closed = DrainUntilClosedAsync(connection.Client.Input, ended.Token);
            await Task.WhenAny(relaying, closed).ConfigureAwait(false);
            ended.Cancel();
            await Socks5ServerConnection.IgnoreAsync(relaying).ConfigureAwait(false);
            await Socks5ServerConnection.IgnoreAsync(closed).ConfigureAwait(false);
            connection.CountUdp(relay.BytesFromClient, relay.BytesToClient);
            return null;
        }
        finally
        {
            if (counted)
            {
                Socks5Telemetry.ActiveUdpAssociations.Add(-1);
            }

            server.ExitUdpAssociation();
        }
    }

    // RFC 1928 §7: datagrams are accepted from the address the client named, or when it named none from its TCP address
    // (or, with LearnUdpClientAddress, from any: the unspecified address); a zero port, and an unspecified address, are
    // learned from the first datagram.
    private static IPEndPoint ClientOf(Socks5ServerConnection connection, RequestInfo request, bool learnAddress)
    {
        IPAddress address = request.Address is { } named && !IPAddresses.IsUnspecified(IPAddresses.Unmap(named))
            ? IPAddresses.Unmap(named)
            : learnAddress ? IPAddress.Any
            : (connection.RemoteEndPoint as IPEndPoint)?.Address is { } peer ? IPAddresses.Unmap(peer) : IPAddress.Loopback;
        return new IPEndPoint(address, request.Port);
    }

    // During a UDP association the TCP connection carries nothing: read and discard until the client closes it.
    private static async Task DrainUntilClosedAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }
}
