using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace Socks5.Protocol.Transport;

/// <summary>The one socket connect of the library (client connections to a proxy, the server's dials), on every target.</summary>
internal static class SocketConnector
{
    /// <summary>
    /// Connects <paramref name="socket"/>; a cancelled connect ends in <see cref="OperationCanceledException"/>. The caller
    /// disposes the socket when this throws.
    /// </summary>
    public static async ValueTask ConnectAsync(Socket socket, EndPoint endPoint, CancellationToken cancellationToken)
    {
#if NET
        await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
#else
        // netstandard2.0 has no cancellable connect: closing the socket is what stops it, and the failure that follows
        // is reported as the cancellation it is.
        try
        {
            using (cancellationToken.Register(static s => ((Socket)s!).Dispose(), socket))
            {
                await Task.Factory.FromAsync(socket.BeginConnect, socket.EndConnect, endPoint, null).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
#endif
    }
}
