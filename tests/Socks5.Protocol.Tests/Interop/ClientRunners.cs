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
/// The client libraries are driven by the repository's own scripts in <c>Interop/Clients</c> (copied next to the test
/// assembly), which take the proxy, the target and the credentials as arguments and check what came back themselves.
/// </summary>
public sealed class ClientRunners(string workDir, LoopbackTargets targets)
{
    private const string SystemPython = "/usr/bin/python3";

    /// <summary>The scripts folder in the test output (the project copies <c>Interop/Clients</c> there).</summary>
    public static string ScriptsFolder { get; } = Path.Combine(AppContext.BaseDirectory, "Interop", "Clients");

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

    /// <summary>
    /// <c>curl -x SCHEME://HOST:PORT URL</c> for the other protocols of the port: <c>socks4</c>, <c>socks4a</c> (the
    /// name goes to the proxy), or <c>http</c> with <c>-p</c> (a CONNECT tunnel, not a forward GET); <c>--proxy-user</c>
    /// when credentials are set (SOCKS4: the user name as USERID).
    /// </summary>
    public Task<ClientResult> CurlViaAsync(string scheme, ProxyTarget proxy, string url)
    {
        List<string> args = ["-sS", "--max-time", "10", "-x", $"{scheme}://{proxy.HostPort}", url];
        if (scheme == "http")
        {
            args.Insert(0, "-p");
        }

        if (proxy.User is not null)
        {
            args.AddRange(["--proxy-user", $"{proxy.User}:{proxy.Password}"]);
        }

        return Run("curl", args);
    }

