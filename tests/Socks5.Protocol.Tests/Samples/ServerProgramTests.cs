using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Socks5.Protocol.Tests.Interop;
using Xunit;

namespace Socks5.Protocol.Tests.Samples;

/// <summary>
/// samples/Socks5.Server as a real process (the README's command, minus the build): it listens on a port it picks on
/// 127.0.0.1, curl fetches the in-process loopback HTTP target through it, the log says so, and a signal stops it with
/// exit code 0.
/// </summary>
public sealed partial class ServerProgramTests : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LineTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private readonly List<SampleProcess> _processes = [];
    private readonly LoopbackTargets _targets = LoopbackTargets.Shared;

    private CancellationToken Ct => _timeout.Token;

    [PeerFact("curl", "curl")]
    public async Task Curl_NoAuthentication_Socks5AndSocks5Hostname_ThenCtrlC_ExitsZero()
    {
        (SampleProcess server, int port) = await StartServerAsync();

        await AssertCurlFetchesAsync(server, "--socks5", port, _targets.HttpUrl4, user: null);
        await AssertCurlFetchesAsync(server, "--socks5-hostname", port, _targets.HttpUrlLocalhost, user: null);
        await server.WaitForLineAsync(l => l.Contains($" user=- CONNECT 127.0.0.1:{_targets.HttpPort} reply=Succeeded", StringComparison.Ordinal), LineTimeout, "the --socks5 tunnel's line");
        await server.WaitForLineAsync(l => l.Contains($" user=- CONNECT localhost:{_targets.HttpPort} reply=Succeeded", StringComparison.Ordinal), LineTimeout, "the --socks5-hostname tunnel's line");

        await AssertStopsCleanlyAsync(server, SampleProcess.SigInt);
    }

    [PeerFact("curl", "curl")]
    public async Task Curl_WithUser_RightPasswordFetches_WrongPasswordAndNoneGetExit97()
    {
        (SampleProcess server, int port) = await StartServerAsync("--user", "alice:s3cret:x", "--user", "bob:other");

        await AssertCurlFetchesAsync(server, "--socks5", port, _targets.HttpUrl4, user: "alice:s3cret:x");
        await AssertCurlFetchesAsync(server, "--socks5-hostname", port, _targets.HttpUrlLocalhost, user: "bob:other");
        await server.WaitForLineAsync(l => l.Contains($" user=alice CONNECT 127.0.0.1:{_targets.HttpPort} reply=Succeeded", StringComparison.Ordinal), LineTimeout, "alice's tunnel line");
        await server.WaitForLineAsync(l => l.Contains($" user=bob CONNECT localhost:{_targets.HttpPort} reply=Succeeded", StringComparison.Ordinal), LineTimeout, "bob's tunnel line");

        // curl's CURLE_PROXY (97): the handshake with the proxy failed.
        ClientResult wrong = await CurlAsync("--socks5", port, _targets.HttpUrl4, "alice:wrong");
        Assert.True(wrong.ExitCode == 97, $"{wrong}\n{server.Log}");
        await server.WaitForLineAsync(l => l.Contains(" failed=AuthenticationFailed", StringComparison.Ordinal), LineTimeout, "the failed authentication's line");

        ClientResult none = await CurlAsync("--socks5", port, _targets.HttpUrl4, user: null);
        Assert.True(none.ExitCode == 97, $"{none}\n{server.Log}");
        await server.WaitForLineAsync(l => l.Contains(" failed=NoAcceptableMethod", StringComparison.Ordinal), LineTimeout, "the no-acceptable-method line");

        await AssertStopsCleanlyAsync(server, SampleProcess.SigInt);
    }

    [PeerFact("curl", "curl")]
    public async Task InlineCompletions_ServesCurl_WithOneSocketEngineThreadPerCore()
    {
        (SampleProcess plain, int plainPort) = await StartServerAsync();
        (SampleProcess inline, int inlinePort) = await StartServerAsync("--inline-completions");
        await AssertCurlFetchesAsync(plain, "--socks5", plainPort, _targets.HttpUrl4, user: null);
        await AssertCurlFetchesAsync(inline, "--socks5-hostname", inlinePort, _targets.HttpUrlLocalhost, user: null);

        // The runtime reads the setting when its socket engine starts: with it, one engine thread per core instead of
        // one in all (on fewer than 32 cores). Seeing that count proves the program set it before its first socket.
        Assert.Equal(1, SocketEngineThreads(plain.Pid));
        Assert.Equal(Environment.ProcessorCount, SocketEngineThreads(inline.Pid));

        await AssertStopsCleanlyAsync(inline, SampleProcess.SigTerm);
        await AssertStopsCleanlyAsync(plain, SampleProcess.SigTerm);
    }

    private static int SocketEngineThreads(int pid) =>
        Directory.GetDirectories($"/proc/{pid}/task").Count(task => File.ReadAllText(Path.Combine(task, "comm")).Trim() == ".NET Sockets");

    [PeerFact("env", "coreutils")]
    public async Task Sigterm_StopsAccepting_ButAnOpenTunnelFinishes_ThenExitsZero()
    {
        (SampleProcess server, int port) = await StartServerAsync();
        var proxy = new IPEndPoint(IPAddress.Loopback, port);
        using RawSocks5Client tunnel = await RawSocks5Client.OpenAsync(proxy, Ct);
        await tunnel.ConnectAndAssertEchoAsync(_targets.Echo4, Ct);

        server.Signal(SampleProcess.SigTerm);
        await server.WaitForLineAsync(l => l.StartsWith("stopping", StringComparison.Ordinal), LineTimeout, "the stopping line");

        // The listener closes (just after the line), the tunnel still carries data both ways.
        await AssertListenerClosesAsync(proxy);
        await tunnel.AssertEchoAsync(Ct);
        tunnel.Socket.Shutdown(SocketShutdown.Both);

        Assert.Equal(0, await server.WaitForExitAsync(ExitTimeout));
        Assert.Matches($@" user=- CONNECT 127\.0\.0\.1:{_targets.EchoPort} reply=Succeeded up=\d+B down=\d+B", server.Log);
        // Not an exact count: a probe of the listener may have been accepted just before it closed.
        Assert.Matches(@"stopped: \d+ connections accepted", server.Log);
    }

    [PeerFact("env", "coreutils")]
    public async Task NonLoopbackWithoutUser_RefusesToStart_ExitCode2()
    {
        SampleProcess server = Track(SampleProcess.Start("Socks5.Server", "--listen", "0.0.0.0:1080"));

        Assert.Equal(2, await server.WaitForExitAsync(StartTimeout));
        Assert.Contains("refusing to listen on 0.0.0.0:1080 without --user", server.Log, StringComparison.Ordinal);
        Assert.Contains("Try --help", server.Log, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        foreach (SampleProcess process in _processes)
        {
            process.Dispose();
        }

        _timeout.Dispose();
    }

    [GeneratedRegex(@"^listening on 127\.0\.0\.1:(\d+) \(")]
    private static partial Regex ListeningLine();

    // Port 0: the program binds a free port and names it in its listening line, so no other process can take it between.
    private async Task<(SampleProcess Server, int Port)> StartServerAsync(params string[] args)
    {
        SampleProcess server = Track(SampleProcess.Start("Socks5.Server", ["--listen", "127.0.0.1:0", .. args]));
        string line = await server.WaitForLineAsync(l => ListeningLine().IsMatch(l), StartTimeout, "its listening line");
        string expected = args.Contains("--user") ? "(username/password, 2 users)" : "(no authentication)";
        Assert.EndsWith(expected, line, StringComparison.Ordinal);
        return (server, int.Parse(ListeningLine().Match(line).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task AssertListenerClosesAsync(IPEndPoint proxy)
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                (await RawSocks5Client.ConnectAsync(proxy, Ct)).Dispose();
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
            {
                // Refused, or reset from the backlog of the listener as it closed.
                return;
            }

            await Task.Delay(50, Ct);
        }

        Assert.Fail($"{proxy} still accepts 5 s after the stopping line");
    }

    private async Task AssertCurlFetchesAsync(SampleProcess server, string mode, int port, string url, string? user)
    {
        ClientResult result = await CurlAsync(mode, port, url, user);
        Assert.True(result.ExitCode == 0, $"{result}\n{server.Log}");
        Assert.Equal(Encoding.ASCII.GetBytes(LoopbackTargets.HttpBody), result.Stdout);
    }

    private static Task<ClientResult> CurlAsync(string mode, int port, string url, string? user)
    {
        List<string> args = ["-sS", "--max-time", "10", mode, $"127.0.0.1:{port}", url];
        if (user is not null)
        {
            args.AddRange(["--proxy-user", user]);
        }

        return ClientProcess.RunAsync(Peers.Require("curl"), args, Path.GetTempPath(), timeout: TimeSpan.FromSeconds(15));
    }

    private static async Task AssertStopsCleanlyAsync(SampleProcess server, int signal)
    {
        server.Signal(signal);
        Assert.Equal(0, await server.WaitForExitAsync(ExitTimeout));
        Assert.Contains("stopping: no new connections", server.Log, StringComparison.Ordinal);
    }

    private SampleProcess Track(SampleProcess process)
    {
        _processes.Add(process);
        return process;
    }
}
