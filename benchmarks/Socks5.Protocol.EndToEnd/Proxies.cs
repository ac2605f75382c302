using System.Globalization;
using System.Net;
using System.Reflection;

namespace Socks5.Protocol.EndToEnd;

/// <summary>Which proxies this machine has, and the scratch folder for their configs and logs.</summary>
internal sealed class Environs
{
    public Environs(string scratch)
    {
        Scratch = scratch;
        Socat = Ports.FindProgram("socat");
        Danted = Ports.FindProgram("danted");
        Microsocks = Ports.FindProgram("microsocks");
    }

    public string Scratch { get; }

    public string? Socat { get; }

    public string? Danted { get; }

    public string? Microsocks { get; }

    /// <summary>Extra environment variables for our server's process only (runtime settings, for experiments).</summary>
    public Dictionary<string, string> OursEnvironment { get; } = new();

    public IEnumerable<string> Missing()
    {
        if (Socat is null)
        {
            yield return "socat (apt-get install socat)";
        }

        if (Danted is null)
        {
            yield return "danted (apt-get install dante-server)";
        }

        if (Microsocks is null)
        {
            yield return "microsocks (apt-get install microsocks)";
        }
    }
}

/// <summary>A proxy under test, running as its own process on a loopback port.</summary>
internal sealed class Proxy : IDisposable
{
    public const string Ours = "Socks5.Protocol";
    public const string OursInline = "Socks5.Protocol, inline completions";
    public const string Danted = "danted";
    public const string Microsocks = "microsocks";
    public const string Socat = "socat";
    public const string Naive = "naive raw-socket server";

    private Proxy(string name, ChildProcess process, IPEndPoint endPoint, bool speaksSocks)
    {
        Name = name;
        Process = process;
        EndPoint = endPoint;
        SpeaksSocks = speaksSocks;
    }

    public string Name { get; }

    public ChildProcess Process { get; }

    public IPEndPoint EndPoint { get; }

    /// <summary>False for socat, which relays to one fixed target with no handshake.</summary>
    public bool SpeaksSocks { get; }

    /// <summary>
    /// Our server with default options, in a process of its own (this program with <c>--serve</c>). With
    /// <paramref name="inlineCompletions"/> its process runs socket continuations on the socket threads
    /// (<c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>, what the sample server's <c>--inline-completions</c> sets).
    /// </summary>
    /// <remarks>
    /// <paramref name="maxConnections"/> above 0 raises <c>MaxConnections</c> from its default of 1,024 (the memory
    /// section's 10,000 idle tunnels would be turned away past it); the report says so where it is used.
    /// </remarks>
    public static Task<Proxy> StartOursAsync(Environs env, bool inlineCompletions = false, int maxConnections = 0)
    {
        var environment = new Dictionary<string, string>(env.OursEnvironment);
        if (maxConnections > 0)
        {
            environment["SOCKS5_E2E_MAX_CONNECTIONS"] = maxConnections.ToString(CultureInfo.InvariantCulture);
        }

        if (inlineCompletions)
        {
            environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1";
        }

        return StartSelfAsync(env, inlineCompletions ? OursInline : Ours, "--serve", inlineCompletions ? "ours-inline.log" : "ours.log", environment);
    }

    /// <summary>The naive raw-socket server (this program with <c>--serve-naive</c>): the floor of the handshake rows.</summary>
    public static Task<Proxy> StartNaiveAsync(Environs env) =>
        StartSelfAsync(env, Naive, "--serve-naive", "naive.log", new Dictionary<string, string>());

