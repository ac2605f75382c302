using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FsCheck.Xunit;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Pipelines;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Client;

/// <summary>
/// The client against a proxy that answers with what it should not: every failure is a <see cref="Socks5Exception"/> that
/// keeps the reply, with the proxy's text escaped in the message, and nothing is sent or looked up on the proxy's say-so
/// before it is checked. Every BND here is loopback or a name only the injected resolver answers.
/// </summary>
public class ClientHostileProxyTests
{
    private static readonly string Name255 = new string('a', 63) + "." + new string('b', 63) + "." + new string('c', 63) + "." + new string('d', 63);

    public static TheoryData<string, string> NotHostNames => new()
    {
        { Name255, Name255 },
        { "a\0b", @"a\u0000b" },
        { "relay\u202Egnp.test", @"relay\u202Egnp.test" },
        { "relay\u2028test", @"relay\u2028test" },
        { "evil\r\nname", @"evil\u000D\u000Aname" },
        { "\u001b[2Jrelay", @"\u001B[2Jrelay" },
        { "a..b", "a..b" },
        { new string('x', 64) + ".test", new string('x', 64) + ".test" },
        { "\ufffd.test", "\ufffd.test" }, // U+FFFD, what invalid UTF-8 in a name decodes to: printable, but no host name
    };

    [Theory]
    [MemberData(nameof(NotHostNames))]
    public Task A_relay_name_that_is_not_a_host_name_is_refused_before_any_lookup(string name, string escaped) => Bounded.Run(async () =>
    {
        var resolver = new RecordingResolver(_ => throw new SocketException((int)SocketError.HostNotFound));
        (Socks5Exception ex, IPEndPoint proxy) = await RefusedRelayAsync(NameReply(Encoding.UTF8.GetBytes(name), 53), resolver);

        Assert.Empty(resolver.Asked);
        Assert.Equal(new DnsEndPoint(name, 53), ex.BoundAddress);
        Assert.Equal($"The proxy {proxy} named {escaped}:53 as its UDP relay, but that is not a host name.", ex.Message);
        AssertPrintable(ex.Message);
    });

    [Fact]
    public Task A_relay_name_is_resolved_with_the_injected_resolver_to_an_address_of_the_associations_family() => Bounded.Run(async () =>
    {
        var resolver = new RecordingResolver(_ => [IPAddress.IPv6Loopback, IPAddress.Loopback]);
        await AssociateAsync(NameReply("relay.test"u8.ToArray(), 5353), resolver, association =>
            Assert.Equal(Loop.At(5353), association.RelayEndPoint));
        Assert.Equal(new[] { "relay.test" }, resolver.Asked);
    });

    [Fact]
    public Task A_relay_ip_literal_sent_as_a_name_is_not_looked_up() => Bounded.Run(async () =>
    {
        var resolver = new RecordingResolver(_ => throw new SocketException((int)SocketError.HostNotFound));
        await AssociateAsync(NameReply("127.0.0.1"u8.ToArray(), 5353), resolver, association =>
            Assert.Equal(Loop.At(5353), association.RelayEndPoint));
        Assert.Empty(resolver.Asked);
    });

    [Fact]
    public Task A_relay_name_with_only_addresses_of_the_other_family_is_refused() => Bounded.Run(async () =>
    {
        var resolver = new RecordingResolver(_ => [IPAddress.IPv6Loopback]);
        (Socks5Exception ex, _) = await RefusedRelayAsync(NameReply("relay.test"u8.ToArray(), 5353), resolver);

        Assert.Equal(new DnsEndPoint("relay.test", 5353), ex.BoundAddress);
        Assert.EndsWith("as its UDP relay, but relay.test has no IPv4 address.", ex.Message);
    });

    [Fact]
    public Task A_relay_name_that_does_not_resolve_keeps_the_reply_and_the_cause() => Bounded.Run(async () =>
    {
        var resolver = new RecordingResolver(_ => throw new SocketException((int)SocketError.HostNotFound));
        (Socks5Exception ex, IPEndPoint proxy) = await RefusedRelayAsync(NameReply("relay.test"u8.ToArray(), 5353), resolver);

        Assert.Equal(new[] { "relay.test" }, resolver.Asked);
        Assert.Equal(proxy, ex.Proxy);
        Assert.Equal(new DnsEndPoint("relay.test", 5353), ex.BoundAddress);
        Assert.IsType<SocketException>(ex.InnerException);
        Assert.Contains("as its UDP relay, but relay.test could not be resolved (", ex.Message);
    });

