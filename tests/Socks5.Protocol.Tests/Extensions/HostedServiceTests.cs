using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Socks5.Protocol.Client;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Extensions.Hosting;
using Socks5.Protocol.Server;
using Socks5.Protocol.Tests.Interop;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Extensions;

/// <summary>
/// AddSocks5Server's hosted service: it listens when the host starts, drains when the host stops (tunnels go on until
/// they end or the host's shutdown timeout), takes its hooks from DI, and logs each connection with a stable event id.
/// </summary>
public sealed class HostedServiceTests
{
    private readonly LoopbackTargets _targets = LoopbackTargets.Shared;

    [Fact]
    public async Task Start_serves_a_CONNECT_and_logs_event_10_at_Debug_with_the_report_fields()
    {
        var log = new LogCapture();
        (IHost host, IPEndPoint proxy) = await TestHosts.StartAsync(log: log);
        using (host)
        {
            await using (Socks5Tunnel tunnel = await new Socks5Client(proxy).ConnectAsync(_targets.Echo4))
            {
                await TestHosts.AssertEchoesAsync(tunnel, "through the hosted server");
            }

            LogCapture.Entry served = await log.WaitForAsync(10);
            Assert.Equal(LogLevel.Debug, served.Level);
            Assert.Equal("Socks5.Protocol.Server", served.Category);
            Assert.Equal(InboundProtocol.Socks5, served.State["Protocol"]);
            Assert.Equal(Command.Connect, served.State["Command"]);
            Assert.Equal(_targets.Echo4.ToString(), served.State["Destination"]);
            Assert.Equal(ReplyCode.Succeeded, served.State["ReplyCode"]);
            Assert.Equal(25L, served.State["BytesFromClient"]);
            Assert.Equal(25L, served.State["BytesToClient"]);
            Assert.NotNull(served.State["Client"]);
            Assert.Contains(log.Entries, e => e.Category == "Socks5.Protocol.Server" && e.EventId == 1 && e.Message.Contains(proxy.ToString(), StringComparison.Ordinal));
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Stop_closes_the_listener_at_once_lets_an_open_tunnel_finish_then_completes()
    {
        var log = new LogCapture();
        (IHost host, IPEndPoint proxy) = await TestHosts.StartAsync(log: log, shutdownTimeout: TimeSpan.FromMinutes(5));
        using (host)
        {
            Socks5Tunnel tunnel = await new Socks5Client(proxy).ConnectAsync(_targets.Echo4);
            await TestHosts.AssertEchoesAsync(tunnel, "before");

            Task stop = host.StopAsync();
            await log.WaitForAsync(2);
            await AssertRefusedAsync(proxy);

            // Draining: the open tunnel still works, and the stop waits for it.
            await TestHosts.AssertEchoesAsync(tunnel, "during the drain");
            Assert.False(stop.IsCompleted);

            await tunnel.DisposeAsync();
            await stop.WaitAsync(TimeSpan.FromSeconds(30));
            LogCapture.Entry stopped = await log.WaitForAsync(3);
            Assert.Equal(1L, stopped.State["Accepted"]);
        }
    }

    [Fact]
    public async Task Stop_closes_the_tunnels_still_open_when_the_hosts_shutdown_timeout_is_over()
    {
        (IHost host, IPEndPoint proxy) = await TestHosts.StartAsync(shutdownTimeout: TimeSpan.FromMilliseconds(100));
        using (host)
        {
            await using Socks5Tunnel tunnel = await new Socks5Client(proxy).ConnectAsync(_targets.Echo4);
            await TestHosts.AssertEchoesAsync(tunnel, "before");

            await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));

            // The server closed the tunnel: the read ends (0 bytes, or a reset).
            byte[] buffer = new byte[16];
            int read;
            try
            {
                read = await tunnel.Stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (IOException)
            {
                read = 0;
            }

            Assert.Equal(0, read);
        }
    }

    [Fact]
    public async Task Hooks_registered_in_DI_are_used_access_rule_refusal_logs_event_12()
    {
        var rule = new RecordingAccessRule { Allow = false };
        var log = new LogCapture();
        (IHost host, IPEndPoint proxy) = await TestHosts.StartAsync(services: s => s.AddSingleton<ISocks5AccessRule>(rule), log: log);
        using (host)
        {
            Socks5Exception refused = await Assert.ThrowsAsync<Socks5Exception>(() => new Socks5Client(proxy).ConnectAsync(_targets.Echo4));

            Assert.Equal(ReplyCode.ConnectionNotAllowed, refused.ReplyCode);
            Assert.Equal(_targets.Echo4, Assert.Single(rule.Seen).Destination);
            LogCapture.Entry rejected = await log.WaitForAsync(12);
            Assert.Equal(LogLevel.Information, rejected.Level);
            Assert.Equal(ReplyCode.ConnectionNotAllowed, rejected.State["ReplyCode"]);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Resolver_dialer_and_credential_validator_come_from_DI()
    {
        var hooks = new LoopbackHooks(_targets.EchoPort);
        var log = new LogCapture();
        (IHost host, IPEndPoint proxy) = await TestHosts.StartAsync(
            services: s => s.AddSingleton<ISocks5Resolver>(hooks).AddSingleton<ISocks5Dialer>(hooks).AddSingleton<ISocks5CredentialValidator>(hooks),
            log: log);
        using (host)
        {
            var client = new Socks5Client(new Socks5ClientOptions(proxy) { UserName = "alice", Password = "right" });
            await using (Socks5Tunnel tunnel = await client.ConnectAsync("echo.test", _targets.EchoPort))
            {
                await TestHosts.AssertEchoesAsync(tunnel, "by name");
            }

            Assert.Equal(["echo.test"], hooks.Resolved);
            Assert.Equal([_targets.Echo4], hooks.Dialed);

            var wrong = new Socks5Client(new Socks5ClientOptions(proxy) { UserName = "alice", Password = "wrong" });
            await Assert.ThrowsAsync<Socks5Exception>(() => wrong.ConnectAsync(_targets.Echo4));
            LogCapture.Entry failed = await log.WaitForAsync(11);
            Assert.Equal(LogLevel.Information, failed.Level);
            Assert.Equal(HandshakeFailure.AuthenticationFailed, failed.State["Failure"]);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task A_hook_set_in_the_options_wins_over_the_registered_one_and_their_ConnectionClosed_still_runs()
    {
        var registered = new RecordingAccessRule { Allow = false };
        var reports = new List<Socks5ConnectionReport>();
        (IHost host, IPEndPoint proxy) = await TestHosts.StartAsync(services: s =>
        {
            s.AddSingleton<ISocks5AccessRule>(registered);
            s.Configure<Socks5ServerOptions>(o =>
            {
                o.AccessRule = (_, _) => ValueTask.FromResult(true);
                o.ConnectionClosed = r =>
                {
                    lock (reports)
                    {
                        reports.Add(r);
                    }
                };
            });
        });
        using (host)
        {
            await using (Socks5Tunnel tunnel = await new Socks5Client(proxy).ConnectAsync(_targets.Echo4))
            {
                await TestHosts.AssertEchoesAsync(tunnel, "allowed");
            }

            await host.StopAsync();
            Assert.Empty(registered.Seen);
            lock (reports)
            {
                Assert.True(Assert.Single(reports).Succeeded);
            }
        }
    }

    [Fact]
    public async Task A_control_character_in_a_destination_name_does_not_reach_the_log()
    {
        var hooks = new LoopbackHooks(_targets.EchoPort);
        var log = new LogCapture();
        (IHost host, IPEndPoint proxy) = await TestHosts.StartAsync(
            services: s => s.AddSingleton<ISocks5Resolver>(hooks).AddSingleton<ISocks5AccessRule>(new RecordingAccessRule { Allow = false }),
            log: log);
        using (host)
        {
            await Assert.ThrowsAsync<Socks5Exception>(() => new Socks5Client(proxy).ConnectAsync("x\ninfo: forged", _targets.EchoPort));

            LogCapture.Entry rejected = await log.WaitForAsync(12);
            Assert.Equal($"x?info: forged:{_targets.EchoPort}", rejected.State["Destination"]);
            Assert.DoesNotContain('\n', rejected.Message);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task A_hook_that_throws_is_logged_as_event_20_at_Warning_with_the_exception()
    {
        var log = new LogCapture();
        (IHost host, IPEndPoint proxy) = await TestHosts.StartAsync(services: s => s.AddSingleton<ISocks5Dialer>(new ThrowingDialer()), log: log);
        using (host)
        {
            Socks5Exception failed = await Assert.ThrowsAsync<Socks5Exception>(() => new Socks5Client(proxy).ConnectAsync(_targets.Echo4));

            Assert.Equal(ReplyCode.GeneralFailure, failed.ReplyCode);
            LogCapture.Entry error = await log.WaitForAsync(20);
            Assert.Equal(LogLevel.Warning, error.Level);
            Assert.IsType<InvalidOperationException>(error.Exception);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task A_ConnectionClosed_of_the_options_that_throws_is_logged_as_event_21_and_the_connection_still_as_event_10()
    {
        var log = new LogCapture();
        (IHost host, IPEndPoint proxy) = await TestHosts.StartAsync(
            services: s => s.Configure<Socks5ServerOptions>(o => o.ConnectionClosed = _ => throw new InvalidOperationException("the host's own hook")),
            log: log);
        using (host)
        {
            await using (Socks5Tunnel tunnel = await new Socks5Client(proxy).ConnectAsync(_targets.Echo4))
            {
                await TestHosts.AssertEchoesAsync(tunnel, "x");
            }

            Assert.Equal(LogLevel.Error, (await log.WaitForAsync(21)).Level);
            await log.WaitForAsync(10);
            await host.StopAsync();
        }
    }

    private sealed class ThrowingDialer : ISocks5Dialer
    {
        public ValueTask<Socket> DialAsync(IPEndPoint destination, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("a bug in the dialer");
    }

    private static async Task AssertRefusedAsync(IPEndPoint endPoint)
    {
        using var probe = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        SocketException error = await Assert.ThrowsAsync<SocketException>(() => probe.ConnectAsync(endPoint).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
    }

    private sealed class RecordingAccessRule : ISocks5AccessRule
    {
        public bool Allow { get; init; }

        public List<Socks5AccessRequest> Seen { get; } = [];

        public ValueTask<bool> IsAllowedAsync(Socks5AccessRequest request, CancellationToken cancellationToken)
        {
            lock (Seen)
            {
                Seen.Add(request);
            }

            return ValueTask.FromResult(Allow);
        }
    }

    /// <summary>Resolves every name to 127.0.0.1, dials only loopback, accepts alice/right; records what it did.</summary>
    private sealed class LoopbackHooks(int echoPort) : ISocks5Resolver, ISocks5Dialer, ISocks5CredentialValidator
    {
        public List<string> Resolved { get; } = [];

        public List<IPEndPoint> Dialed { get; } = [];

        public ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
        {
            lock (Resolved)
            {
                Resolved.Add(host);
            }

            return ValueTask.FromResult(new[] { IPAddress.Loopback });
        }

        public async ValueTask<Socket> DialAsync(IPEndPoint destination, CancellationToken cancellationToken)
        {
            lock (Dialed)
            {
                Dialed.Add(destination);
            }

            Assert.True(IPAddress.IsLoopback(destination.Address) && destination.Port == echoPort, $"would dial {destination}");
            var socket = new Socket(destination.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(destination, cancellationToken);
            return socket;
        }

        public ValueTask<bool> ValidateAsync(string userName, string password, CancellationToken cancellationToken) =>
            ValueTask.FromResult(userName == "alice" && password == "right");
    }
}
