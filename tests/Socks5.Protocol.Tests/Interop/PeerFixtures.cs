using System.Net;
using Xunit;

namespace Socks5.Protocol.Tests.Interop;

// One collection per peer: each peer starts once per test run, and different peers' tests run in parallel.
[CollectionDefinition(Name)]
public sealed class DantedCollection : ICollectionFixture<DantedFixture>
{
    public const string Name = "interop danted";
}

[CollectionDefinition(Name)]
public sealed class MicrosocksCollection : ICollectionFixture<MicrosocksFixture>
{
    public const string Name = "interop microsocks";
}

[CollectionDefinition(Name)]
public sealed class SshCollection : ICollectionFixture<SshDynamicForwardFixture>
{
    public const string Name = "interop ssh -D";
}

[CollectionDefinition(Name)]
public sealed class ShadowsocksCollection : ICollectionFixture<ShadowsocksFixture>
{
    public const string Name = "interop ss-local";
}

[CollectionDefinition(Name)]
public sealed class V2rayCollection : ICollectionFixture<V2rayFixture>
{
    public const string Name = "interop v2ray";
}

[CollectionDefinition(Name)]
public sealed class TorCollection : ICollectionFixture<TorFixture>
{
    public const string Name = "interop tor";
}

/// <summary>
/// Two danted instances, each listening on 127.0.0.1 and ::1 (same port): <see cref="Socks5PeerFixture.Port"/> with
/// <c>socksmethod: username none</c> (so it prefers username when offered both: danted picks in that order) and
/// <see cref="Socks5PeerFixture.AuthPort"/> with <c>socksmethod: username</c>. CONNECT, BIND and UDP ASSOCIATE to
/// loopback only. Username auth checks the system account socksuser (created by .ci/install-peers.sh).
/// </summary>
public sealed class DantedFixture : Socks5PeerFixture
{
    public DantedFixture()
        : base(("danted", "dante-server"))
    {
    }

    public IPEndPoint Proxy6 => new(IPAddress.IPv6Loopback, Port);

    public IPEndPoint AuthProxy6 => new(IPAddress.IPv6Loopback, AuthPort);

    public static string Config(int port, string socksMethod) => $$"""
        logoutput: stderr
        debug: 0
        internal: 127.0.0.1 port = {{port}}
        internal: ::1 port = {{port}}
        external: 127.0.0.1
        external: ::1
        user.privileged: root
        user.unprivileged: nobody
        user.libwrap: nobody
        clientmethod: none
        socksmethod: {{socksMethod}}
        timeout.negotiate: 30
        timeout.io: 0
        client pass {
                from: 127.0.0.0/8 to: 0/0
                log: error
        }
        client pass {
                from: ::1/128 to: 0/0
                log: error
        }
        client block {
                from: 0/0 to: 0/0
                log: connect error
        }
        socks pass {
                from: 0/0 to: 127.0.0.0/8
                command: bind connect udpassociate
                log: error connect disconnect
        }
        socks pass {
                from: 0/0 to: ::1/128
                command: bind connect udpassociate
                log: error connect disconnect
        }
        socks pass {
                from: 0/0 to: localhost
                command: bind connect udpassociate
                log: error connect disconnect
        }
        socks pass {
                from: 0/0 to: 0.0.0.0/32
                command: bind udpassociate
                log: error connect disconnect
        }
        socks pass {
                from: 0/0 to: ::/128
                command: bind udpassociate
                log: error connect disconnect
        }
        socks pass {
                from: 127.0.0.0/8 to: 0/0
                command: bindreply udpreply
                log: error connect disconnect
        }
        socks pass {
                from: ::1/128 to: 0/0
                command: bindreply udpreply
                log: error connect disconnect
        }
        socks block {
                from: 0/0 to: 0/0
                log: connect error
        }

        """;

    protected override async Task StartAsync()
    {
        Port = Loopback.GetFreePort(ipv6Too: true);
        PeerProcess open = Start("danted-open", "danted", ["-f", WriteConfig("danted-open.conf", Config(Port, "username none"))]);
        AuthPort = Loopback.GetFreePort(ipv6Too: true);
        PeerProcess auth = Start("danted-auth", "danted", ["-f", WriteConfig("danted-auth.conf", Config(AuthPort, "username"))]);
        await Task.WhenAll(WaitAsync(open, Port, ipv6Too: true), WaitAsync(auth, AuthPort, ipv6Too: true));
    }
}

/// <summary>Two microsocks on 127.0.0.1: no auth, and <c>-u socksuser -P sockspass</c>.</summary>
public sealed class MicrosocksFixture : Socks5PeerFixture
{
    public MicrosocksFixture()
        : base(("microsocks", "microsocks"))
    {
    }

