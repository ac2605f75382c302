using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Socks5.Protocol.Client;
using Socks5.Protocol.Extensions.Hosting;
using Socks5.Protocol.Server;
using Socks5.Protocol.Tests.Interop;
using Xunit;

namespace Socks5.Protocol.Tests.Extensions;

/// <summary>
/// IHttpClientFactory clients through SOCKS5 proxies: one proxy from configuration for a named client, and a proxy per
/// request through <see cref="Socks5ProxyRoutingHandler"/>. The proxies are in-process servers on loopback.
/// </summary>
public sealed class HttpClientTests
{
    private readonly LoopbackTargets _targets = LoopbackTargets.Shared;

    [Fact]
    public async Task UseSocks5Proxy_routes_a_named_client_through_the_configured_proxy_with_its_credentials()
    {
        await using Socks5Server proxy = StartProxy(o => o.Users["alice"] = "s3cret");
        using ServiceProvider services = Services(new()
        {
            ["TorProxy:Proxy"] = proxy.LocalEndPoints[0].ToString(),
            ["TorProxy:UserName"] = "alice",
            ["TorProxy:Password"] = "s3cret",
        }, (s, c) => s.AddHttpClient("tor").UseSocks5Proxy(c.GetSection("TorProxy")));

        string body = await services.GetRequiredService<IHttpClientFactory>().CreateClient("tor").GetStringAsync(_targets.HttpUrl4);

        Assert.Equal(LoopbackTargets.HttpBody, body);
        Assert.Equal(1, proxy.Statistics.Accepted);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("127.0.0.1")]
    [InlineData("::1:1080")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:65536")]
    public async Task A_bad_proxy_address_fails_with_a_message_naming_the_key(string? address)
    {
        using ServiceProvider services = Services(new() { ["TorProxy:Proxy"] = address }, (s, c) => s.AddHttpClient("tor").UseSocks5Proxy(c.GetSection("TorProxy")));

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(
            () => services.GetRequiredService<IHttpClientFactory>().CreateClient("tor").GetStringAsync(_targets.HttpUrl4));

        Assert.StartsWith("TorProxy:Proxy: ", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void Proxy_addresses_of_every_form_parse()
    {
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 1080), new Socks5ProxyOptions { Proxy = "127.0.0.1:1080" }.CreateClient().Options.Proxy);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 1080), new Socks5ProxyOptions { Proxy = "[::1]:1080" }.CreateClient().Options.Proxy);
        Assert.Equal(new DnsEndPoint("proxy.example", 9050), new Socks5ProxyOptions { Proxy = "proxy.example:9050" }.CreateClient().Options.Proxy);
    }

    [Fact]
    public void Proxy_may_be_a_uri_whose_scheme_gives_the_protocol()
    {
        Socks5ClientOptions socks4a = new Socks5ProxyOptions { Proxy = "socks4a://bob@127.0.0.1:1081" }.CreateClient().Options;
        Assert.Equal(ProxyProtocol.Socks4, socks4a.Protocol);
        Assert.False(socks4a.ResolveNamesLocally);
        Assert.Equal("bob", socks4a.UserName);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 1081), socks4a.Proxy);

        Socks5ClientOptions http = new Socks5ProxyOptions { Proxy = "http://127.0.0.1:3128", UserName = "alice", Password = "pw", HandshakeTimeout = TimeSpan.FromSeconds(3) }.CreateClient().Options;
        Assert.Equal(ProxyProtocol.HttpConnect, http.Protocol);
        Assert.Equal(("alice", "pw"), (http.UserName, http.Password));
        Assert.Equal(TimeSpan.FromSeconds(3), http.HandshakeTimeout);

        Assert.True(new Socks5ProxyOptions { Proxy = "socks5://127.0.0.1", ResolveNamesLocally = false }.CreateClient().Options.ResolveNamesLocally);
        OptionsValidationException error = Assert.Throws<OptionsValidationException>(() => new Socks5ProxyOptions { Proxy = "ftp://127.0.0.1:21" }.CreateClient());
        Assert.Contains("ftp", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseSocks5PerRequestProxy_sends_each_request_through_its_own_proxy_never_a_pooled_connection_of_another()
    {
        await using Socks5Server first = StartProxy();
        await using Socks5Server second = StartProxy();
        using ServiceProvider services = Services([], (s, _) => s.AddHttpClient("any").UseSocks5PerRequestProxy());
        HttpClient http = services.GetRequiredService<IHttpClientFactory>().CreateClient("any");
        var firstClient = new Socks5Client(first.LocalEndPoints[0]);
        var secondClient = new Socks5Client(second.LocalEndPoints[0]);

        Assert.Equal(LoopbackTargets.HttpBody, await GetAsync(http, firstClient));
        Assert.Equal((1, 0), (first.Statistics.Accepted, second.Statistics.Accepted));

        // Same destination, other proxy: a connection of its own, through the second proxy.
        Assert.Equal(LoopbackTargets.HttpBody, await GetAsync(http, secondClient));
        Assert.Equal(1, second.Statistics.Accepted);
    }

    [Fact]
    public async Task A_request_with_no_proxy_set_fails_instead_of_going_out_directly()
    {
        using var http = new HttpClient(new Socks5ProxyRoutingHandler());

        await Assert.ThrowsAsync<InvalidOperationException>(() => http.GetStringAsync(_targets.HttpUrl4));
    }

    private static async Task<string> GetAsync(HttpClient http, Socks5Client proxy)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, LoopbackTargets.Shared.HttpUrl4);
        Socks5ProxyRoutingHandler.SetSocks5Proxy(request, proxy);
        using HttpResponseMessage response = await http.SendAsync(request);
        return await response.EnsureSuccessStatusCode().Content.ReadAsStringAsync();
    }

    private static Socks5Server StartProxy(Action<Socks5ServerOptions>? configure = null)
    {
        var options = new Socks5ServerOptions { Listen = { "127.0.0.1:0" } };
        configure?.Invoke(options);
        var server = new Socks5Server(options);
        server.Start();
        return server;
    }

    private static ServiceProvider Services(Dictionary<string, string?> configuration, Action<IServiceCollection, IConfiguration> add)
    {
        IConfiguration built = new ConfigurationBuilder().AddInMemoryCollection(configuration).Build();
        var services = new ServiceCollection();
        add(services, built);
        return services.BuildServiceProvider();
    }
}
