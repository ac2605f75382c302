using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Runtime.Loader;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Socks5.Protocol.Tests.Readme;

/// <summary>
/// One ```csharp block of a README: where it starts, its code, and what its comments promise. A block preceded by the
/// line <c>&lt;!-- compile-only: why --&gt;</c> is compiled but not run (a web host that runs until stopped).
/// </summary>
internal sealed record ReadmeBlock(int Line, string Code, bool Runs)
{
    private static readonly Regex Printed = new(@"Console\.WriteLine\(.*\);\s*//\s*(?<text>.+?)\s*$", RegexOptions.Compiled);

    /// <summary>True for a program that waits for Enter before it ends (a server the next blocks use).</summary>
    public bool WaitsForEnter => Code.Contains("Console.ReadLine()", StringComparison.Ordinal);

    /// <summary>Each <c>Console.WriteLine(...); // text</c>: the README line and the text it says is printed.</summary>
    public IEnumerable<(int Line, string Text)> ExpectedOutput =>
        Code.Split('\n')
            .Select((text, index) => (Line: Line + 1 + index, Match: Printed.Match(text)))
            .Where(l => l.Match.Success)
            .Select(l => (l.Line, l.Match.Groups["text"].Value));
}

/// <summary>Reads the C# blocks of a Markdown file.</summary>
internal static class ReadmeBlocks
{
    public static IReadOnlyList<ReadmeBlock> Read(string path)
    {
        string[] lines = File.ReadAllLines(path);
        var blocks = new List<ReadmeBlock>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```csharp")
            {
                continue;
            }

            int start = i;
            var code = new StringBuilder();
            for (i++; i < lines.Length && lines[i].Trim() != "```"; i++)
            {
                code.Append(lines[i]).Append('\n');
            }

            bool compileOnly = start > 0 && lines[start - 1].TrimStart().StartsWith("<!-- compile-only", StringComparison.Ordinal);
            blocks.Add(new ReadmeBlock(start + 1, code.ToString(), !compileOnly));
        }

        return blocks;
    }
}

internal sealed record CompiledBlock(IReadOnlyList<string> Errors, byte[] Image);

/// <summary>Compiles a block as `dotnet new console` would: top-level statements, implicit usings, nullable enabled.</summary>
internal static class BlockCompiler
{
    // The console template's implicit usings (Microsoft.NET.Sdk with ImplicitUsings=enable).
    private const string ImplicitUsings =
        "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; " +
        "global using System.Net.Http; global using System.Threading; global using System.Threading.Tasks;";

    private static readonly Lazy<IReadOnlyList<MetadataReference>> References = new(LoadReferences);

    public static CompiledBlock Compile(ReadmeBlock block, string name)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        CSharpCompilation compilation = CSharpCompilation.Create(
            name,
            new[] { CSharpSyntaxTree.ParseText(ImplicitUsings, parse), CSharpSyntaxTree.ParseText(block.Code, parse, path: "README.md") },
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        var errors = result.Diagnostics
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d => $"line {block.Line + d.Location.GetLineSpan().StartLinePosition.Line + 1}: {d.Id} {d.GetMessage()}")
            .ToList();
        return new CompiledBlock(errors, image.ToArray());
    }

    // What a console app references (the shared framework and this library), plus ASP.NET Core's shared framework for
    // the Kestrel example, as a web project would.
    private static IReadOnlyList<MetadataReference> LoadReferences()
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).ToList();
        string netCore = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        string aspNetRoot = Path.GetFullPath(Path.Combine(netCore, "..", "..", "Microsoft.AspNetCore.App"));
        string? aspNet = Directory.Exists(aspNetRoot)
            ? Directory.GetDirectories(aspNetRoot).Where(d => Path.GetFileName(d).StartsWith(Environment.Version.Major + ".", StringComparison.Ordinal)).OrderBy(d => d).LastOrDefault()
            : null;
        if (aspNet is not null)
        {
            var names = new HashSet<string>(paths.Select(Path.GetFileName)!, StringComparer.OrdinalIgnoreCase);
            paths.AddRange(Directory.GetFiles(aspNet, "*.dll").Where(p => names.Add(Path.GetFileName(p))));
        }

        return paths.Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
    }
}

/// <summary>
/// A compiled block running in this process, in a collectible load context, with its own Console: what it prints is
/// kept apart from other blocks' output (through the async flow), and its Console.ReadLine waits for <see cref="PressEnter"/>.
/// </summary>
internal sealed class BlockRun
{
    private static readonly AsyncLocal<BlockRun?> Current = new();
    private static readonly object InstallGate = new();
    private static bool s_installed;

    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _waiting = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ManualResetEventSlim _enter = new();

    private BlockRun()
    {
    }

    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Completes when the block calls Console.ReadLine.</summary>
    public Task WaitingForEnter => _waiting.Task;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static BlockRun Start(byte[] image)
    {
        Install();
        var run = new BlockRun();
        run.Completion = Task.Run(async () =>
        {
            Current.Value = run; // flows into every task and callback the block starts
            var context = new AssemblyLoadContext("readme-block", isCollectible: true);
            try
            {
                MethodInfo entry = context.LoadFromStream(new MemoryStream(image)).EntryPoint!;
                object? result;
                try
                {
                    result = entry.Invoke(null, entry.GetParameters().Length == 0 ? null : new object[] { Array.Empty<string>() });
                }
                catch (TargetInvocationException ex) when (ex.InnerException is not null)
                {
                    ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
                    throw;
                }

                if (result is Task task)
                {
                    await task;
                }
            }
            finally
            {
                context.Unload();
            }
        });
        return run;
    }

    public void PressEnter() => _enter.Set();

    // Console.Out and Console.In are process-wide: route them to the block whose flow is writing or reading.
    private static void Install()
    {
        lock (InstallGate)
        {
            if (!s_installed)
            {
                Console.SetOut(new RoutingWriter(Console.Out));
                Console.SetIn(new RoutingReader(Console.In));
                s_installed = true;
            }
        }
    }

    private sealed class RoutingWriter(TextWriter fallback) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => Write(value.ToString());

        public override void Write(string? value)
        {
            if (Current.Value is { } run)
            {
                lock (run._output)
                {
                    run._output.Append(value);
                }
            }
            else
            {
                fallback.Write(value);
            }
        }
    }

    private sealed class RoutingReader(TextReader fallback) : TextReader
    {
        public override string? ReadLine()
        {
            if (Current.Value is not { } run)
            {
                return fallback.ReadLine();
            }

            run._waiting.TrySetResult();
            run._enter.Wait();
            return string.Empty;
        }
    }
}
