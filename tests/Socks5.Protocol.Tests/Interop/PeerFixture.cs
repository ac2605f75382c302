using System.Net;
using Xunit;

namespace Socks5.Protocol.Tests.Interop;

/// <summary>
/// Base of the peer fixtures: a temp folder for configs and logs, the processes started (stopped in reverse order on
/// dispose), and nothing at all when a needed program is missing (the tests are then skipped by
/// <see cref="PeerFactAttribute"/>, but xunit still builds the fixture).
/// Set SOCKS5_INTEROP_KEEP=1 to keep the temp folder for a look at configs and logs.
/// </summary>
public abstract class PeerFixture : IAsyncLifetime
{
    protected static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly List<PeerProcess> _processes = [];

    protected PeerFixture(params (string Executable, string Package)[] needs)
    {
        SkipReason = Peers.SkipReason(needs);
        Folder = Directory.CreateTempSubdirectory("socks5-interop-" + GetType().Name.Replace("Fixture", string.Empty).ToLowerInvariant() + "-").FullName;
    }

    /// <summary>Null when the peer can run.</summary>
    public string? SkipReason { get; }

    public string Folder { get; }

    public LoopbackTargets Targets => LoopbackTargets.Shared;

    public IReadOnlyList<PeerProcess> Processes => _processes;

    /// <summary>Every started process's log tail, for assertion messages.</summary>
    public string Logs => string.Join("\n", _processes.Select(p => p.LogTail()));

    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        _ = Targets;
        try
        {
            await StartAsync();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public Task DisposeAsync()
    {
        for (int i = _processes.Count - 1; i >= 0; i--)
        {
            _processes[i].Dispose();
        }

        if (Environment.GetEnvironmentVariable("SOCKS5_INTEROP_KEEP") != "1")
        {
            try
            {
                Directory.Delete(Folder, recursive: true);
            }
            catch (IOException)
            {
                // A peer still writing its log: leave the folder.
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Starts the peer's processes and waits until they listen.</summary>
    protected abstract Task StartAsync();

    protected PeerProcess Start(string name, string executable, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null)
    {
        PeerProcess process = PeerProcess.Start(name, Folder, Peers.Require(executable), args, env);
        _processes.Add(process);
        return process;
    }

    /// <summary>Writes a config file into the fixture's folder; <c>$DIR</c> in the text becomes the folder.</summary>
    protected string WriteConfig(string fileName, string text)
    {
        string path = Path.Combine(Folder, fileName);
        File.WriteAllText(path, text.Replace("$DIR", Folder, StringComparison.Ordinal));
        return path;
    }

    /// <summary>chmod (the peers run on Linux only; their tests are skipped elsewhere).</summary>
    protected static void SetMode(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    protected static Task WaitAsync(PeerProcess process, int port, bool ipv6Too = false) =>
        ipv6Too
            ? Task.WhenAll(
                Loopback.WaitForTcpAsync(IPAddress.Loopback, port, StartTimeout, process),
                Loopback.WaitForTcpAsync(IPAddress.IPv6Loopback, port, StartTimeout, process))
            : Loopback.WaitForTcpAsync(IPAddress.Loopback, port, StartTimeout, process);
}

/// <summary>A peer with a no-auth listener (<see cref="Port"/>) and, where it has one, a username/password listener.</summary>
public abstract class Socks5PeerFixture : PeerFixture
{
    public const string User = "socksuser";
    public const string Password = "sockspass";

    protected Socks5PeerFixture(params (string Executable, string Package)[] needs)
        : base(needs)
    {
    }

    /// <summary>The SOCKS5 port on 127.0.0.1 that needs no authentication.</summary>
    public int Port { get; protected set; }

    /// <summary>The SOCKS5 port on 127.0.0.1 that needs socksuser/sockspass (0 when the peer has none).</summary>
    public int AuthPort { get; protected set; }

    public IPEndPoint Proxy4 => new(IPAddress.Loopback, Port);

    public IPEndPoint AuthProxy4 => new(IPAddress.Loopback, AuthPort);
}
