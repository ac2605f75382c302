using System;
using System.Net.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Socks5.Protocol.Client;
using Socks5.Protocol.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Routes <c>IHttpClientFactory</c> clients through SOCKS5 proxies, without an <see cref="System.Net.IWebProxy"/>.</summary>
public static class Socks5HttpClientBuilderExtensions
{
    /// <summary>
    /// Sends every request of this client through the proxy that <paramref name="configuration"/> describes (a section
    /// bound to <see cref="Socks5ProxyOptions"/>: <c>Proxy</c>, <c>UserName</c>, <c>Password</c>, …): its primary handler
    /// is a <see cref="SocketsHttpHandler"/> whose ConnectCallback opens a SOCKS5 CONNECT. One handler per named
    /// client, so one pool per proxy; the factory rotates it as usual.
    /// </summary>
    /// <param name="builder">The client's builder (from <c>services.AddHttpClient(…)</c>).</param>
    /// <param name="configuration">The proxy's section, such as <c>configuration.GetSection("Proxy")</c>.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>A missing or malformed <c>Proxy</c> fails the first request with a message naming the key.</remarks>
    public static IHttpClientBuilder UseSocks5Proxy(this IHttpClientBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Services.AddOptions<Socks5ProxyOptions>(builder.Name).Bind(configuration);
        string key = configuration is IConfigurationSection section ? section.Path + ":" + nameof(Socks5ProxyOptions.Proxy) : nameof(Socks5ProxyOptions.Proxy);
        string name = builder.Name;
        return builder.UseSocks5Proxy(services => services.GetRequiredService<IOptionsMonitor<Socks5ProxyOptions>>().Get(name).CreateClient(key));
    }

    /// <summary>
    /// Sends every request of this client through the proxy of the <see cref="Socks5Client"/> that
    /// <paramref name="createClient"/> makes (called each time the factory makes a new primary handler).
    /// </summary>
    /// <param name="builder">The client's builder.</param>
    /// <param name="createClient">Makes the proxy's client, with services at hand.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static IHttpClientBuilder UseSocks5Proxy(this IHttpClientBuilder builder, Func<IServiceProvider, Socks5Client> createClient)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(createClient);
        return builder.ConfigurePrimaryHttpMessageHandler(services => new SocketsHttpHandler().UseSocks5(createClient(services)));
    }

    /// <summary>
    /// Lets each request of this client choose its proxy: the primary handler is a
    /// <see cref="Socks5ProxyRoutingHandler"/>, so a request sent with
    /// <see cref="Socks5ProxyRoutingHandler.SetSocks5Proxy"/> goes through that proxy, and one without fails.
    /// </summary>
    /// <param name="builder">The client's builder.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static IHttpClientBuilder UseSocks5PerRequestProxy(this IHttpClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.ConfigurePrimaryHttpMessageHandler(static () => new Socks5ProxyRoutingHandler());
    }
}
