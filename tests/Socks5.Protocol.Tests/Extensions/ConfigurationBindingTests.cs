using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Socks5.Protocol.Server;
using Xunit;

namespace Socks5.Protocol.Tests.Extensions;

/// <summary>
/// The "Socks5" section binds to <see cref="Socks5ServerOptions"/>, and every bad value stops the host at start with a
/// message naming its key (ValidateOnStart), before anything listens.
/// </summary>
public sealed class ConfigurationBindingTests
{
    [Fact]
    public void Every_setting_with_a_text_form_binds()
    {
        using IHost host = TestHosts.Build(new Dictionary<string, string?>
        {
            ["Socks5:Listen:0"] = "127.0.0.1:1080",
            ["Socks5:Listen:1"] = "[::1]:1081",
            ["Socks5:Users:alice"] = "s3cret",
            ["Socks5:Users:bob"] = "other",
            ["Socks5:HandshakeTimeout"] = "00:00:03",
            ["Socks5:ConnectTimeout"] = "00:00:04",
            ["Socks5:BindTimeout"] = "00:00:05",
            ["Socks5:IdleTimeout"] = "00:10:00",
            ["Socks5:UdpIdleTimeout"] = "00:00:06",
            ["Socks5:MaxConnections"] = "7",
            ["Socks5:MaxUdpAssociations"] = "8",
            ["Socks5:RelayBufferBudget"] = "67108864",
            ["Socks5:MaxConnectionsPerUser"] = "3",
            ["Socks5:MaxBytesPerSecondPerUser"] = "5000000000",
            ["Socks5:EnableBind"] = "false",
            ["Socks5:EnableSocks4"] = "false",
            ["Socks5:EnableHttpConnect"] = "false",
            ["Socks5:EnableUdpAssociate"] = "false",
            ["Socks5:AllowSelfConnect"] = "true",
            ["Socks5:LearnUdpClientAddress"] = "true",
            ["Socks5:Advertise"] = "192.0.2.7",
            ["Socks5:Egress:DenyPrivate"] = "true",
            ["Socks5:Egress:Allow:0"] = "198.51.100.0/24",
            ["Socks5:Egress:Deny:0"] = "198.51.100.128/25",
        });

        Socks5ServerOptions options = host.Services.GetRequiredService<IOptions<Socks5ServerOptions>>().Value;

        Assert.Equal(["127.0.0.1:1080", "[::1]:1081"], options.Listen);
        Assert.Equal("s3cret", options.Users["alice"]);
        Assert.Equal("other", options.Users["bob"]);
        Assert.Equal(TimeSpan.FromSeconds(3), options.HandshakeTimeout);
        Assert.Equal(TimeSpan.FromSeconds(4), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.BindTimeout);
        Assert.Equal(TimeSpan.FromMinutes(10), options.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(6), options.UdpIdleTimeout);
        Assert.Equal(7, options.MaxConnections);
        Assert.Equal(8, options.MaxUdpAssociations);
        Assert.Equal(64 * 1024 * 1024, options.RelayBufferBudget);
        Assert.Equal(3, options.MaxConnectionsPerUser);
        Assert.Equal(5_000_000_000, options.MaxBytesPerSecondPerUser);
        Assert.False(options.EnableBind);
        Assert.False(options.EnableSocks4);
        Assert.False(options.EnableHttpConnect);
        Assert.False(options.EnableUdpAssociate);
        Assert.True(options.AllowSelfConnect);
        Assert.True(options.LearnUdpClientAddress);
        Assert.Equal("192.0.2.7", options.Advertise);
        Assert.True(options.Egress.DenyPrivate);
        Assert.Equal(["198.51.100.0/24"], options.Egress.Allow);
        Assert.Equal(["198.51.100.128/25"], options.Egress.Deny);
    }

    [Fact]
    public void Code_configuration_runs_after_the_binding()
    {
        var services = new ServiceCollection();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Socks5:MaxConnections"] = "7", ["Socks5:Listen:0"] = "127.0.0.1:1" })
            .Build();
        services.AddSocks5Server(configuration, o => o.MaxConnections++);
        using ServiceProvider provider = services.BuildServiceProvider();

        Socks5ServerOptions options = provider.GetRequiredService<IOptions<Socks5ServerOptions>>().Value;

        Assert.Equal(8, options.MaxConnections);
        Assert.Equal(["127.0.0.1:1"], options.Listen);
    }