    // This program in a mode that serves on a loopback port and says which with a LISTENING line.
    private static async Task<Proxy> StartSelfAsync(Environs env, string name, string mode, string logName, Dictionary<string, string> environment)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var arguments = new List<string>();
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            // Started as `dotnet Socks5.Protocol.EndToEnd.dll`: start the host the same way.
            arguments.Add(Assembly.GetEntryAssembly()!.Location);
        }

        arguments.Add(mode);
        arguments.Add("0");
        ChildProcess child = ChildProcess.StartControlled(name, self, arguments, Path.Combine(env.Scratch, logName), environment);
        try
        {
            string? first = await child.Answers!.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            if (first is null || !first.StartsWith("LISTENING ", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{name} said '{first}'; see {child.LogPath}");
            }

            int port = int.Parse(first["LISTENING ".Length..], CultureInfo.InvariantCulture);
            Console.WriteLine($"  ({name} server: pid {child.Pid}, 127.0.0.1:{port})");
            return new Proxy(name, child, new IPEndPoint(IPAddress.Loopback, port), true);
        }
        catch
        {
            child.Dispose();
            throw;
        }
    }

    /// <summary>danted, no authentication, loopback in and out, logging errors only.</summary>
    public static async Task<Proxy> StartDantedAsync(Environs env)
    {
        int port = Ports.Free();
        string config = Path.Combine(env.Scratch, $"danted-{port}.conf");
        // Multi-line rules: danted 1.4.2 rejects a one-line rule with an IPv6 address as a syntax error.
        File.WriteAllText(config, $$"""
            logoutput: stderr
            debug: 0
            internal: 127.0.0.1 port = {{port}}
            external: 127.0.0.1
            user.privileged: root
            user.unprivileged: nobody
            user.libwrap: nobody
            clientmethod: none
            socksmethod: none
            timeout.negotiate: 30
            timeout.io: 0
            client pass {
                    from: 127.0.0.0/8 to: 0/0
                    log: error
            }
            client block {
                    from: 0/0 to: 0/0
                    log: error
            }
            socks pass {
                    from: 127.0.0.0/8 to: 127.0.0.0/8
                    command: connect
                    log: error
            }
            socks block {
                    from: 0/0 to: 0/0
                    log: error
            }

            """);
        ChildProcess child = ChildProcess.StartLogged(Danted, env.Danted!, new[] { "-f", config }, Path.Combine(env.Scratch, $"danted-{port}.log"));
        return await WaitAsync(Danted, child, port, true);
    }

    /// <summary>microsocks, no authentication, on loopback.</summary>
    public static async Task<Proxy> StartMicrosocksAsync(Environs env)
    {
        int port = Ports.Free();
        ChildProcess child = ChildProcess.StartLogged(
            Microsocks,
            env.Microsocks!,
            new[] { "-i", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture) },
            Path.Combine(env.Scratch, $"microsocks-{port}.log"));
        return await WaitAsync(Microsocks, child, port, true);
    }

    /// <summary>socat as a plain copy relay to <paramref name="target"/> with a 128 KiB buffer, one child per connection.</summary>
    public static async Task<Proxy> StartSocatAsync(Environs env, IPEndPoint target)
    {
        int port = Ports.Free();
        ChildProcess child = ChildProcess.StartLogged(
            Socat,
            env.Socat!,
            new[] { "-b", "131072", $"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork", $"TCP:{target.Address}:{target.Port}" },
            Path.Combine(env.Scratch, $"socat-{port}.log"));
        return await WaitAsync(Socat, child, port, false);
    }

    /// <summary>Sends one command to our server host and returns its one-line answer.</summary>
    public async Task<string> AskAsync(string command)
    {
        if (Process.Control is not { } control || Process.Answers is not { } answers)
        {
            throw new InvalidOperationException($"{Name} has no control channel");
        }

        await control.WriteLineAsync(command);
        await control.FlushAsync();
        return await answers.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) ?? throw new InvalidOperationException($"{Name} closed its control channel");
    }

    public void Dispose() => Process.Dispose();

    private static async Task<Proxy> WaitAsync(string name, ChildProcess child, int port, bool socks)
    {
        try
        {
            await child.WaitListeningAsync(port, TimeSpan.FromSeconds(15));
            return new Proxy(name, child, new IPEndPoint(IPAddress.Loopback, port), socks);
        }
        catch
        {
            child.Dispose();
            throw;
        }
    }
}
