using System.Net;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Wire;
using Socks5.Server;
using Xunit;

namespace Socks5.Protocol.Tests.Samples;

/// <summary>The sample server's command line (defaults, each option, every way it refuses) and its log line.</summary>
public class ServerArgumentsTests
{
    [Fact]
    public void NoArguments_LoopbackPort1080_NoUsers_TenSecondTimeouts_BothCommandsOn()
    {
        ServerArguments a = Parse();

        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 1080)], a.ListenEndPoints);
        Assert.Empty(a.Users);
        Assert.Equal(TimeSpan.FromSeconds(10), a.HandshakeTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), a.ConnectTimeout);
        Assert.Null(a.MaxConnections);
        Assert.True(a.EnableBind);
        Assert.True(a.EnableUdpAssociate);
        Assert.Null(a.AdvertisedAddress);
        Assert.False(a.AllowAnonymous);
        Assert.False(a.InlineCompletions);
        Assert.False(a.ShowHelp);

        Socks5ServerOptions options = a.ToOptions();
        Assert.Equal(a.ListenEndPoints, options.ListenEndPoints);
        Assert.False(options.RequiresCredentials);
        Assert.Equal(new Socks5ServerOptions().MaxConnections, options.MaxConnections);
        Assert.True(options.EnableSocks4); // every protocol on the one port unless turned off
        Assert.True(options.EnableHttpConnect);
        Assert.False(options.EnableResolve);
        Assert.Equal(0, options.MaxConnectionsPerUser);
        Assert.Equal(0, options.MaxBytesPerSecondPerUser);
    }

    [Fact]
    public void PerUserLimits_ReachTheServerOptions()
    {
        Socks5ServerOptions options = Parse("--max-connections-per-user", "4", "--max-bytes-per-second-per-user", "5000000000").ToOptions();

        Assert.Equal(4, options.MaxConnectionsPerUser);
        Assert.Equal(5_000_000_000, options.MaxBytesPerSecondPerUser);
    }

    [Fact]
    public void EveryOption_ReachesTheServerOptions()
    {
        ServerArguments a = Parse(
            "--listen", "127.0.0.1:1081", "--user", "alice:s3cret", "--handshake-timeout", "2.5", "--connect-timeout", "7",
            "--max-connections", "50", "--no-bind", "--no-udp", "--no-socks4", "--no-http-connect", "--resolve", "--advertise", "192.0.2.7", "--inline-completions");

        Action<Socks5ConnectionReport> hook = _ => { };
        Socks5ServerOptions options = a.ToOptions(hook);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 1081)], options.ListenEndPoints);
        Assert.Equal("s3cret", options.Users["alice"]);
        Assert.True(options.RequiresCredentials);
        Assert.Equal(TimeSpan.FromSeconds(2.5), options.HandshakeTimeout);
        Assert.Equal(TimeSpan.FromSeconds(7), options.ConnectTimeout);
        Assert.Equal(50, options.MaxConnections);
        Assert.False(options.EnableBind);
        Assert.False(options.EnableUdpAssociate);
        Assert.False(options.EnableSocks4);
        Assert.False(options.EnableHttpConnect);
        Assert.True(options.EnableResolve);
        Assert.Equal(IPAddress.Parse("192.0.2.7"), options.AdvertisedAddress);
        Assert.Same(hook, options.ConnectionClosed);
        Assert.True(a.InlineCompletions);
    }

    [Fact]
    public void ListenAndUser_AreRepeatable_IPv6InBrackets_PasswordMayHoldColons()
    {
        ServerArguments a = Parse(
            "--listen", "127.0.0.1:1080", "--listen", "[::1]:1080", "--listen", "127.0.0.2:0",
            "--user", "alice:one", "--user", "bob:two:three", "--user", "carol:-starts-with-dash");

        Assert.Equal(
            [new IPEndPoint(IPAddress.Loopback, 1080), new IPEndPoint(IPAddress.IPv6Loopback, 1080), new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0)],
            a.ListenEndPoints);
        Assert.Equal(new Dictionary<string, string> { ["alice"] = "one", ["bob"] = "two:three", ["carol"] = "-starts-with-dash" }, a.Users);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("--listen", "0.0.0.0:1080", "--help")] // help wins over a refusal that would come later
    public void Help_IsShown(params string[] args)
    {
        ServerArguments a = Parse(args);
        Assert.True(a.ShowHelp);
        foreach (string option in new[] { "--listen", "--user", "--handshake-timeout", "--connect-timeout", "--max-connections", "--no-bind", "--no-udp", "--no-socks4", "--no-http-connect", "--resolve", "--advertise", "--allow-anonymous", "--inline-completions", "--deny-private", "--allow", "--deny", "--help" })
        {
            Assert.Contains(option, ServerArguments.Usage, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("unknown argument: --port", "--port", "1080")]
    [InlineData("unknown argument: 1080", "1080")]
    [InlineData("--allow needs a value", "--allow")]
    [InlineData("--deny 10.0.0.0/33", "--deny", "10.0.0.0/33")]
    [InlineData("--allow example.com/8", "--allow", "example.com/8")]
    [InlineData("--listen needs a value", "--listen")]
    [InlineData("--listen localhost:1080", "--listen", "localhost:1080")] // names are not resolved
    [InlineData("--listen 127.0.0.1", "--listen", "127.0.0.1")]
    [InlineData("--listen 127.0.0.1:", "--listen", "127.0.0.1:")]
    [InlineData("--listen 127.0.0.1:65536", "--listen", "127.0.0.1:65536")]
    [InlineData("--listen 127.0.0.1:-1", "--listen", "127.0.0.1:-1")]
    [InlineData("--listen ::1:1080", "--listen", "::1:1080")] // IPv6 needs its brackets
    [InlineData("--listen [::1:1080", "--listen", "[::1:1080")]
    [InlineData("--listen [127.0.0.1]:1080", "--listen", "[127.0.0.1]:1080")]
    [InlineData("--listen :1080", "--listen", ":1080")]
    [InlineData("--user: expected NAME:PASSWORD", "--user", "alice")]
    [InlineData("--user : the name and the password", "--user", ":secret")]
    [InlineData("--user alice: the name and the password", "--user", "alice:")]
    [InlineData("--user alice: given twice", "--user", "alice:a", "--user", "alice:b")]
    [InlineData("--user needs a value", "--user")]
    [InlineData("--handshake-timeout 0:", "--handshake-timeout", "0")]
    [InlineData("--handshake-timeout -1:", "--handshake-timeout", "-1")]
    [InlineData("--connect-timeout ten:", "--connect-timeout", "ten")]
    [InlineData("--connect-timeout needs a value", "--connect-timeout")]
    [InlineData("--max-connections 0:", "--max-connections", "0")]
    [InlineData("--max-connections-per-user 0:", "--max-connections-per-user", "0")]
    [InlineData("--max-connections-per-user 2147483648:", "--max-connections-per-user", "2147483648")]
    [InlineData("--max-connections-per-user needs a value", "--max-connections-per-user")]
    [InlineData("--max-bytes-per-second-per-user -1:", "--max-bytes-per-second-per-user", "-1")]
    [InlineData("--max-bytes-per-second-per-user 1e6:", "--max-bytes-per-second-per-user", "1e6")]
    [InlineData("--max-connections 1.5:", "--max-connections", "1.5")]
    [InlineData("--advertise example.com:", "--advertise", "example.com")]
    [InlineData("--advertise needs a value", "--advertise")]
    public void BadArguments_OneLineError(string expectedStart, params string[] args)
    {
        Assert.Null(ServerArguments.Parse(args, out string? error));
        Assert.NotNull(error);
        Assert.StartsWith(expectedStart, error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void UserLongerThanRfc1929Allows_IsRefused()
    {
        Assert.Null(ServerArguments.Parse(["--user", new string('u', 256) + ":p"], out string? error));
        Assert.Contains("1 to 255 bytes", error, StringComparison.Ordinal);
        Assert.NotNull(ServerArguments.Parse(["--user", new string('u', 255) + ":" + new string('p', 255)], out _));
    }

    [Theory]
    [InlineData("0.0.0.0:1080")]
    [InlineData("[::]:1080")]
    [InlineData("192.0.2.1:1080")]
    public void NonLoopbackWithoutUser_IsRefused(string endPoint)
    {
        Assert.Null(ServerArguments.Parse(["--listen", "127.0.0.1:1080", "--listen", endPoint], out string? error));
        Assert.StartsWith($"refusing to listen on {IPEndPoint.Parse(endPoint)} without --user", error, StringComparison.Ordinal);
        Assert.Contains("--allow-anonymous", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--user", "alice:s3cret")]
    [InlineData("--allow-anonymous")]
    public void NonLoopback_WithUserOrAllowAnonymous_IsAccepted(params string[] extra)
    {
        ServerArguments a = Parse(["--listen", "0.0.0.0:1080", .. extra]);
        Assert.Equal([new IPEndPoint(IPAddress.Any, 1080)], a.ListenEndPoints);
        Assert.Equal(extra[0] == "--allow-anonymous", a.AllowAnonymous);
    }

    [Theory]
    [InlineData("127.0.0.1:1080")]
    [InlineData("127.1.2.3:1080")]
    [InlineData("[::1]:1080")]
    public void AnyLoopbackAddress_NeedsNoUser(string endPoint) =>
        Assert.Equal([IPEndPoint.Parse(endPoint)], Parse("--listen", endPoint).ListenEndPoints);

    [Fact]
    public void LogLine_HasEveryField_OnOneLine()
    {
        var report = new Socks5ConnectionReport
        {
            Client = new IPEndPoint(IPAddress.Loopback, 40000),
            UserName = "alice",
            Command = Command.Connect,
            Destination = "example.com:443",
            ReplyCode = ReplyCode.Succeeded,
            BytesFromClient = 78,
            BytesToClient = 1234,
            Duration = TimeSpan.FromMilliseconds(1500),
        };
        Assert.Equal(
            "2026-01-02T03:04:05.006Z 127.0.0.1:40000 user=alice CONNECT example.com:443 reply=Succeeded up=78B down=1234B 1.500s",
            ConnectionLog.Format(report, new DateTime(2026, 1, 2, 3, 4, 5, 6, DateTimeKind.Utc)));

        var failed = new Socks5ConnectionReport
        {
            Client = new IPEndPoint(IPAddress.IPv6Loopback, 40001),
            Failure = HandshakeFailure.AuthenticationFailed,
            Error = new IOException("reset\nby peer"),
        };
        Assert.Equal(
            "2026-01-02T03:04:05.006Z [::1]:40001 user=- - - reply=- up=0B down=0B 0.000s failed=AuthenticationFailed error=IOException: reset\\x0Aby peer",
            ConnectionLog.Format(failed, new DateTime(2026, 1, 2, 3, 4, 5, 6, DateTimeKind.Utc)));
    }

    [Fact]
    public void LogLine_EscapesControlCharacters_TheClientSent()
    {
        // A domain name may hold any byte: a newline in one must not forge a second log line.
        var report = new Socks5ConnectionReport
        {
            Client = new IPEndPoint(IPAddress.Loopback, 40000),
            UserName = "eve\r\n",
            Command = Command.Connect,
            Destination = "a\n2026-01-01T00:00:00.000Z forged\0:80",
            ReplyCode = ReplyCode.HostUnreachable,
            Failure = HandshakeFailure.RequestRejected,
        };
        string line = ConnectionLog.Format(report, DateTime.UnixEpoch);
        Assert.Contains(@" user=eve\x0D\x0A CONNECT a\x0A2026-01-01T00:00:00.000Z forged\x00:80 reply=HostUnreachable", line, StringComparison.Ordinal);
        Assert.DoesNotContain(line, c => char.IsControl(c));
    }

    [Fact]
    public async Task Log_WritesWholeLines_FromManyThreads()
    {
        var writer = new StringWriter();
        var log = new ConnectionLog(writer);
        string line = new('x', 500);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                log.WriteLine(line);
            }
        })));

        string[] lines = writer.ToString().Split(Environment.NewLine);
        Assert.Equal(8 * 200 + 1, lines.Length); // the last is the empty rest after the final newline
        Assert.All(lines[..^1], l => Assert.Equal(line, l));
    }

    private static ServerArguments Parse(params string[] args)
    {
        ServerArguments? parsed = ServerArguments.Parse(args, out string? error);
        Assert.True(parsed is not null, error);
        Assert.Null(error);
        return parsed;
    }

    [Fact]
    public void Egress_flags_reach_the_options()
    {
        ServerArguments a = Parse("--deny-private", "--allow", "198.51.100.0/24", "--deny", "198.51.100.128/25", "--allow", "2001:db8::/32", "--deny", "203.0.113.9");
        Socks5ServerOptions options = a.ToOptions();
        Assert.True(options.Egress.DenyPrivate);
        Assert.Equal(new[] { "198.51.100.0/24", "2001:db8::/32" }, options.Egress.Allow);
        Assert.Equal(new[] { "198.51.100.128/25", "203.0.113.9" }, options.Egress.Deny);
        Assert.Contains("Deny wins", ServerArguments.Usage, StringComparison.Ordinal);
    }

    [Fact]
    public void By_default_no_egress_range_is_set()
    {
        Socks5ServerOptions options = Parse().ToOptions();
        Assert.False(options.Egress.DenyPrivate);
        Assert.Empty(options.Egress.Allow);
        Assert.Empty(options.Egress.Deny);
    }
}
