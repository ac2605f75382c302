using System.Net;

namespace Socks5.Protocol.Tests.Interop;

/// <summary>Where a proxy is, and the credentials to give it (none when <see cref="User"/> is null).</summary>
public sealed record ProxyTarget(IPEndPoint EndPoint, string? User = null, string? Password = null)
{
    /// <summary>host:port, IPv6 in brackets.</summary>
    public string HostPort => EndPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
        ? $"[{EndPoint.Address}]:{EndPoint.Port}"
        : $"{EndPoint.Address}:{EndPoint.Port}";

    public string Host => EndPoint.Address.ToString();

    public string Port => EndPoint.Port.ToString();

    public string[] Credentials => User is null ? [] : [User, Password!];
}

/// <summary>
/// Runs the real SOCKS5 client programs (the ones people use) against a proxy, for the interop tests of our server:
/// each returns exit code, stdout bytes and stderr, and is killed on timeout. All destinations are loopback.
/// The client scripts are read from <c>&lt;repo&gt;/../shared/peers/clients</c>; those that hard-code the targets
/// 127.0.0.1:8000 (HTTP) and 127.0.0.1:9999 (UDP echo) are copied into <paramref name="workDir"/> with the
/// <see cref="LoopbackTargets"/> ports put in their place.
/// </summary>
public sealed class ClientRunners(string workDir, LoopbackTargets targets)
{
    private const string SystemPython = "/usr/bin/python3";

    /// <summary>The shared client scripts folder, found from the repository root (the folder with the .sln).</summary>
    public static string ScriptsFolder { get; } = FindScriptsFolder();

    /// <summary><c>curl -x socks5://HOST:PORT URL</c> (or socks5h://, remote name resolution); <c>--proxy-user</c> when credentials are set.</summary>
    public Task<ClientResult> CurlAsync(ProxyTarget proxy, string url, bool remoteDns = false)
    {
        List<string> args = ["-sS", "--max-time", "10", "-x", $"{(remoteDns ? "socks5h" : "socks5")}://{proxy.HostPort}", url];
        if (proxy.User is not null)
        {
            args.AddRange(["--proxy-user", $"{proxy.User}:{proxy.Password}"]);
        }

        return Run("curl", args);
    }

    /// <summary><c>ncat --proxy HOST:PORT --proxy-type socks5 [--proxy-auth U:P] HOST PORT</c>, stdin piped into the tunnel.</summary>
    public Task<ClientResult> NcatAsync(ProxyTarget proxy, IPEndPoint destination, byte[] stdin) =>
        NcatAsync(proxy, destination.Address.ToString(), destination.Port, stdin);

    /// <summary>
    /// ncat to a host name or address; with <paramref name="remoteDns"/>, <c>--proxy-dns remote</c> (the name goes to the
    /// proxy as ATYP 3).
    /// </summary>
    public Task<ClientResult> NcatAsync(ProxyTarget proxy, string host, int port, byte[] stdin, bool remoteDns = false)
    {
        List<string> args = ["--proxy", proxy.HostPort, "--proxy-type", "socks5", "-w", "10"];
        if (proxy.User is not null)
        {
            args.AddRange(["--proxy-auth", $"{proxy.User}:{proxy.Password}"]);
        }

        if (remoteDns)
        {
            args.AddRange(["--proxy-dns", "remote"]);
        }

        args.AddRange([host, port.ToString()]);
        return Run("ncat", args, stdin: stdin);
    }

    /// <summary>OpenBSD <c>nc -X 5 -x HOST:PORT HOST PORT</c> (no auth support), stdin piped into the tunnel.</summary>
    public Task<ClientResult> NetcatAsync(ProxyTarget proxy, IPEndPoint destination, byte[] stdin) =>
        Run("nc.openbsd", ["-X", "5", "-x", proxy.HostPort, "-w", "10", destination.Address.ToString(), destination.Port.ToString()], stdin: stdin);

    /// <summary>
    /// <c>connect-proxy -5 -S [USER@]HOST:PORT HOST PORT</c>, stdin piped into the tunnel. SOCKS5_AUTH=none without
    /// credentials (otherwise it offers username as $USER and prompts on /dev/tty); SOCKS5_PASSWD with them.
    /// </summary>
    public Task<ClientResult> ConnectProxyAsync(ProxyTarget proxy, IPEndPoint destination, byte[] stdin)
    {
        var env = proxy.User is null
            ? new Dictionary<string, string> { ["SOCKS5_AUTH"] = "none" }
            : new Dictionary<string, string> { ["SOCKS5_PASSWD"] = proxy.Password! };
        string server = proxy.User is null ? proxy.HostPort : $"{proxy.User}@{proxy.HostPort}";
        return Run("connect-proxy", ["-5", "-S", server, destination.Address.ToString(), destination.Port.ToString()], env, stdin);
    }

    /// <summary><c>proxychains4 -q -f CONF PROGRAM ARGS</c>, with a strict_chain conf naming the one proxy (TCP only).</summary>
    public Task<ClientResult> ProxychainsAsync(ProxyTarget proxy, string program, params string[] args)
    {
        string conf = WriteFile($"proxychains-{proxy.EndPoint.Port}.conf", $"""
            strict_chain
            quiet_mode
            tcp_read_time_out 15000
            tcp_connect_time_out 8000
            [ProxyList]
            socks5 {proxy.Host} {proxy.Port} {string.Join(' ', proxy.Credentials)}

            """);
        return Run("proxychains4", ["-q", "-f", conf, Peers.Require(program), .. args]);
    }

