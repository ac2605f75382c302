using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Socks5.Protocol.Client;
using Socks5.Protocol.Diagnostics;
using Socks5.Protocol.Server;
using Socks5.Protocol.Tests.Client;
using Socks5.Protocol.Tests.Server;
using Xunit;

namespace Socks5.Protocol.Tests.Diagnostics;

/// <summary>The Meter's instruments and the ActivitySource's activities, after known traffic on loopback.</summary>
[Collection(DiagnosticsCollection.Name)]
public class DiagnosticsTests
{
    private const string ReplyCode = "socks5.reply_code";
    private const string CommandTag = "socks5.command";
    private const string ErrorType = "error.type";

    /// <summary>The protocol the client spoke is a tag; its request is tagged as SOCKS5's (a 403 is reply code 2).</summary>
    [Fact]
    public Task Http_connect_and_socks4_are_tagged_with_their_protocol() => Bounded.Run(async () =>
    {
        using var telemetry = new TelemetryRecorder();
        var dialer = new DialRecorder();
        using var server = new TestServer(o =>
        {
            o.Egress.DenyPrivate = true;
            o.Dialer = dialer.DialAsync;
        });
        using (Socket http = await MixedProtocolTests.OpenAsync(server.EndPoint4, MixedProtocolTests.HttpConnect("10.0.0.1:443"), CancellationToken.None))
        {
            Assert.StartsWith("HTTP/1.1 403 ", await MixedProtocolTests.ReadHeadAsync(http, CancellationToken.None));
        }

        await server.WaitForReportsAsync(1);
        using (Socket socks4 = await MixedProtocolTests.OpenAsync(server.EndPoint4, MixedProtocolTests.Socks4Connect(IPAddress.Parse("10.0.0.1"), 443, ""), CancellationToken.None))
        {
            Assert.Equal(91, (await MixedProtocolTests.ReadExactlyAsync(socks4, 8, CancellationToken.None))[1]);
        }

        await server.WaitForReportsAsync(2);
        await telemetry.WaitUntilAsync(() => telemetry.Of("socks5.server.connection.duration").Length == 2);
        Measurement[] connections = telemetry.Of("socks5.server.connection.duration");
        Assert.Equal(["http_connect", "socks4"], connections.Select(m => m.Tag("socks5.protocol")));
        Assert.All(connections, m => Assert.Equal("connect", m.Tag(CommandTag)));
        Assert.All(connections, m => Assert.Equal(2, m.Tag(ReplyCode)));
        Assert.Equal(["http_connect", "socks4"], telemetry.Of("socks5.server.handshake.duration").Select(m => m.Tag("socks5.protocol")));
        Assert.Empty(dialer.Dialed);
    });

