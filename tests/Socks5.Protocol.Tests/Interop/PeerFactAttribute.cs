using Xunit;

namespace Socks5.Protocol.Tests.Interop;

/// <summary>
/// A fact that is skipped at discovery when a peer's program is missing (xunit 2 has no runtime skip), with the
/// package to install in the skip reason: <c>[PeerFact("danted", "dante-server")]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class PeerFactAttribute : FactAttribute
{
    public PeerFactAttribute(string executable, string package) => Skip = Peers.SkipReason((executable, package));

    public PeerFactAttribute(string executable, string package, string executable2, string package2) =>
        Skip = Peers.SkipReason((executable, package), (executable2, package2));
}

/// <summary>The theory form of <see cref="PeerFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class PeerTheoryAttribute : TheoryAttribute
{
    public PeerTheoryAttribute(string executable, string package) => Skip = Peers.SkipReason((executable, package));

    public PeerTheoryAttribute(string executable, string package, string executable2, string package2) =>
        Skip = Peers.SkipReason((executable, package), (executable2, package2));
}

/// <summary>Where the peers' programs are, and why a test cannot run.</summary>
public static class Peers
{
    private static readonly string[] ExtraDirectories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

    /// <summary>Peers whose fixtures only work as root.</summary>
    private static readonly string[] NeedRoot = ["danted", "sshd", "unshare"];

    /// <summary>
    /// The full path of <paramref name="executable"/> on PATH (plus the sbin folders), or null. A path (with a '/')
    /// is checked as it is, which also covers a library's module folder (/usr/share/nodejs/socks).
    /// </summary>
    public static string? Find(string executable)
    {
        if (executable.Contains('/'))
        {
            return Path.Exists(executable) ? executable : null;
        }

        string[] path = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries);
        return path.Concat(ExtraDirectories).Select(dir => Path.Combine(dir, executable)).FirstOrDefault(File.Exists);
    }

    /// <summary>The full path of a program the caller already knows is installed (its test would be skipped otherwise).</summary>
    public static string Require(string executable) =>
        Find(executable) ?? throw new InvalidOperationException($"{executable} not installed");

    /// <summary>Null when every program is there; otherwise "X not installed: apt-get install P".</summary>
    public static string? SkipReason(params (string Executable, string Package)[] needs)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "interop peers run on Linux only";
        }

        string[] missing = needs.Where(n => Find(n.Executable) is null).Select(n => n.Executable).ToArray();
        if (missing.Length == 0)
        {
            string? needsRoot = needs.Select(n => n.Executable).FirstOrDefault(NeedRoot.Contains);
            return needsRoot is null || Environment.IsPrivilegedProcess
                ? null
                : $"{needsRoot} needs root here (danted's username method reads /etc/shadow, sshd its privilege separation, unshare -n a new namespace): run the tests as root";
        }

        string packages = string.Join(' ', needs.Where(n => missing.Contains(n.Executable)).Select(n => n.Package).Distinct());
        return $"{string.Join(", ", missing)} not installed: apt-get install {packages} (or run .ci/install-peers.sh as root)";
    }
}
