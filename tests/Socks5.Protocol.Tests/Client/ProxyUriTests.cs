using System.Net;
using Socks5.Protocol.Client;
using Xunit;

namespace Socks5.Protocol.Tests.Client;

/// <summary>Socks5ClientOptions.FromUri: curl's proxy schemes, default ports and percent-decoded credentials.</summary>
public class ProxyUriTests
{
    [Theory]
    [InlineData("socks5://127.0.0.1", ProxyProtocol.Socks5, true, "127.0.0.1:1080")]
    [InlineData("socks5h://127.0.0.1:9050", ProxyProtocol.Socks5, false, "127.0.0.1:9050")]
    [InlineData("socks4://127.0.0.1:1081", ProxyProtocol.Socks4, true, "127.0.0.1:1081")]
    [InlineData("socks4a://localhost", ProxyProtocol.Socks4, false, "localhost:1080")]
    [InlineData("http://127.0.0.1:3128", ProxyProtocol.HttpConnect, false, "127.0.0.1:3128")]
    [InlineData("http://127.0.0.1", ProxyProtocol.HttpConnect, false, "127.0.0.1:80")]
    [InlineData("SOCKS5H://[::1]:1080/", ProxyProtocol.Socks5, false, "[::1]:1080")]
    [InlineData("socks5h://proxy.test:1", ProxyProtocol.Socks5, false, "proxy.test:1")]
    public void Scheme_gives_the_protocol_the_name_resolution_and_the_port(string uri, ProxyProtocol protocol, bool resolveLocally, string proxy)
    {
        Socks5ClientOptions options = Socks5ClientOptions.FromUri(new Uri(uri));
        Assert.Equal(protocol, options.Protocol);
        Assert.Equal(resolveLocally, options.ResolveNamesLocally);
        Assert.Equal(proxy, options.Proxy is DnsEndPoint name ? $"{name.Host}:{name.Port}" : options.Proxy!.ToString());
        Assert.Null(options.UserName);
        Assert.Null(options.Password);
    }

    [Theory]
    [InlineData("socks5h://user:pass@127.0.0.1", "user", "pass")]
    [InlineData("socks5://us%3Aer:p%40ss%3Aw%2Fd@127.0.0.1", "us:er", "p@ss:w/d")]
    [InlineData("http://caf%C3%A9:%20x%25@127.0.0.1:3128", "café", " x%")]
    [InlineData("socks4a://alice@127.0.0.1", "alice", null)]
    [InlineData("socks5h://alice:@127.0.0.1", "alice", "")]
    public void Credentials_are_percent_decoded(string uri, string user, string? password)
    {
        Socks5ClientOptions options = Socks5ClientOptions.FromUri(new Uri(uri));
        Assert.Equal(user, options.UserName);
        Assert.Equal(password, options.Password);
    }

    [Theory]
    [InlineData("https://127.0.0.1:443")]
    [InlineData("socks://127.0.0.1")]
    [InlineData("ftp://127.0.0.1")]
    [InlineData("file:///tmp/x")]
    [InlineData("socks5h://127.0.0.1/path")]
    [InlineData("socks5h://127.0.0.1?x=1")]
    [InlineData("socks5h://127.0.0.1#frag")]
    public void Other_schemes_and_uris_with_more_than_an_authority_are_refused(string uri) =>
        Assert.Throws<ArgumentException>(() => Socks5ClientOptions.FromUri(new Uri(uri)));

    [Fact]
    public void A_relative_uri_is_refused() =>
        Assert.Throws<ArgumentException>(() => Socks5ClientOptions.FromUri(new Uri("127.0.0.1:1080", UriKind.Relative)));
}