    // The binder cannot make the typed ListenEndPoints from text and used to skip it without a word (the server then fell
    // back to 127.0.0.1:1080): in configuration it is another name for Listen, index by index.
    [Fact]
    public void ListenEndPoints_in_configuration_is_read_as_Listen_and_overrides_the_same_index()
    {
        var services = new ServiceCollection();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Socks5:Listen:0"] = "127.0.0.1:1080", ["Socks5:Listen:1"] = "[::1]:1080" })
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Socks5:ListenEndPoints:0"] = "127.0.0.1:1090", ["Socks5:ListenEndPoints:2"] = "127.0.0.2:1090" })
            .Build();
        services.AddSocks5Server(configuration);
        using ServiceProvider provider = services.BuildServiceProvider();

        Socks5ServerOptions options = provider.GetRequiredService<IOptions<Socks5ServerOptions>>().Value;

        Assert.Equal(["127.0.0.1:1090", "[::1]:1080", "127.0.0.2:1090"], options.Listen);
        Assert.Empty(options.ListenEndPoints);
    }

    public static TheoryData<string, string, string, string> BadConfigurations => new()
    {
        // key, value, the key the message names, a fragment of the reason
        { "Socks5:Listen:0", "localhost:1080", "Socks5:Listen:0", "localhost:1080" },
        { "Socks5:Listen:0", "127.0.0.1", "Socks5:Listen:0", "127.0.0.1" },
        { "Socks5:Listen:0", "::1:1080", "Socks5:Listen:0", "::1:1080" },
        { "Socks5:Listen:0", "127.0.0.1:65536", "Socks5:Listen:0", "127.0.0.1:65536" },
        { "Socks5:Listen:0", "", "Socks5:Listen:0", "empty" },
        { "Socks5:ListenEndPoints:0", "localhost:1080", "Socks5:ListenEndPoints:0", "localhost:1080" },
        { "Socks5:Advertise", "proxy.example", "Socks5:Advertise", "proxy.example" },
        { "Socks5:Egress:Allow:0", "10.0.0.0/33", "Socks5:Egress:Allow:0", "10.0.0.0/33" },
        { "Socks5:Egress:Deny:0", "example.com/8", "Socks5:Egress:Deny:0", "example.com/8" },
        { "Socks5:Users:alice", "", "Socks5:Users:alice", "password is empty" },
        { "Socks5:Users:alice", new string('p', 256), "Socks5:Users:alice", "longer than 255 bytes" },
        { "Socks5:Users:" + new string('u', 256), "pw", "Socks5:Users", "longer than 255 bytes" },
        { "Socks5:HandshakeTimeout", "00:00:00", "Socks5:HandshakeTimeout", "not a timeout" },
        { "Socks5:ConnectTimeout", "-00:00:01", "Socks5:ConnectTimeout", "not a timeout" },
        { "Socks5:BindTimeout", "00:00:00", "Socks5:BindTimeout", "not a timeout" },
        { "Socks5:IdleTimeout", "00:00:00", "Socks5:IdleTimeout", "not a timeout" },
        { "Socks5:UdpIdleTimeout", "00:00:00", "Socks5:UdpIdleTimeout", "not a timeout" },
        { "Socks5:MaxConnections", "0", "Socks5:MaxConnections", "1 or more" },
        { "Socks5:MaxUdpAssociations", "-1", "Socks5:MaxUdpAssociations", "0 or more" },
        { "Socks5:RelayBufferBudget", "-1", "Socks5:RelayBufferBudget", "0 or more" },
        { "Socks5:MaxConnectionsPerUser", "-1", "Socks5:MaxConnectionsPerUser", "0 (no limit) or more" },
        { "Socks5:MaxBytesPerSecondPerUser", "-5", "Socks5:MaxBytesPerSecondPerUser", "0 (no limit) or more" },
    };

    [Theory]
    [MemberData(nameof(BadConfigurations))]
    public async Task A_bad_value_stops_the_host_at_start_with_a_message_naming_the_key(string key, string value, string namedKey, string reason)
    {
        var configuration = new Dictionary<string, string?> { [key] = value };
        configuration.TryAdd("Socks5:Listen:0", "127.0.0.1:0");
        using IHost host = TestHosts.Build(configuration);

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.StartsWith(namedKey + ":", StringComparison.Ordinal) && f.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_bad_value_is_reported_at_once()
    {
        using IHost host = TestHosts.Build(new Dictionary<string, string?>
        {
            ["Socks5:Listen:0"] = "127.0.0.1:0",
            ["Socks5:Listen:1"] = "nowhere",
            ["Socks5:Users:alice"] = "",
        });

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(2, error.Failures.Count());
        Assert.StartsWith("Socks5:Listen:1: ", error.Failures.First(), StringComparison.Ordinal);
        Assert.StartsWith("Socks5:Users:alice: ", error.Failures.Last(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_in_use_stops_the_host_and_logs_event_4()
    {
        using var taken = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var log = new LogCapture();
        using IHost host = TestHosts.Build(new Dictionary<string, string?> { ["Socks5:Listen:0"] = taken.LocalEndPoint!.ToString() }, log: log);

        await Assert.ThrowsAsync<System.Net.Sockets.SocketException>(() => host.StartAsync());

        Assert.Contains(log.Entries, e => e.EventId == 4 && e.Level == Microsoft.Extensions.Logging.LogLevel.Error);
    }
}