    protected override async Task StartAsync()
    {
        Port = Loopback.GetFreePort();
        PeerProcess open = Start("microsocks-open", "microsocks", ["-i", "127.0.0.1", "-p", Port.ToString()]);
        AuthPort = Loopback.GetFreePort();
        PeerProcess auth = Start("microsocks-auth", "microsocks", ["-i", "127.0.0.1", "-p", AuthPort.ToString(), "-u", User, "-P", Password]);
        await Task.WhenAll(WaitAsync(open, Port), WaitAsync(auth, AuthPort));
    }
}

/// <summary>
/// An sshd on a free 127.0.0.1 port (fresh host and user keys, config in the temp folder, key login as the current
/// user), and <c>ssh -N -D 127.0.0.1:PORT</c> through it: OpenSSH's SOCKS5 server (CONNECT only, no auth).
/// </summary>
public sealed class SshDynamicForwardFixture : Socks5PeerFixture
{
    public SshDynamicForwardFixture()
        : base(("sshd", "openssh-server"), ("ssh", "openssh-client"), ("ssh-keygen", "openssh-client"))
    {
    }

    public int SshdPort { get; private set; }

    protected override async Task StartAsync()
    {
        // sshd's privilege separation folder; the package creates it only when its service runs.
        Directory.CreateDirectory("/run/sshd");
        string hostKey = Path.Combine(Folder, "host_ed25519");
        string userKey = Path.Combine(Folder, "id_ed25519");
        await Task.WhenAll(KeygenAsync(hostKey), KeygenAsync(userKey));
        File.Copy(userKey + ".pub", Path.Combine(Folder, "authorized_keys"));
        SetMode(Path.Combine(Folder, "authorized_keys"), UnixFileMode.UserRead | UnixFileMode.UserWrite);

        SshdPort = Loopback.GetFreePort();
        string config = WriteConfig("sshd_config", $"""
            Port {SshdPort}
            ListenAddress 127.0.0.1
            HostKey $DIR/host_ed25519
            PidFile $DIR/sshd.pid
            AuthorizedKeysFile $DIR/authorized_keys
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            UsePAM no
            StrictModes no
            AllowTcpForwarding yes
            X11Forwarding no
            PrintMotd no

            """);
        PeerProcess sshd = Start("sshd", "/usr/sbin/sshd", ["-D", "-e", "-f", config]);
        await WaitAsync(sshd, SshdPort);

        Port = Loopback.GetFreePort();
        PeerProcess ssh = Start("ssh-D", "ssh", [
            "-N", "-F", "/dev/null", "-D", $"127.0.0.1:{Port}", "-p", SshdPort.ToString(), "-i", userKey,
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
            "-o", "ExitOnForwardFailure=yes", "-o", "ServerAliveInterval=30", $"{Environment.UserName}@127.0.0.1"]);
        await WaitAsync(ssh, Port);
    }

    private async Task KeygenAsync(string path)
    {
        ClientResult result = await ClientProcess.RunAsync(Peers.Require("ssh-keygen"), ["-q", "-t", "ed25519", "-f", path, "-N", ""], Folder);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"ssh-keygen failed: {result}");
        }
    }
}

/// <summary>ss-server and ss-local (chacha20-ietf-poly1305, <c>-u</c>), both on 127.0.0.1; ss-local is the SOCKS5 server (TCP and UDP on one port).</summary>
public sealed class ShadowsocksFixture : Socks5PeerFixture
{
    public ShadowsocksFixture()
        : base(("ss-server", "shadowsocks-libev"), ("ss-local", "shadowsocks-libev"))
    {
    }

    public int ServerPort { get; private set; }

    protected override async Task StartAsync()
    {
        ServerPort = Loopback.GetFreePort(udpToo: true);
        // -d 127.0.0.1: ss-server's own name lookups stay on loopback.
        PeerProcess server = Start("ss-server", "ss-server", [
            "-s", "127.0.0.1", "-p", ServerPort.ToString(), "-k", "sspass", "-m", "chacha20-ietf-poly1305", "-u", "-d", "127.0.0.1", "-v"]);
        Port = Loopback.GetFreePort(udpToo: true);
        PeerProcess local = Start("ss-local", "ss-local", [
            "-s", "127.0.0.1", "-p", ServerPort.ToString(), "-b", "127.0.0.1", "-l", Port.ToString(),
            "-k", "sspass", "-m", "chacha20-ietf-poly1305", "-u", "-v"]);
        await Task.WhenAll(WaitAsync(server, ServerPort), WaitAsync(local, Port));
    }
}