    [Fact]
    public Task Connect_tunnel_records_every_server_and_client_instrument_and_both_activities() => Bounded.Run(async () =>
    {
        using var telemetry = new TelemetryRecorder();
        using var server = new TestServer();
        (IPEndPoint echo, IDisposable stopEcho) = Loop.StartEcho();
        using (stopEcho)
        {
            var client = new Socks5Client(server.EndPoint4);
            await using Socks5Tunnel tunnel = await client.ConnectAsync(echo);
            await tunnel.Stream.WriteAsync(new byte[1000]);
            tunnel.ShutdownWrite();
            Assert.Equal(1000, (await Loop.ReadToEndAsync(tunnel.Stream)).Length);
        }

        await server.WaitForReportsAsync(1);
        await telemetry.WaitUntilAsync(() => telemetry.Of("socks5.server.active_connections").Length == 2);

        Assert.Equal([1.0, -1.0], telemetry.Of("socks5.server.active_connections").Select(m => m.Value));
        Measurement connection = telemetry.Single("socks5.server.connection.duration");
        Assert.Equal("connect", connection.Tag(CommandTag));
        Assert.Equal(0, connection.Tag(ReplyCode));
        Assert.Null(connection.Tag(ErrorType));
        Assert.True(connection.Value >= 0);
        Measurement handshake = telemetry.Single("socks5.server.handshake.duration");
        Assert.Equal("connect", handshake.Tag(CommandTag));
        Assert.Equal("none", handshake.Tag("socks5.auth_method"));
        Assert.Equal(0, handshake.Tag(ReplyCode));
        Assert.Equal(0, telemetry.Single("socks5.server.connect.duration").Tag(ReplyCode));
        Assert.Equal(1000, telemetry.Sum("socks5.server.io", ("network.io.direction", "receive")));
        Assert.Equal(1000, telemetry.Sum("socks5.server.io", ("network.io.direction", "transmit")));
        Assert.Empty(telemetry.Of("socks5.server.rejected_connections"));

        Measurement clientHandshake = telemetry.Single("socks5.client.handshake.duration");
        Assert.Equal("connect", clientHandshake.Tag(CommandTag));
        Assert.Equal(0, clientHandshake.Tag(ReplyCode));
        Assert.Equal([1.0, -1.0], telemetry.Of("socks5.client.active_tunnels").Select(m => m.Value));

        Activity served = telemetry.SingleActivity("socks5.server.handshake");
        Assert.Equal(ActivityKind.Server, served.Kind);
        Assert.Equal(0, served.GetTagItem(ReplyCode));
        Assert.Equal("connect", served.GetTagItem(CommandTag));
        Assert.Equal(ActivityStatusCode.Unset, served.Status);
        Assert.Equal(0, Assert.Single(served.Events, e => e.Name == "socks5.server.connect").Tags.Single(t => t.Key == ReplyCode).Value);
        Activity opened = telemetry.SingleActivity("socks5.client.connect");
        Assert.Equal(ActivityKind.Client, opened.Kind);
        Assert.Equal(0, opened.GetTagItem(ReplyCode));
        Assert.Equal(ActivityStatusCode.Unset, opened.Status);
    });

    [Fact]
    public Task Refused_request_records_the_reply_code_and_the_failure_on_both_sides() => Bounded.Run(async () =>
    {
        using var telemetry = new TelemetryRecorder();
        using var server = new TestServer(o => o.AccessRule = (_, _) => ValueTask.FromResult(false));
        var client = new Socks5Client(server.EndPoint4);

        var refused = await Assert.ThrowsAsync<Socks5Exception>(() => client.ConnectAsync(Loop.At(9)));
        Assert.Equal(Socks5.Protocol.Wire.ReplyCode.ConnectionNotAllowed, refused.ReplyCode);
        await server.WaitForReportsAsync(1);
        await telemetry.WaitUntilAsync(() => telemetry.Of("socks5.server.active_connections").Length == 2);

        Measurement connection = telemetry.Single("socks5.server.connection.duration");
        Assert.Equal(2, connection.Tag(ReplyCode));
        Assert.Equal("request_rejected", connection.Tag(ErrorType));
        Assert.Equal(2, telemetry.Single("socks5.server.handshake.duration").Tag(ReplyCode));
        Assert.Equal(2, telemetry.Single("socks5.server.connect.duration").Tag(ReplyCode));
        Assert.Equal("rule", telemetry.Single("socks5.server.rejected_connections").Tag("socks5.rejection"));
        Assert.Empty(telemetry.Of("socks5.server.io"));
        Assert.Empty(telemetry.Of("socks5.client.active_tunnels"));

        Measurement clientHandshake = telemetry.Single("socks5.client.handshake.duration");
        Assert.Equal(2, clientHandshake.Tag(ReplyCode));
        Assert.Equal("request_rejected", clientHandshake.Tag(ErrorType));

        Activity served = telemetry.SingleActivity("socks5.server.handshake");
        Assert.Equal(ActivityStatusCode.Error, served.Status);
        Assert.Equal(2, served.GetTagItem(ReplyCode));
        Activity opened = telemetry.SingleActivity("socks5.client.connect");
        Assert.Equal(ActivityStatusCode.Error, opened.Status);
        Assert.Equal(2, opened.GetTagItem(ReplyCode));
        Assert.Equal("request_rejected", opened.GetTagItem(ErrorType));
    });

