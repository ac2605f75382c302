using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Socks5.Protocol.Client;

namespace Socks5.Protocol.Extensions.Hosting;

/// <summary>
/// Sends each request through the SOCKS5 proxy set on it (<see cref="SetSocks5Proxy"/>), with no
/// <see cref="System.Net.IWebProxy"/>: one <see cref="SocketsHttpHandler"/> per <see cref="Socks5Client"/>, so pooled
/// connections are never shared between proxies (a single handler pools by destination only, and would send a request
/// down another proxy's tunnel). A request with no proxy set fails rather than going out directly.
/// </summary>
/// <remarks>
/// Reuse one <see cref="Socks5Client"/> per proxy: the handler of a client lives as long as the client and this
/// handler do. Usable alone (<c>new HttpClient(new Socks5ProxyRoutingHandler())</c>) or as the primary handler of an
/// <c>IHttpClientFactory</c> client (<c>UseSocks5PerRequestProxy</c>).
/// </remarks>
public sealed class Socks5ProxyRoutingHandler : HttpMessageHandler
{
    private static readonly HttpRequestOptionsKey<Socks5Client> ProxyKey = new("Socks5.Protocol.Proxy");

    private readonly ConditionalWeakTable<Socks5Client, HttpMessageInvoker> _handlers = new();
    private readonly Func<Socks5Client, SocketsHttpHandler> _createHandler;
    private bool _disposed;

    /// <summary>Creates the handler; each proxy's <see cref="SocketsHttpHandler"/> has the default settings.</summary>
    public Socks5ProxyRoutingHandler()
        : this(static _ => new SocketsHttpHandler())
    {
    }

    /// <summary>Creates the handler with <paramref name="createHandler"/> making each proxy's handler.</summary>
    /// <param name="createHandler">
    /// Makes the <see cref="SocketsHttpHandler"/> for a proxy (timeouts, pool settings); its ConnectCallback is then set
    /// to the proxy's.
    /// </param>
    public Socks5ProxyRoutingHandler(Func<Socks5Client, SocketsHttpHandler> createHandler) =>
        _createHandler = createHandler ?? throw new ArgumentNullException(nameof(createHandler));

    /// <summary>Routes <paramref name="request"/> through <paramref name="proxy"/> when a routing handler sends it.</summary>
    /// <param name="request">The request.</param>
    /// <param name="proxy">The proxy's client.</param>
    /// <returns><paramref name="request"/>.</returns>
    public static HttpRequestMessage SetSocks5Proxy(HttpRequestMessage request, Socks5Client proxy)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(proxy);
        request.Options.Set(ProxyKey, proxy);
        return request;
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The request has no proxy set.</exception>
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        For(request).SendAsync(request, cancellationToken);

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The request has no proxy set.</exception>
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        For(request).Send(request, cancellationToken);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            var handlers = new List<HttpMessageInvoker>();
            lock (_handlers)
            {
                _disposed = true;
                foreach (KeyValuePair<Socks5Client, HttpMessageInvoker> entry in _handlers)
                {
                    handlers.Add(entry.Value);
                }

                _handlers.Clear();
            }

            foreach (HttpMessageInvoker handler in handlers)
            {
                handler.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private HttpMessageInvoker For(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Options.TryGetValue(ProxyKey, out Socks5Client? proxy))
        {
            throw new InvalidOperationException("The request names no SOCKS5 proxy: set one with Socks5ProxyRoutingHandler.SetSocks5Proxy.");
        }

        lock (_handlers)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_handlers.TryGetValue(proxy, out HttpMessageInvoker? invoker))
            {
                invoker = new HttpMessageInvoker(_createHandler(proxy).UseSocks5(proxy), disposeHandler: true);
                _handlers.Add(proxy, invoker);
            }

            return invoker;
        }
    }
}