/// <summary>
/// One v2ray with two socks inbounds on 127.0.0.1 (UDP on): noauth, and password socksuser/sockspass; an http inbound
/// (CONNECT) with the same password; a freedom outbound.
/// </summary>
public sealed class V2rayFixture : Socks5PeerFixture
{
    public V2rayFixture()
        : base(("v2ray", "v2ray"))
    {
    }

    /// <summary>The http inbound, which wants Basic socksuser/sockspass.</summary>
    public IPEndPoint HttpProxy4 => new(IPAddress.Loopback, HttpPort);

    public int HttpPort { get; private set; }

    protected override async Task StartAsync()
    {
        Port = Loopback.GetFreePort(udpToo: true);
        AuthPort = Loopback.GetFreePort(udpToo: true);
        HttpPort = Loopback.GetFreePort();
        string config = WriteConfig("v2ray.json", $$"""
            {
              "log": { "loglevel": "info", "access": "$DIR/v2ray-access.log", "error": "$DIR/v2ray-error.log" },
              "inbounds": [
                { "tag": "socks-noauth", "listen": "127.0.0.1", "port": {{Port}}, "protocol": "socks",
                  "settings": { "auth": "noauth", "udp": true, "ip": "127.0.0.1" } },
                { "tag": "socks-auth", "listen": "127.0.0.1", "port": {{AuthPort}}, "protocol": "socks",
                  "settings": { "auth": "password", "accounts": [ { "user": "{{User}}", "pass": "{{Password}}" } ], "udp": true, "ip": "127.0.0.1" } },
                { "tag": "http-auth", "listen": "127.0.0.1", "port": {{HttpPort}}, "protocol": "http",
                  "settings": { "accounts": [ { "user": "{{User}}", "pass": "{{Password}}" } ] } }
              ],
              "outbounds": [ { "tag": "direct", "protocol": "freedom", "settings": {} } ]
            }
            """);
        PeerProcess v2ray = Start("v2ray", "v2ray", ["-config", config]);
        await Task.WhenAll(WaitAsync(v2ray, Port), WaitAsync(v2ray, AuthPort), WaitAsync(v2ray, HttpPort));
    }
}

/// <summary>
/// tor inside <c>unshare -n</c> (a network namespace with only its own lo, so it cannot reach anything), its
/// SocksPort a unix socket, and socat relaying a free 127.0.0.1 port to that socket. An error-path peer: CONNECT to
/// loopback gets REP 1. The fixture checks that tor's network namespace differs from ours.
/// </summary>
public sealed class TorFixture : Socks5PeerFixture
{
    public TorFixture()
        : base(("tor", "tor"), ("socat", "socat"), ("unshare", "util-linux"), ("ip", "iproute2"))
    {
    }

    public PeerProcess? Tor { get; private set; }

    protected override async Task StartAsync()
    {
        string torDir = Path.Combine(Folder, "tor");
        Directory.CreateDirectory(Path.Combine(torDir, "data"));
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        SetMode(torDir, OwnerOnly);
        SetMode(Path.Combine(torDir, "data"), OwnerOnly);
        string socket = Path.Combine(torDir, "socks.sock");
        string torrc = WriteConfig("torrc", $"""
            DataDirectory $DIR/tor/data
            SocksPort unix:{socket} ExtendedErrors
            SocksPolicy accept *
            ControlPort 0
            Log notice stdout
            RunAsDaemon 0
            AvoidDiskWrites 1

            """);
        // unshare without --fork execs, and so does sh: the pid we hold is tor's.
        Tor = Start("tor", "unshare", ["-n", "sh", "-c", "ip link set lo up && exec \"$0\" -f \"$1\"", Peers.Require("tor"), torrc]);
        await Loopback.WaitForFileAsync(socket, StartTimeout, Tor);
        AssertIsolated(Tor);

        Port = Loopback.GetFreePort();
        PeerProcess socat = Start("socat-tor", "socat", [$"TCP-LISTEN:{Port},bind=127.0.0.1,reuseaddr,fork", $"UNIX-CONNECT:{socket}"]);
        await WaitAsync(socat, Port);
    }

    private static void AssertIsolated(PeerProcess tor)
    {
        string theirs = new FileInfo($"/proc/{tor.Pid}/ns/net").LinkTarget ?? string.Empty;
        string ours = new FileInfo("/proc/self/ns/net").LinkTarget ?? string.Empty;
        string command = File.ReadAllText($"/proc/{tor.Pid}/comm").Trim();
        if (theirs.Length == 0 || theirs == ours || command != "tor")
        {
            throw new InvalidOperationException($"tor is not isolated: pid {tor.Pid} is '{command}' in {theirs}, we are in {ours}");
        }
    }
}
