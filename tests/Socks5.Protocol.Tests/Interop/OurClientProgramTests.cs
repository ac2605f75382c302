using System.Text;
using Xunit;

namespace Socks5.Protocol.Tests.Interop;

/// <summary>
/// The built sample program samples/Socks5.Client (<c>socks5-client.dll</c>), found from the repository root next to the
/// test assembly: the same configuration (Debug or Release) and target framework first, then the other configuration.
/// The test project references it (without using its assembly), so every <c>dotnet test</c> builds it first.
/// </summary>
public static class SampleClientProgram
{
    public const string DllName = "socks5-client.dll";

    /// <summary>The program's dll, or null when it has not been built.</summary>
    public static string? Dll { get; } = FindDll();

    /// <summary>The <c>dotnet</c> host that runs it: the one running the tests, else the first on PATH.</summary>
    public static string? Host { get; } = FindHost();

    /// <summary>Null when the program can run; otherwise why not and how to fix it.</summary>
    public static string? SkipReason =>
        Dll is null ? $"samples/Socks5.Client is not built ({DllName} not found under samples/Socks5.Client/bin): run `dotnet build samples/Socks5.Client`"
        : Host is null ? "no dotnet host found to run samples/Socks5.Client (DOTNET_HOST_PATH unset and no dotnet on PATH)"
        : null;

    /// <summary>Runs <c>dotnet socks5-client.dll ARGS</c> with <paramref name="stdin"/> piped, to completion (15 s at most).</summary>
    public static Task<ClientResult> RunAsync(IEnumerable<string> args, byte[]? stdin = null) =>
        ClientProcess.RunAsync(Host!, [Dll!, .. args], Path.GetDirectoryName(Dll!)!, stdin: stdin, timeout: TimeSpan.FromSeconds(15));

    private static string? FindDll()
    {
        if (Repository.Root is not string root)
        {
            return null;
        }

        // <project>/bin/<Configuration>/<tfm>/ holds the test assembly.
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = output.Name;
        string configuration = output.Parent?.Name ?? "Debug";
        string bin = Path.Combine(root, "samples", "Socks5.Client", "bin");
        return new[] { configuration, "Debug", "Release" }
            .Select(c => Path.Combine(bin, c, framework, DllName))
            .FirstOrDefault(File.Exists);
    }

    private static string? FindHost()
    {
        string? fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (fromSdk is not null && File.Exists(fromSdk))
        {
            return fromSdk;
        }

        string? self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : Peers.Find("dotnet");
    }
}

/// <summary>A fact against danted that runs the sample program: skipped, with the reason, when danted or the built program is missing.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class SampleClientFactAttribute : FactAttribute
{
    public SampleClientFactAttribute() => Skip = Peers.SkipReason(("danted", "dante-server")) ?? SampleClientProgram.SkipReason;
}

/// <summary>
/// The sample client program (samples/Socks5.Client) against danted: <c>get URL</c> prints the body, <c>connect HOST PORT</c>
/// pipes stdin through and the answer out, <c>udp</c> prints the echo, and a failure is one line on stderr with the reply
/// code and a non-zero exit.
/// </summary>
[Collection(DantedCollection.Name)]
public sealed class OurClientProgramTests(DantedFixture danted) : InteropTest
{
    private LoopbackTargets Targets => danted.Targets;

    private string Open4 => $"127.0.0.1:{danted.Port}";

    private string Open6 => $"[::1]:{danted.Port}";

    private string Auth4 => $"127.0.0.1:{danted.AuthPort}";

    [SampleClientFact]
    public async Task Get_PrintsBody()
    {
        ClientResult result = await SampleClientProgram.RunAsync(["--proxy", Open4, "get", Targets.HttpUrl4]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(LoopbackTargets.HttpBody, result.StdoutText);
    }

    [SampleClientFact]
    public async Task Get_WithUserByName_PrintsBody()
    {
        ClientResult result = await SampleClientProgram.RunAsync(["--proxy", Auth4, "--user", $"{OurClientTest.User}:{OurClientTest.Password}", "get", Targets.HttpUrlLocalhost]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(LoopbackTargets.HttpBody, result.StdoutText);
    }

    [SampleClientFact]
    public async Task Connect_PipesStdinThroughAndAnswerOut()
    {
        ClientResult result = await SampleClientProgram.RunAsync(["--proxy", Open4, "connect", "127.0.0.1", Targets.HttpPort.ToString()], LoopbackTargets.HttpRequest);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(LoopbackTargets.HttpResponse, result.Stdout);
    }

    [SampleClientFact]
    public async Task Connect_Ipv6ProxyAndTarget_EchoesStdin()
    {
        byte[] sent = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("echo-" + Guid.NewGuid().ToString("N"), 2000)));
        ClientResult result = await SampleClientProgram.RunAsync(["--proxy", Open6, "connect", "::1", Targets.EchoPort.ToString()], sent);
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}, {result.Stdout.Length} of {sent.Length} bytes back, stderr: {result.Stderr}");
        Assert.Equal(sent, result.Stdout);
    }

    [SampleClientFact]
    public async Task Udp_PrintsSourceAndEcho()
    {
        ClientResult result = await SampleClientProgram.RunAsync(["--proxy", Open4, "udp", "127.0.0.1", Targets.UdpEchoPort.ToString(), "hello-udp"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal($"127.0.0.1:{Targets.UdpEchoPort} echo:hello-udp\n", result.StdoutText);
    }

    [SampleClientFact]
    public async Task Connect_ClosedPort_OneLineWithReplyCode_ExitsNonZero()
    {
        int closed = Loopback.GetFreePort();
        ClientResult result = await SampleClientProgram.RunAsync(["--proxy", Open4, "connect", "127.0.0.1", closed.ToString()], []);
        AssertOneLineFailure(result, "REP 0x05");
    }

    [SampleClientFact]
    public async Task Get_WrongPassword_OneLineWithStatus_ExitsNonZero()
    {
        ClientResult result = await SampleClientProgram.RunAsync(["--proxy", Auth4, "--user", $"{OurClientTest.User}:wrong", "get", Targets.HttpUrl4]);
        AssertOneLineFailure(result, "status 0x01");
    }

    private static void AssertOneLineFailure(ClientResult result, string expected)
    {
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Empty(result.Stdout);
        string[] lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, result.ToString());
        Assert.StartsWith("socks5-client: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
    }
}