    /// <summary>
    /// Dante's <c>socksify PROGRAM ARGS</c> (libdsocks preloaded): a route through the proxy for everything, LAN routes
    /// not added (else loopback goes direct), SOCKS_USERNAME/SOCKS_PASSWORD when credentials are set.
    /// </summary>
    public Task<ClientResult> SocksifyAsync(ProxyTarget proxy, byte[]? stdin, string program, params string[] args)
    {
        string conf = WriteFile($"socksify-{proxy.EndPoint.Port}.conf", $$"""
            resolveprotocol: fake
            route {
                    from: 0.0.0.0/0 to: 0.0.0.0/0 via: {{proxy.Host}} port = {{proxy.Port}}
                    proxyprotocol: socks_v5
                    method: {{(proxy.User is null ? "none" : "username")}}
                    command: connect bind udpassociate bindreply udpreply
            }

            """);
        var env = new Dictionary<string, string> { ["SOCKS_CONF"] = conf, ["SOCKS_AUTOADD_LANROUTES"] = "no" };
        if (proxy.User is not null)
        {
            env["SOCKS_USERNAME"] = proxy.User;
            env["SOCKS_PASSWORD"] = proxy.Password!;
        }

        return Run("socksify", [Peers.Require(program), .. args], env, stdin);
    }

    /// <summary>PySocks CONNECT (pysocks_connect.py): GET of the HTTP target; prints CONNECT-OK. IPv4 127.0.0.1 proxy only.</summary>
    public Task<ClientResult> PySocksConnectAsync(ProxyTarget proxy) =>
        Run(SystemPython, [Script("pysocks_connect.py"), proxy.Port, .. proxy.Credentials]);

    /// <summary>PySocks UDP (pysocks_udp.py): one datagram to the UDP echo target; prints UDP-OK. IPv4 proxy only.</summary>
    public Task<ClientResult> PySocksUdpAsync(ProxyTarget proxy) =>
        Run(SystemPython, [Script("pysocks_udp.py"), proxy.Host, proxy.Port, "127.0.0.1", targets.UdpEchoPort.ToString(), .. proxy.Credentials]);

    /// <summary>python-socks CONNECT (python_socks_connect.py socks5://[u:p@]HOST:PORT); prints CONNECT-OK.</summary>
    public Task<ClientResult> PythonSocksConnectAsync(ProxyTarget proxy) =>
        Run(SystemPython, [Script("python_socks_connect.py"), $"socks5://{(proxy.User is null ? string.Empty : $"{proxy.User}:{proxy.Password}@")}{proxy.HostPort}"]);

    /// <summary>socksio CONNECT (socksio_connect.py, proxy on 127.0.0.1); prints CONNECT-OK.</summary>
    public Task<ClientResult> SocksioConnectAsync(ProxyTarget proxy) =>
        Run(SystemPython, [Script("socksio_connect.py"), proxy.Port, .. proxy.Credentials]);

    /// <summary>IO::Socket::Socks (perl_socks.pl connect|bind|udp); prints CONNECT-OK, BIND-OK or UDP-OK.</summary>
    public Task<ClientResult> PerlAsync(string command, ProxyTarget proxy) =>
        Run("perl", [Script("perl_socks.pl"), command, proxy.Host, proxy.Port, .. proxy.Credentials]);

    /// <summary>node <c>socks</c> (node_socks.js connect|bind|udp, NODE_PATH=/usr/share/nodejs); prints CONNECT-OK, BIND-OK or UDP-OK.</summary>
    public Task<ClientResult> NodeAsync(string command, ProxyTarget proxy) =>
        Run("node", [Script("node_socks.js"), command, proxy.Host, proxy.Port, .. proxy.Credentials], new Dictionary<string, string> { ["NODE_PATH"] = "/usr/share/nodejs" });

    private Task<ClientResult> Run(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, byte[]? stdin = null) =>
        ClientProcess.RunAsync(program.StartsWith('/') ? program : Peers.Require(program), args, workDir, env, stdin);

    private string WriteFile(string name, string text)
    {
        string path = Path.Combine(workDir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A copy of a shared client script with the hard-coded target ports replaced by ours.</summary>
    private string Script(string name)
    {
        string text = File.ReadAllText(Path.Combine(ScriptsFolder, name));
        string http = targets.HttpPort.ToString();
        string udp = targets.UdpEchoPort.ToString();
        // Only the spots that name a target port: node_socks.js also has an 8000 ms timer.
        (string From, string To)[] edits =
        [
            ("port: 8000", "port: " + http), ("port: 9999", "port: " + udp),
            ("ConnectPort => 8000", "ConnectPort => " + http), ("sockaddr_in(9999,", $"sockaddr_in({udp},"),
            ("(\"127.0.0.1\", 8000)", $"(\"127.0.0.1\", {http})"), ("dest_port=8000", "dest_port=" + http),
        ];
        foreach (var (from, to) in edits)
        {
            text = text.Replace(from, to, StringComparison.Ordinal);
        }

        string path = Path.Combine(workDir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string FindScriptsFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Socks5.Protocol.sln")))
            {
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "peers", "clients"));
            }
        }

        return Path.Combine(AppContext.BaseDirectory, "shared", "peers", "clients");
    }
}
