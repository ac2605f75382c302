#if NET
using System;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace Socks5.Protocol.Client;

/// <summary>
/// Plugs a <see cref="Socks5Client"/> into <see cref="SocketsHttpHandler"/>, so that every connection an
/// <see cref="HttpClient"/> opens (http and https, HTTP/1.1 and HTTP/2) is a CONNECT tunnel through the proxy, with all of the
/// client's options: credentials, remote or local name resolution, timeouts, chains.
/// </summary>
/// <example>
/// <code>
/// var socks = new Socks5Client(new Socks5ClientOptions("127.0.0.1", 1080) { UserName = "u", Password = "p" });
/// using var http = new HttpClient(new SocketsHttpHandler().UseSocks5(socks));
/// string body = await http.GetStringAsync("https://example.com/");
/// </code>
/// </example>
public static class Socks5HttpExtensions
{
    /// <summary>
    /// Sets <see cref="SocketsHttpHandler.ConnectCallback"/> to <see cref="CreateConnectCallback"/> and turns off the
    /// handler's own proxy settings (an environment HTTP proxy would otherwise sit between the tunnel and the server).
    /// </summary>
    /// <param name="handler">The handler to configure.</param>
    /// <param name="client">The SOCKS5 client to connect through.</param>
    /// <returns>The same handler.</returns>
    public static SocketsHttpHandler UseSocks5(this SocketsHttpHandler handler, Socks5Client client)
    {
        if (handler is null)
        {
            throw new ArgumentNullException(nameof(handler));
        }

        handler.UseProxy = false;
        handler.ConnectCallback = CreateConnectCallback(client);
        return handler;
    }

    /// <summary>
    /// A <see cref="SocketsHttpHandler.ConnectCallback"/> that opens a tunnel to the request's host and port through
    /// <paramref name="client"/> and hands back its stream. A <see cref="Socks5Exception"/> reaches the caller as the
    /// inner exception of an <see cref="HttpRequestException"/>.
    /// </summary>
    /// <param name="client">The SOCKS5 client to connect through.</param>
    /// <returns>The callback.</returns>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> CreateConnectCallback(Socks5Client client)
    {
        if (client is null)
        {
            throw new ArgumentNullException(nameof(client));
        }

        return async (context, cancellationToken) =>
        {
            // The URI's host may be an IP literal; ConnectAsync sends those as ATYP 1 or 4 and names as ATYP 3.
            Socks5Tunnel tunnel = await client.ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, cancellationToken).ConfigureAwait(false);
            return tunnel.Stream;
        };
    }
}
#endif