    [Theory]
    [InlineData("limit")]
    [InlineData("authentication")]
    [InlineData("protocol")]
    [InlineData("timeout")]
    public Task Rejected_connection_is_counted_with_its_reason(string reason) => Bounded.Run(async () =>
    {
        using var telemetry = new TelemetryRecorder();
        using var server = new TestServer(o =>
        {
            switch (reason)
            {
                case "limit":
                    o.MaxConnections = 0;
                    break;
                case "authentication":
                    o.Users["user"] = "password";
                    break;
                case "timeout":
                    o.HandshakeTimeout = TimeSpan.FromMilliseconds(100);
                    break;
            }
        });

        if (reason == "authentication")
        {
            var client = new Socks5Client(new Socks5ClientOptions(server.EndPoint4) { UserName = "user", Password = "wrong" });
            await Assert.ThrowsAsync<Socks5Exception>(() => client.ConnectAsync(Loop.At(9)));
        }
        else
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(server.EndPoint4);
            if (reason == "protocol")
            {
                await socket.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray(), SocketFlags.None);
            }

            // The server closes the connection (after a reply, for the protocol error): read to its end.
            byte[] buffer = new byte[64];
            while (await socket.ReceiveAsync(buffer, SocketFlags.None) > 0)
            {
            }
        }