    /// <summary>
    /// <c>ncat --proxy HOST:PORT --proxy-type socks4|http [--proxy-auth U[:P]] HOST PORT</c>, stdin piped into the
    /// tunnel (SOCKS4: the user name alone as USERID).
    /// </summary>
    public Task<ClientResult> NcatViaAsync(string proxyType, ProxyTarget proxy, IPEndPoint destination, byte[] stdin)
    {
        List<string> args = ["--proxy", proxy.HostPort, "--proxy-type", proxyType, "-w", "10"];
        if (proxy.User is not null)
        {
            args.AddRange(["--proxy-auth", proxyType == "socks4" ? proxy.User : $"{proxy.User}:{proxy.Password}"]);
        }

        args.AddRange([destination.Address.ToString(), destination.Port.ToString()]);
        return Run("ncat", args, stdin: stdin);
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
    public Task<ClientResult> ProxychainsAsync(ProxyTarget proxy, string program, params string[] args) =>
        ProxychainsAsync("socks5", proxy, program, args);

    /// <summary>As above, the proxy's line of type <paramref name="type"/> (<c>socks5</c>, <c>socks4</c> or <c>http</c>).</summary>
    public Task<ClientResult> ProxychainsAsync(string type, ProxyTarget proxy, string program, params string[] args)
    {
        string conf = WriteFile($"proxychains-{type}-{proxy.EndPoint.Port}.conf", $"""
            strict_chain
            quiet_mode
            tcp_read_time_out 15000
            tcp_connect_time_out 8000
            [ProxyList]
            {type} {proxy.Host} {proxy.Port} {string.Join(' ', proxy.Credentials)}

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

    /// <summary>PySocks CONNECT (socks_client.py pysocks connect): GET of the HTTP target; prints CONNECT-OK.</summary>
    public Task<ClientResult> PySocksConnectAsync(ProxyTarget proxy) => PythonAsync("pysocks", "connect", proxy);

    /// <summary>PySocks UDP (socks_client.py pysocks udp): one datagram to the UDP echo target; prints UDP-OK. IPv4 proxy only.</summary>
    public Task<ClientResult> PySocksUdpAsync(ProxyTarget proxy) => PythonAsync("pysocks", "udp", proxy);

    /// <summary>PySocks as a SOCKS4 client (socks_client.py pysocks4 connect; the user name as USERID); prints CONNECT-OK.</summary>
    public Task<ClientResult> PySocks4ConnectAsync(ProxyTarget proxy) => PythonAsync("pysocks4", "connect", proxy);

    /// <summary>PySocks as an HTTP CONNECT client (socks_client.py pysocks-http connect); prints CONNECT-OK.</summary>
    public Task<ClientResult> PySocksHttpConnectAsync(ProxyTarget proxy) => PythonAsync("pysocks-http", "connect", proxy);

    /// <summary>python-socks CONNECT (socks_client.py python-socks connect); prints CONNECT-OK.</summary>
    public Task<ClientResult> PythonSocksConnectAsync(ProxyTarget proxy) => PythonAsync("python-socks", "connect", proxy);

    /// <summary>socksio CONNECT (socks_client.py socksio connect); prints CONNECT-OK.</summary>
    public Task<ClientResult> SocksioConnectAsync(ProxyTarget proxy) => PythonAsync("socksio", "connect", proxy);

    /// <summary>
    /// IO::Socket::Socks (socks_client.pl connect|bind|udp); prints CONNECT-OK, BIND-OK or UDP-OK. Its BIND request
    /// names <see cref="PerlBindRequest"/>.
    /// </summary>
    public Task<ClientResult> PerlAsync(string command, ProxyTarget proxy) =>
        Run("perl", [Script("socks_client.pl"), .. ScriptArgs(command, proxy, PerlBindRequest(proxy.EndPoint.AddressFamily))]);

    /// <summary>
    /// node <c>socks</c> (socks_client.js connect|bind|udp, NODE_PATH=/usr/share/nodejs); prints CONNECT-OK, BIND-OK or
    /// UDP-OK. Its BIND request names <see cref="NodeBindRequest"/>.
    /// </summary>
    public Task<ClientResult> NodeAsync(string command, ProxyTarget proxy, int socksVersion = 5) =>
        Run("node", [Script("socks_client.js"), .. ScriptArgs(command, proxy, NodeBindRequest)], new Dictionary<string, string> { ["NODE_PATH"] = "/usr/share/nodejs", ["SOCKS_VERSION"] = socksVersion.ToString() });

    /// <summary>
    /// DST of the Perl script's BIND: the address the peer will come from, port unknown. The peer connects to the BIND
    /// listener, which is in the family of the proxy address the client reached, so it comes from that family's loopback
    /// (a server that checks the peer against DST, as ours does, would refuse 127.0.0.1 arriving as ::1).
    /// </summary>
    public static IPEndPoint PerlBindRequest(System.Net.Sockets.AddressFamily proxyFamily) =>
        new(proxyFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0);

    /// <summary>DST of the node script's BIND: all zero, nothing known about the peer.</summary>
    public static IPEndPoint NodeBindRequest => new(IPAddress.Any, 0);

    private Task<ClientResult> Run(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, byte[]? stdin = null) =>
        ClientProcess.RunAsync(program.StartsWith('/') ? program : Peers.Require(program), args, workDir, env, stdin);

    private string WriteFile(string name, string text)
    {
        string path = Path.Combine(workDir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private Task<ClientResult> PythonAsync(string library, string command, ProxyTarget proxy) =>
        Run(SystemPython, [Script("socks_client.py"), library, .. ScriptArgs(command, proxy, bindRequest: null)]);

    /// <summary>
    /// The scripts' common arguments: COMMAND PROXY_HOST PROXY_PORT TARGET_HOST TARGET_PORT [USER PASSWORD]. The target
    /// is the HTTP target for connect, the UDP echo for udp, and the BIND request's DST for bind.
    /// </summary>
    private string[] ScriptArgs(string command, ProxyTarget proxy, IPEndPoint? bindRequest)
    {
        IPEndPoint target = command switch
        {
            "connect" => new IPEndPoint(IPAddress.Loopback, targets.HttpPort),
            "udp" => new IPEndPoint(IPAddress.Loopback, targets.UdpEchoPort),
            "bind" when bindRequest is not null => bindRequest,
            _ => throw new ArgumentException($"no {command} in this script", nameof(command)),
        };
        return [command, proxy.Host, proxy.Port, target.Address.ToString(), target.Port.ToString(), .. proxy.Credentials];
    }

    private static string Script(string name)
    {
        string path = Path.Combine(ScriptsFolder, name);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{name} is not in the test output: the test project copies Interop/Clients/** there", path);
    }
}
