using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Xunit;

namespace Socks5.Protocol.Tests;

/// <summary>The repository's root: the folder with Socks5.Protocol.sln above the test assembly.</summary>
internal static class Repository
{
    /// <summary>The root, or null when the test assembly does not run from inside a checkout.</summary>
    public static string? Root { get; } = FindRoot();

    /// <summary>The root, for tests that cannot run outside a checkout.</summary>
    public static string RequiredRoot => Root ?? throw new InvalidOperationException($"no Socks5.Protocol.sln above {AppContext.BaseDirectory}");

    private static string? FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Socks5.Protocol.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}

/// <summary>
/// The repository is self-contained: a fresh clone builds, tests and documents itself without the folder beside it that
/// the project's authors keep their notes in, so no tracked file may name that folder.
/// </summary>
public sealed class RepositoryTests
{
    // Built from pieces so that this file does not name the folder itself.
    private const string Folder = "shared";

    private static readonly string[] Forbidden = [".." + "/" + Folder, "..\\" + Folder, Folder + "/" + "peers"];

    private static readonly HashSet<string> UntrackedFolders = new(StringComparer.Ordinal) { ".git", "bin", "obj" };

    [Fact]
    public void TrackedFilesDoNotReferToSharedFolder()
    {
        string root = Repository.Root
            ?? throw new InvalidOperationException($"no Socks5.Protocol.sln above {AppContext.BaseDirectory}: nothing to check");

        IReadOnlyList<string> files = TrackedFiles(root);
        Assert.NotEmpty(files);
        Assert.Contains("Socks5.Protocol.sln", files);

        string[] offenders = files
            .Select(file => (File: file, Found: ForbiddenIn(Path.Combine(root, file))))
            .Where(hit => hit.Found.Length > 0)
            .Select(hit => $"{hit.File}: {string.Join(", ", hit.Found)}")
            .ToArray();

        Assert.True(offenders.Length == 0, $"These files name a folder outside the repository:\n{string.Join('\n', offenders)}");
    }

    /// <summary>
    /// <c>git ls-files</c> from the root; without git, or outside a git checkout (a source archive, say), every file
    /// under the root but build output and .git, so the check still runs.
    /// </summary>
    private static IReadOnlyList<string> TrackedFiles(string root) =>
        GitLsFiles(root) ?? Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(root, path))
            .Where(path => !path.Split(Path.DirectorySeparatorChar).Any(UntrackedFolders.Contains))
            .ToList();

    private static List<string>? GitLsFiles(string root)
    {
        var psi = new ProcessStartInfo("git")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (string arg in new[] { "-C", root, "ls-files", "-z" })
        {
            psi.ArgumentList.Add(arg);
        }

        try
        {
            using Process git = Process.Start(psi)!;
            Task<string> error = git.StandardError.ReadToEndAsync();
            string output = git.StandardOutput.ReadToEnd();
            git.WaitForExit();
            _ = error.Result;
            return git.ExitCode == 0 ? [.. output.Split('\0', StringSplitOptions.RemoveEmptyEntries)] : null;
        }
        catch (Win32Exception)
        {
            return null; // git is not installed
        }
    }

    /// <summary>The forbidden texts a file contains, ignoring case; none for binary files (a NUL byte, as git judges).</summary>
    private static string[] ForbiddenIn(string path)
    {
        if (!File.Exists(path))
        {
            return []; // tracked but deleted in the working tree
        }

        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.AsSpan(0, Math.Min(bytes.Length, 8000)).Contains((byte)0))
        {
            return [];
        }

        string text = Encoding.UTF8.GetString(bytes);
        return Forbidden.Where(forbidden => text.Contains(forbidden, StringComparison.OrdinalIgnoreCase)).ToArray();
    }
}