        await telemetry.WaitUntilAsync(() => telemetry.Of("socks5.server.rejected_connections").Length == 1);
        Assert.Equal(reason, telemetry.Single("socks5.server.rejected_connections").Tag("socks5.rejection"));
        if (reason != "limit")
        {
            await server.WaitForReportsAsync(1);
            Assert.NotNull(telemetry.Single("socks5.server.connection.duration").Tag(ErrorType));
            Assert.Null(telemetry.Single("socks5.server.handshake.duration").Tag(ReplyCode));
        }
    });

    [Fact]
    public Task Connection_over_its_users_limit_is_counted_as_a_limit_rejection() => Bounded.Run(async () =>
    {
        using var telemetry = new TelemetryRecorder();
        using var server = new TestServer(o =>
        {
            o.Users["alice"] = "alice-pw";
            o.MaxConnectionsPerUser = 1;
        });
        using var first = await Interop.RawSocks5Client.OpenAsync(server.EndPoint4, CancellationToken.None, "alice", "alice-pw");
        using (var second = await Interop.RawSocks5Client.OpenAsync(server.EndPoint4, CancellationToken.None, "alice", "alice-pw"))
        {
            // Refused before anything is dialed: the destination is never reached.
            var reply = await second.RequestAsync(Socks5.Protocol.Wire.Command.Connect, Loop.At(9), CancellationToken.None);
            Assert.Equal(Socks5.Protocol.Wire.ReplyCode.ConnectionNotAllowed, reply.ReplyCode);
        }

        await server.WaitForReportsAsync(1);
        await telemetry.WaitUntilAsync(() => telemetry.Of("socks5.server.rejected_connections").Length == 1);
        Assert.Equal("limit", telemetry.Single("socks5.server.rejected_connections").Tag("socks5.rejection"));
    });

    [Fact]
    public Task Udp_association_counts_itself_and_its_datagrams_relayed_and_dropped() => Bounded.Run(async () =>
    {
        using var telemetry = new TelemetryRecorder();
        using var server = new TestServer();
        using var echo = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        echo.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _ = Task.Run(async () =>
        {
            byte[] buffer = new byte[2048];
            try
            {
                while (true)
                {
                    SocketReceiveFromResult got = await echo.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0));
                    await echo.SendToAsync(buffer.AsMemory(0, got.ReceivedBytes), SocketFlags.None, got.RemoteEndPoint);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        });

        var client = new Socks5Client(server.EndPoint4);
        await using (Socks5UdpAssociation association = await client.AssociateUdpAsync())
        {
            byte[] received = new byte[2048];
            await association.SendToAsync("one"u8.ToArray(), echo.LocalEndPoint!);
            await association.ReceiveFromAsync(received);

            // A datagram from a source that is neither the client nor a destination it sent to: dropped. The relay reads
            // its socket in order, so the echo of the next datagram comes after it was handled.
            using (var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
            {
                await stranger.SendToAsync("stray"u8.ToArray(), SocketFlags.None, association.RelayEndPoint);
            }

            await association.SendToAsync("two"u8.ToArray(), echo.LocalEndPoint!);
            await association.ReceiveFromAsync(received);
        }

        await server.WaitForReportsAsync(1);
        await telemetry.WaitUntilAsync(() => telemetry.Of("socks5.server.active_udp_associations").Length == 2);

        Assert.Equal([1.0, -1.0], telemetry.Of("socks5.server.active_udp_associations").Select(m => m.Value));
        Measurement[] datagrams = telemetry.Of("socks5.server.udp.datagrams");
        Assert.Equal(2, datagrams.Count(m => Equals(m.Tag("network.io.direction"), "receive") && m.Tag("socks5.udp.dropped") is null));
        Assert.Equal(2, datagrams.Count(m => Equals(m.Tag("network.io.direction"), "transmit") && m.Tag("socks5.udp.dropped") is null));
        Assert.Equal("source", Assert.Single(datagrams, m => m.Tag("socks5.udp.dropped") is not null).Tag("socks5.udp.dropped"));
        Assert.Equal("udp_associate", telemetry.Single("socks5.server.connection.duration").Tag(CommandTag));
    });

    [Fact]
    public Task No_client_activity_exists_when_nobody_listens_and_one_is_current_during_the_handshake_when_someone_does() => Bounded.Run(async () =>
    {
        using var server = new TestServer();
        (IPEndPoint echo, IDisposable stopEcho) = Loop.StartEcho();
        using (stopEcho)
        {
            // The client's resolver runs inside the handshake: it sees the activity that is current there.
            string? seen = "not called";
            var client = new Socks5Client(new Socks5ClientOptions(server.EndPoint4)
            {
                ResolveNamesLocally = true,
                Resolver = (_, _) =>
                {
                    seen = Activity.Current?.OperationName;
                    return ValueTask.FromResult(new[] { IPAddress.Loopback });
                },
            });

            Assert.False(ActivitySourceHasListeners());
            await using (await client.ConnectAsync("echo.test", echo.Port))
            {
            }

            Assert.Null(seen);

            using (new TelemetryRecorder())
            {
                await using (await client.ConnectAsync("echo.test", echo.Port))
                {
                }
            }

            Assert.Equal("socks5.client.connect", seen);
        }
    });

    [Fact]
    public Task A_listener_that_throws_does_not_keep_the_report_from_the_host() => Bounded.Run(async () =>
    {
        using var telemetry = new TelemetryRecorder(throwOn: "socks5.server.connection.duration");
        using var server = new TestServer(o => o.AccessRule = (_, _) => ValueTask.FromResult(false));
        var client = new Socks5Client(server.EndPoint4);

        await Assert.ThrowsAsync<Socks5Exception>(() => client.ConnectAsync(Loop.At(9)));

        Socks5ConnectionReport report = Assert.Single(await server.WaitForReportsAsync(1));
        Assert.Equal(Socks5.Protocol.Wire.ReplyCode.ConnectionNotAllowed, report.ReplyCode);
        Assert.Single(telemetry.Of("socks5.server.connection.duration"));
    });

    [Fact]
    public void Relay_byte_count_allocates_nothing_listened_to_or_not()
    {
        // Nobody listens: one flag test per chunk.
        Assert.Equal(0, AllocatedBy(() => Socks5Telemetry.CountServerIo(fromClient: true, 1000)));

        long total = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument == Socks5Telemetry.Io)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref total, value));
        listener.Start();
        Assert.True(Socks5Telemetry.Io.Enabled);

        // Someone listens: the cached direction tag makes each add allocation-free too.
        Assert.Equal(0, AllocatedBy(() => Socks5Telemetry.CountServerIo(fromClient: false, 1000)));
        Assert.True(Interlocked.Read(ref total) >= 1000 * 1000);
    }

    private static bool ActivitySourceHasListeners() => Socks5Telemetry.Source.HasListeners();

    private static long AllocatedBy(Action chunk)
    {
        for (int i = 0; i < 100; i++)
        {
            chunk();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            chunk();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