    [Fact]
    public Task A_relay_name_that_never_resolves_hits_the_handshake_timeout() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<Socks5UdpAssociation> associating = proxy.Client(o =>
        {
            o.HandshakeTimeout = TimeSpan.FromMilliseconds(200);
            o.Resolver = async (_, token) =>
            {
                await Task.Delay(Timeout.Infinite, token);
                return [];
            };
        }).AssociateUdpAsync();
        using FakeConnection server = await AnswerAssociateAsync(proxy, NameReply("slow.test"u8.ToArray(), 5353));

        var ex = await Assert.ThrowsAsync<TimeoutException>(() => associating);
        Assert.Contains("named slow.test:5353 as its UDP relay, and resolving slow.test took longer than 0.2 s", ex.Message);
        await server.AssertClientClosedAsync();
    });

    [Fact]
    public Task Cancelling_while_a_relay_name_resolves_is_a_cancellation() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        using var cancel = new CancellationTokenSource();
        var asked = new TaskCompletionSource();
        Task<Socks5UdpAssociation> associating = proxy.Client(o => o.Resolver = async (_, token) =>
        {
            asked.SetResult();
            await Task.Delay(Timeout.Infinite, token);
            return [];
        }).AssociateUdpAsync(cancel.Token);
        using FakeConnection server = await AnswerAssociateAsync(proxy, NameReply("slow.test"u8.ToArray(), 5353));
        await asked.Task;
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => associating);
        await server.AssertClientClosedAsync();
    });

    [Fact]
    public Task A_relay_of_the_other_address_family_is_refused() => Bounded.Run(async () =>
    {
        // The association's socket is IPv4 (the proxy was reached over 127.0.0.1): it cannot send to ::1.
        var relay = new IPEndPoint(IPAddress.IPv6Loopback, 5353);
        (Socks5Exception ex, _) = await RefusedRelayAsync(IpReply(0x00, relay));

        Assert.Equal(relay, ex.BoundAddress);
        Assert.Matches(@"named \[::1\]:5353 as its UDP relay, but the association's socket is IPv4 \(127\.0\.0\.1:\d+, the address the proxy was told\)", ex.Message);
    });

    [Fact]
    public Task A_relay_at_port_0_is_refused() => Bounded.Run(async () =>
    {
        (Socks5Exception ex, _) = await RefusedRelayAsync(IpReply(0x00, Loop.At(0)));

        Assert.Equal(Loop.At(0), ex.BoundAddress);
        Assert.EndsWith("named 127.0.0.1:0 as its UDP relay, but port 0 cannot receive datagrams.", ex.Message);
    });

    [Theory]
    [InlineData(0xF8)] // unassigned, just past Tor's extended codes
    [InlineData(0x7F)] // unassigned
    public Task An_unknown_reply_code_to_udp_associate_is_kept_raw(int rep) => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<Socks5UdpAssociation> associating = proxy.Client().AssociateUdpAsync();
        using FakeConnection server = await AnswerAssociateAsync(proxy, IpReply((byte)rep, Loop.At(0)));

        var ex = await Assert.ThrowsAsync<Socks5Exception>(() => associating);
        Assert.Equal((ReplyCode)rep, ex.ReplyCode);
        Assert.Equal(HandshakeFailure.RequestRejected, ex.Failure);
        Assert.Null(ex.BoundAddress);
        Assert.Contains($"unassigned reply code (REP 0x{rep:X2})", ex.Message);
    });

    [Fact]
    public Task Through_a_chain_the_udp_socket_takes_the_family_of_the_relay() => Bounded.Run(async () =>
    {
        using var relay = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        relay.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        using var proxy = new FakeProxy();
        var second = new Socks5Client(new Socks5ClientOptions("127.0.0.1", 1081) { Via = proxy.Client() });
        Task<Socks5UdpAssociation> associating = second.AssociateUdpAsync();
        using FakeConnection server = await UpToChainedRequestAsync(proxy, "01 7f000001", 1081, "05 03 00 01 00000000 0000");
        await server.SendAsync(IpReply(0x00, (IPEndPoint)relay.LocalEndPoint!));

        using Socks5UdpAssociation association = await associating;
        Assert.Equal(AddressFamily.InterNetworkV6, association.LocalEndPoint.AddressFamily);
        await association.SendToAsync("hi"u8.ToArray(), Loop.At(9));
        byte[] datagram = new byte[64];
        SocketReceiveFromResult got = await relay.ReceiveFromAsync(datagram, SocketFlags.None, new IPEndPoint(IPAddress.IPv6Any, 0));
        Assert.Equal(Hex.Format(Hex.Parse("000000 01 7f000001 0009 6869")), Hex.Format(datagram.AsSpan(0, got.ReceivedBytes)));
    });

    [Fact]
    public Task Through_a_chain_an_unspecified_relay_is_the_proxys_name_resolved_here() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        var resolver = new RecordingResolver(_ => [IPAddress.Loopback]);
        var second = new Socks5Client(new Socks5ClientOptions("proxy.test", 1081) { Via = proxy.Client(), Resolver = resolver.ResolveAsync });
        Task<Socks5UdpAssociation> associating = second.AssociateUdpAsync();
        using FakeConnection server = await UpToChainedRequestAsync(proxy, "03 0a" + Hex.Format("proxy.test"u8), 1081, "05 03 00 01 00000000 0000");
        await server.SendAsync(IpReply(0x00, new IPEndPoint(IPAddress.Any, 5353)));

        using Socks5UdpAssociation association = await associating;
        Assert.Equal(new[] { "proxy.test" }, resolver.Asked);
        Assert.Equal(Loop.At(5353), association.RelayEndPoint);
    });

    [Fact]
    public Task Through_a_chain_an_unspecified_bind_address_is_the_proxys_name() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        var second = new Socks5Client(new Socks5ClientOptions("proxy.test", 1081) { Via = proxy.Client() });
        Task<Socks5PendingBind> binding = second.BindAsync();
        using FakeConnection server = await UpToChainedRequestAsync(proxy, "03 0a" + Hex.Format("proxy.test"u8), 1081, "05 02 00 01 00000000 0000");
        await server.SendAsync("05 00 00 01 00000000 3039");

        using Socks5PendingBind bind = await binding;
        Assert.Equal(new DnsEndPoint("proxy.test", 12345), bind.ListenAddress);
    });

    [Fact]
    public Task A_send_the_relay_refuses_is_a_socks5_exception() => Bounded.Run(async () =>
    {
        // Built past the checks, at port 0 (Linux's sendto says EINVAL): the socket error must not escape raw.
        using var control = new TcpListener(IPAddress.Loopback, 0);
        control.Start();
        SocketPipe pipe = await SocketPipe.ConnectAsync(control.LocalEndpoint);
        using Socket accepted = await control.AcceptSocketAsync();
        var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(Loop.At(0));
        using var association = new Socks5UdpAssociation(pipe, pipe, udp, Loop.At(0));

        var ex = await Assert.ThrowsAsync<Socks5Exception>(() => association.SendToAsync("x"u8.ToArray(), Loop.At(9)).AsTask());
        Assert.IsType<SocketException>(ex.InnerException);
        Assert.StartsWith("Could not send to the UDP relay 127.0.0.1:0: ", ex.Message);
        Assert.False(association.Completion.IsCompleted);
    });

    [Fact]
    public Task A_payload_too_big_for_ipv4_is_an_argument_exception_and_nothing_is_sent() => Bounded.Run(async () =>
    {
        using var relay = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        relay.Bind(Loop.At(0));
        using var proxy = new FakeProxy();
        Task<Socks5UdpAssociation> associating = proxy.Client().AssociateUdpAsync();
        using FakeConnection server = await AnswerAssociateAsync(proxy, IpReply(0x00, (IPEndPoint)relay.LocalEndPoint!));
        using Socks5UdpAssociation association = await associating;

        // 10 bytes of header for an IPv4 destination: 65,497 bytes of payload are the most one IPv4 datagram carries.
        await Assert.ThrowsAsync<ArgumentException>(() => association.SendToAsync(new byte[65_498], Loop.At(9)).AsTask());
        Assert.Equal(65_497, await association.SendToAsync(new byte[65_497], Loop.At(9)));
        byte[] datagram = new byte[65_535];
        SocketReceiveFromResult got = await relay.ReceiveFromAsync(datagram, SocketFlags.None, Loop.At(0));
        Assert.Equal(65_507, got.ReceivedBytes);
    });

    [Fact]
    public Task A_name_that_does_not_resolve_here_is_escaped_in_the_message() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        var resolver = new RecordingResolver(_ => throw new SocketException((int)SocketError.HostNotFound));
        var client = proxy.Client(o => { o.ResolveNamesLocally = true; o.Resolver = resolver.ResolveAsync; });

        var ex = await Assert.ThrowsAsync<Socks5Exception>(() => client.ConnectAsync(new DnsEndPoint("bad\nname\u202E", 80)));
        Assert.Equal(new[] { "bad\nname\u202E" }, resolver.Asked);
        Assert.StartsWith(@"Could not resolve bad\u000Aname\u202E: ", ex.Message);
        AssertPrintable(ex.Message);
    });

    [Fact]
    public Task A_refused_destination_name_is_escaped_in_the_message() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<Socks5Tunnel> connecting = proxy.Client().ConnectAsync(new DnsEndPoint("a\u001Bb\\", 80));
        using FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync("05 01 00");
        await server.SendAsync("05 00");
        await server.ExpectAsync("05 01 00 03 04 61 1b 62 5c 00 50");
        await server.SendAsync("05 02 00 01 00000000 0000");

        var ex = await Assert.ThrowsAsync<Socks5Exception>(() => connecting);
        Assert.Equal(ReplyCode.ConnectionNotAllowed, ex.ReplyCode);
        Assert.Equal($@"The proxy {proxy.EndPoint} refused CONNECT to a\u001Bb\\:80: connection not allowed by ruleset (REP 0x02).", ex.Message);
    });

    [Property(MaxTest = 500)]
    public void Any_reply_ends_in_success_or_a_socks5_exception_with_a_printable_message(
        byte command, byte rep, byte addressType, byte[] address, ushort port, byte cut)
    {
        // Replies close to valid ones (VER 5, RSV 0), with any REP, ATYP (a name half the time) and address, cut short
        // one time in four. The resolver fails half the names and answers the others with ::1 or 127.0.0.1; nothing is
        // sent, since a BND may name any address.
        byte atyp = (addressType % 6) switch { 0 => 1, 1 or 2 or 3 => 3, 4 => 4, _ => addressType };
        byte[] bytes = address ?? [];
        byte[] bnd = atyp switch
        {
            1 => bytes.Concat(new byte[4]).Take(4).ToArray(),
            4 => bytes.Concat(new byte[16]).Take(16).ToArray(),
            3 => [(byte)Math.Min(bytes.Length, 255), .. bytes.Take(255)],
            _ => bytes,
        };
        byte[] reply = [0x05, (byte)(rep % 3 == 0 ? rep : 0), 0x00, atyp, .. bnd, (byte)(port >> 8), (byte)port];
        if (cut % 4 == 0)
        {
            reply = reply[..(cut % reply.Length)];
        }

        Command which = (Command)(command % 3 + 1);
        Bounded.Run(async () =>
        {
            using var proxy = new FakeProxy();
            Socks5Client client = proxy.Client(o => o.Resolver = (name, _) => name.Length % 2 == 0
                ? throw new SocketException((int)SocketError.HostNotFound)
                : ValueTask.FromResult(new[] { name.Length % 4 == 1 ? IPAddress.IPv6Loopback : IPAddress.Loopback }));
            Task<IDisposable> running = RunAsync(client, which);
            using FakeConnection server = await proxy.AcceptAsync();
            await server.ExpectAsync("05 01 00");
            await server.SendAsync("05 00");
            await server.ReadExactlyAsync(10);
            await server.SendAsync(reply);
            if (which == Command.Bind)
            {
                await server.SendAsync(reply); // the second reply, for a BIND that gets that far
            }

            server.ShutdownSend();
            try
            {
                (await running).Dispose();
            }
            catch (Socks5Exception ex)
            {
                AssertPrintable(ex.Message);
            }
        }).GetAwaiter().GetResult();
    }

    private static async Task<IDisposable> RunAsync(Socks5Client client, Command command)
    {
        switch (command)
        {
            case Command.Connect:
                return await client.ConnectAsync(Loop.At(9));
            case Command.Bind:
                using (Socks5PendingBind bind = await client.BindAsync(Loop.At(9)))
                {
                    return await bind.AcceptAsync();
                }

            default:
                return await client.AssociateUdpAsync();
        }
    }

    // Nothing a terminal or a log would act on: no control, format or separator character, no lone surrogate. Judged by
    // code point: a surrogate pair is one character (U+10000 and up), printable or not by its own category.
    private static void AssertPrintable(string message)
    {
        for (int i = 0; i < message.Length; i++)
        {
            bool pair = char.IsSurrogatePair(message, i);
            UnicodeCategory category = CharUnicodeInfo.GetUnicodeCategory(message, i);
            Assert.False(
                category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
                    or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate,
                $"U+{(pair ? char.ConvertToUtf32(message[i], message[i + 1]) : message[i]):X4} ({category}) at {i} in: {message}");
            i += pair ? 1 : 0;
        }
    }

    // A UDP ASSOCIATE answered with a successful reply the client must refuse: the exception keeps the reply's code, and
    // the client closes the connection.
    private static async Task<(Socks5Exception Exception, IPEndPoint Proxy)> RefusedRelayAsync(byte[] reply, RecordingResolver? resolver = null)
    {
        using var proxy = new FakeProxy();
        Task<Socks5UdpAssociation> associating = proxy.Client(o => o.Resolver = resolver is null ? null : resolver.ResolveAsync).AssociateUdpAsync();
        using FakeConnection server = await AnswerAssociateAsync(proxy, reply);

        var ex = await Assert.ThrowsAsync<Socks5Exception>(() => associating);
        Assert.Equal(ReplyCode.Succeeded, ex.ReplyCode);
        Assert.Equal(HandshakeFailure.None, ex.Failure);
        await server.AssertClientClosedAsync();
        return (ex, proxy.EndPoint);
    }

    // A UDP ASSOCIATE answered with a reply the client accepts; check runs while the association is up.
    private static async Task AssociateAsync(byte[] reply, RecordingResolver resolver, Action<Socks5UdpAssociation> check)
    {
        using var proxy = new FakeProxy();
        Task<Socks5UdpAssociation> associating = proxy.Client(o => o.Resolver = resolver.ResolveAsync).AssociateUdpAsync();
        using FakeConnection server = await AnswerAssociateAsync(proxy, reply);
        using Socks5UdpAssociation association = await associating;
        check(association);
    }

    // Reads the greeting and a UDP ASSOCIATE request naming an IPv4 address, then sends the reply.
    private static async Task<FakeConnection> AnswerAssociateAsync(FakeProxy proxy, byte[] reply)
    {
        FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync("05 01 00");
        await server.SendAsync("05 00");
        await server.ExpectAsync("05 03 00 01");
        await server.ReadExactlyAsync(6);
        await server.SendAsync(reply);
        return server;
    }

    // The first proxy (scripted) opens a CONNECT tunnel to the second, which exists only as the bytes the tunnel carries;
    // returns once the second's request has been read.
    private static async Task<FakeConnection> UpToChainedRequestAsync(FakeProxy proxy, string secondAddress, int secondPort, string request)
    {
        FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync("05 01 00");
        await server.SendAsync("05 00");
        await server.ExpectAsync("05 01 00 " + secondAddress + secondPort.ToString("x4", CultureInfo.InvariantCulture));
        await server.SendAsync("05 00 00 01 00000000 0000" + "05 00");
        await server.ExpectAsync("05 01 00");
        await server.ExpectAsync(request);
        return server;
    }

    private static byte[] NameReply(byte[] name, int port) =>
        [0x05, 0x00, 0x00, 0x03, (byte)name.Length, .. name, (byte)(port >> 8), (byte)port];

    private static byte[] IpReply(byte rep, IPEndPoint bound) =>
        [0x05, rep, 0x00, bound.AddressFamily == AddressFamily.InterNetworkV6 ? (byte)0x04 : (byte)0x01, .. bound.Address.GetAddressBytes(), (byte)(bound.Port >> 8), (byte)bound.Port];
}
