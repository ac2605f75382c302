using System.Net;
using System.Text.RegularExpressions;
using Socks5.Protocol.Client;
using Socks5.Protocol.Tests.Interop;
using Socks5.Protocol.Tests.Samples;
using Xunit;

namespace Socks5.Protocol.Tests.Extensions;

/// <summary>
/// samples/Socks5.Hosted as a real process: its appsettings.json listen address overridden the usual ways (the command
/// line, the environment) with a free port, a CONNECT through it with the library's client, its log, and a graceful
/// stop on SIGTERM (exit code 0).
/// </summary>
[Collection(nameof(HostedSampleTests))] // one test sets a Socks5__ variable that the processes it starts inherit
[CollectionDefinition(nameof(HostedSampleTests), DisableParallelization = true)]
public sealed partial class HostedSampleTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LineTimeout = TimeSpan.FromSeconds(10);

    private readonly LoopbackTargets _targets = LoopbackTargets.Shared;

    [Fact]
    public async Task Listen_overridden_on_the_command_line_serves_a_CONNECT_then_SIGTERM_drains_and_exits_zero()
    {
        using SampleProcess sample = SampleProcess.Start("Socks5.Hosted", "--Socks5:Listen:0=127.0.0.1:0");
        await ConnectThroughThenStopAsync(sample);
    }

    [Fact]
    public async Task ListenEndPoints_overridden_on_the_command_line_serves_a_CONNECT_on_that_port_only()
    {
        // The name of the typed option, as a reader of the options class would write it: it replaces appsettings.json's
        // Listen:0 (127.0.0.1:1080) instead of being dropped.
        using SampleProcess sample = SampleProcess.Start("Socks5.Hosted", "--Socks5:ListenEndPoints:0=127.0.0.1:0");
        await ConnectThroughThenStopAsync(sample);
        Assert.DoesNotMatch(":1080(?![0-9])", sample.Log);
    }

    [Fact]
    public async Task Listen_overridden_in_the_environment_serves_a_CONNECT()
    {
        SampleProcess sample;
        Environment.SetEnvironmentVariable("Socks5__Listen__0", "127.0.0.1:0");
        try
        {
            sample = SampleProcess.Start("Socks5.Hosted");
        }
        finally
        {
            Environment.SetEnvironmentVariable("Socks5__Listen__0", null);
        }

        using (sample)
        {
            await ConnectThroughThenStopAsync(sample);
        }
    }

    [Fact]
    public async Task A_bad_listen_address_stops_it_with_a_message_naming_the_key()
    {
        using SampleProcess sample = SampleProcess.Start("Socks5.Hosted", "--Socks5:Listen:0=localhost:1080");

        int exitCode = await sample.WaitForExitAsync(StartTimeout);

        Assert.True(exitCode != 0, sample.Log);
        Assert.Contains("Socks5:Listen:0: ", sample.Log, StringComparison.Ordinal);
        Assert.Contains("localhost:1080", sample.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Off_loopback_without_users_it_refuses_to_start_and_says_how_to_mean_it()
    {
        // Validation runs before anything listens: 0.0.0.0 is never bound here.
        using SampleProcess sample = SampleProcess.Start("Socks5.Hosted", "--Socks5:Listen:0=0.0.0.0:0");

        int exitCode = await sample.WaitForExitAsync(StartTimeout);

        Assert.True(exitCode != 0, sample.Log);
        Assert.Contains("Socks5:AllowAnonymous=true", sample.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("listening on", sample.Log, StringComparison.Ordinal);
    }

    private async Task ConnectThroughThenStopAsync(SampleProcess sample)
    {
        string listening = await sample.WaitForLineAsync(l => l.Contains("SOCKS5 server listening on ", StringComparison.Ordinal), StartTimeout, "the listening line");
        Match port = ListeningPort().Match(listening);
        Assert.True(port.Success, sample.Log);
        var proxy = new IPEndPoint(IPAddress.Loopback, int.Parse(port.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));

        await using (Socks5Tunnel tunnel = await new Socks5Client(proxy).ConnectAsync(_targets.Echo4))
        {
            await TestHosts.AssertEchoesAsync(tunnel, "through the hosted sample");
        }

        await sample.WaitForLineAsync(l => l.Contains($"Connect {_targets.Echo4} reply=Succeeded", StringComparison.Ordinal), LineTimeout, "the served connection's Debug line");

        sample.Signal(SampleProcess.SigTerm);
        Assert.Equal(0, await sample.WaitForExitAsync(StartTimeout));
        Assert.Contains("SOCKS5 server stopped: 1 accepted", sample.Log, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningPort();
}
