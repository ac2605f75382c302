using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using Xunit;

namespace Socks5.Protocol.Tests.Readme;

/// <summary>
/// The C# blocks of the READMEs, read from the files themselves: each compiles as a new console app would compile it
/// (top-level statements, implicit usings, nullable on), and the repository README's complete programs run, in order, and
/// print what their comments say. A block that waits for Enter (a server) keeps running while the blocks after it run.
/// </summary>
[Collection(nameof(ReadmeTests))] // the programs share the process's Console and ports 1080 and 8000
[CollectionDefinition(nameof(ReadmeTests), DisableParallelization = true)]
public class ReadmeTests
{
    private static readonly string Root = Repository.RequiredRoot;

    public static TheoryData<string, int> AllBlocks()
    {
        var data = new TheoryData<string, int>();
        foreach (string file in new[] { "README.md", "src/Socks5.Protocol/README.md", "src/Socks5.Protocol.Extensions.Hosting/README.md" })
        {
            foreach (ReadmeBlock block in ReadmeBlocks.Read(Path.Combine(Root, file)))
            {
                data.Add(file, block.Line);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllBlocks))]
    public void Every_csharp_block_compiles(string file, int line)
    {
        ReadmeBlock block = ReadmeBlocks.Read(Path.Combine(Root, file)).Single(b => b.Line == line);
        CompiledBlock compiled = BlockCompiler.Compile(block, $"{Path.GetFileNameWithoutExtension(file)}_{line}");
        Assert.True(compiled.Errors.Count == 0, $"{file}:{line} does not compile:\n{string.Join("\n", compiled.Errors)}");
    }

    [Fact]
    public void The_readmes_have_csharp_blocks()
    {
        // Guards the theory above: a changed fence would otherwise leave it with nothing to check.
        Assert.True(ReadmeBlocks.Read(Path.Combine(Root, "README.md")).Count >= 5);
        Assert.True(ReadmeBlocks.Read(Path.Combine(Root, "src/Socks5.Protocol/README.md")).Count >= 2);
        Assert.True(ReadmeBlocks.Read(Path.Combine(Root, "src/Socks5.Protocol.Extensions.Hosting/README.md")).Count >= 2);
    }

    [Fact]
    public async Task The_readme_programs_run_together_and_print_what_they_say()
    {
        // The examples' destination: a web server on 127.0.0.1:8000, as `python3 -m http.server 8000` would be.
        using var web = new TinyWebServer(new IPEndPoint(IPAddress.Loopback, 8000));
        IReadOnlyList<ReadmeBlock> programs = ReadmeBlocks.Read(Path.Combine(Root, "README.md")).Where(b => b.Runs).ToList();
        Assert.True(programs.Count >= 4, "the README should have at least the Wire, Engine, Server and Client programs");

        var waiting = new List<(ReadmeBlock Block, BlockRun Run)>();
        var failures = new List<string>();
        foreach (ReadmeBlock block in programs)
        {
            CompiledBlock compiled = BlockCompiler.Compile(block, $"README_{block.Line}");
            Assert.True(compiled.Errors.Count == 0, $"README.md:{block.Line} does not compile:\n{string.Join("\n", compiled.Errors)}");
            BlockRun run = BlockRun.Start(compiled.Image);
            if (block.WaitsForEnter)
            {
                // A server: go on once it waits for Enter, so the blocks after it can use it.
                await Task.WhenAny(run.WaitingForEnter, run.Completion).WaitAsync(TimeSpan.FromSeconds(60));
                waiting.Add((block, run));
                continue;
            }

            await run.Completion.WaitAsync(TimeSpan.FromSeconds(60));
            failures.AddRange(Check(block, run));
        }

        foreach ((ReadmeBlock block, BlockRun run) in waiting)
        {
            run.PressEnter();
            await run.Completion.WaitAsync(TimeSpan.FromSeconds(60));
            failures.AddRange(Check(block, run));
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    // Each `Console.WriteLine(...); // text` in a block must have printed `text` as a line.
    private static IEnumerable<string> Check(ReadmeBlock block, BlockRun run)
    {
        if (run.Completion.Exception is { } error)
        {
            yield return $"README.md:{block.Line} threw {error.InnerException}";
            yield break;
        }

        string[] printed = run.Output.Split('\n').Select(l => l.TrimEnd('\r').Trim()).ToArray();
        foreach ((int line, string expected) in block.ExpectedOutput)
        {
            if (!printed.Contains(expected))
            {
                yield return $"README.md:{line} says it prints \"{expected}\"; the block printed:\n{run.Output}";
            }
        }
    }

    /// <summary>Answers every connection with a fixed HTTP/1.0 response, then closes it.</summary>
    private sealed class TinyWebServer : IDisposable
    {
        private readonly Socket _listener;

        public TinyWebServer(IPEndPoint endPoint)
        {
            _listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            _listener.Bind(endPoint);
            _listener.Listen(16);
            _ = ServeAsync();
        }

        public void Dispose() => _listener.Dispose();

        private async Task ServeAsync()
        {
            try
            {
                while (true)
                {
                    Socket connection = await _listener.AcceptAsync();
                    _ = AnswerAsync(connection);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Disposed at the end of the test.
            }
        }

        private static async Task AnswerAsync(Socket connection)
        {
            using (connection)
            {
                try
                {
                    byte[] request = new byte[4096];
                    await connection.ReceiveAsync(request, SocketFlags.None);
                    await connection.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n"), SocketFlags.None);
                    connection.Shutdown(SocketShutdown.Send);
                }
                catch (SocketException)
                {
                    // The client went away.
                }
            }
        }
    }
}
