using System.Buffers;
using System.Text;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Engine;

/// <summary>The SOCKS4/4a client engine: request transcripts, replies cut every way, refusals and a hostile server.</summary>
public class Socks4ClientEngineTests
{
    private static readonly byte[] Loopback = { 127, 0, 0, 1 };

    internal static string Text(Socks5EndPoint endPoint) => endPoint.ToEndPoint() switch
    {
        System.Net.DnsEndPoint name => $"{name.Host}:{name.Port}",
        var other => other.ToString()!,
    };

    private static Socks4ClientEngine Started(Command command, Socks5EndPoint destination, string userId, out string request)
    {
        var engine = new Socks4ClientEngine(command, destination, Encoding.ASCII.GetBytes(userId));
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(ClientEvent.NeedMoreData, engine.Start(output));
        request = Hex.Format(output.WrittenSpan);
        return engine;
    }

    [Fact]
    public void Socks4_connect_to_an_IPv4_address_sends_the_request_and_is_established_for_every_split()
    {
        byte[] reply = Hex.Parse("00 5a 00 00 00 00 00 00 68 69");
        foreach (int[] cuts in ClientEngineDriver.Splits(reply.Length))
        {
            Socks4ClientEngine engine = Started(Command.Connect, new Socks5EndPoint(AddressType.IPv4, Loopback, 8000), "bob", out string request);
            Assert.Equal(Hex.Format(Hex.Parse("04 01 1f 40 7f 00 00 01 62 6f 62 00")), request);
            (List<ClientEvent> events, byte[] rest) = ClientEngineDriver.Feed(engine.Process, reply, cuts);
            Assert.Equal(new[] { ClientEvent.Established }, events);
            Assert.Equal("hi", Encoding.ASCII.GetString(rest));
            Assert.Equal(ClientEngineState.Established, engine.State);
            Assert.Equal(Socks4ReplyCode.RequestGranted, engine.ReplyCode);
        }
    }

    [Fact]
    public void Socks4a_sends_the_name_after_the_user_id_with_the_marker_address()
    {
        Socks4ClientEngine engine = Started(Command.Connect, new Socks5EndPoint(AddressType.DomainName, "example.com"u8, 80), string.Empty, out string request);
        Assert.Equal(Hex.Format(Hex.Parse("04 01 00 50 00 00 00 01 00" + Hex.Format("example.com"u8) + "00")), request);
        Assert.Equal("example.com:80", Text(engine.Destination));
        Assert.Equal(8, engine.MaxMessageLength);
    }

    [Fact]
    public void Tor_resolve_over_socks4a_gives_the_address_in_the_reply()
    {
        Socks4ClientEngine engine = Started(Command.Resolve, new Socks5EndPoint(AddressType.DomainName, "localhost"u8, 0), string.Empty, out string request);
        Assert.Equal(Hex.Format(Hex.Parse("04 f0 00 00 00 00 00 01 00 6c 6f 63 61 6c 68 6f 73 74 00")), request);
        (List<ClientEvent> events, _) = ClientEngineDriver.Feed(engine.Process, Hex.Parse("00 5a 00 00 7f 00 00 01"), []);
        Assert.Equal(new[] { ClientEvent.Established }, events);
        Assert.Equal("127.0.0.1:0", Text(engine.BoundAddress));
    }

    [Fact]
    public void Bind_reports_both_replies_one_at_a_time()
    {
        Socks4ClientEngine engine = Started(Command.Bind, new Socks5EndPoint(AddressType.IPv4, Loopback, 21), string.Empty, out _);
        var output = new ArrayBufferWriter<byte>();
        byte[] both = Hex.Parse("00 5a 10 10 7f 00 00 02 00 5a 13 88 7f 00 00 03");
        Assert.Equal(ClientEvent.FirstReplyReceived, engine.Process(both, output, out int used));
        Assert.Equal("127.0.0.2:4112", Text(engine.BindAddress));
        Assert.Equal(ClientEvent.Established, engine.Process(both.AsSpan(used), output, out int used2));
        Assert.Equal(16, used + used2);
        Assert.Equal("127.0.0.3:5000", Text(engine.BoundAddress));
        Assert.Equal(0, output.WrittenCount);
    }

    [Theory]
    [InlineData("00 5b 00 00 00 00 00 00", Socks4ReplyCode.RequestRejectedOrFailed)]
    [InlineData("00 5c 00 00 00 00 00 00", Socks4ReplyCode.CannotConnectToIdentd)]
    [InlineData("00 5d 00 00 00 00 00 00", Socks4ReplyCode.DifferentUserIds)]
    [InlineData("00 01 00 00 00 00 00 00", (Socks4ReplyCode)1)]
    public void Refusal_must_close_and_keeps_the_raw_code(string hex, Socks4ReplyCode code)
    {
        Socks4ClientEngine engine = Started(Command.Connect, new Socks5EndPoint(AddressType.IPv4, Loopback, 1), string.Empty, out _);
        Assert.Equal(ClientEvent.MustClose, engine.Process(Hex.Parse(hex), new ArrayBufferWriter<byte>(), out _));
        Assert.Equal(HandshakeFailure.RequestRejected, engine.Failure);
        Assert.Equal(code, engine.ReplyCode);
        Assert.Equal(ClientEngineState.Closed, engine.State);
    }

    [Theory]
    [InlineData("")]
    [InlineData("00")]
    [InlineData("00 5a 00 00 00 00 00")]
    public void Reply_cut_off_by_the_server_is_connection_closed_for_every_split(string hex)
    {
        byte[] bytes = Hex.Parse(hex);
        foreach (int[] cuts in ClientEngineDriver.Splits(bytes.Length))
        {
            Socks4ClientEngine engine = Started(Command.Connect, new Socks5EndPoint(AddressType.IPv4, Loopback, 1), string.Empty, out _);
            (List<ClientEvent> events, _) = ClientEngineDriver.Feed(engine.Process, bytes, cuts, close: true);
            Assert.Equal(new[] { ClientEvent.MustClose }, events);
            Assert.Equal(HandshakeFailure.ConnectionClosed, engine.Failure);
        }
    }

    [Theory]
    [InlineData("05 00")]
    [InlineData("04 5a 00 00 00 00 00 00")]
    public void Reply_with_another_version_is_malformed_at_its_first_byte(string hex)
    {
        Socks4ClientEngine engine = Started(Command.Connect, new Socks5EndPoint(AddressType.IPv4, Loopback, 1), string.Empty, out _);
        Assert.Equal(ClientEvent.MustClose, engine.Process(Hex.Parse(hex).AsSpan(0, 1), new ArrayBufferWriter<byte>(), out int used));
        Assert.Equal(0, used);
        Assert.Equal(HandshakeFailure.MalformedMessage, engine.Failure);
        Assert.Equal(ParseError.UnsupportedVersion, engine.ParseError);
    }

    [Fact]
    public void Misuse_and_destinations_socks4_cannot_carry_throw()
    {
        Assert.ThrowsAny<ArgumentException>(() => new Socks4ClientEngine(Command.Connect, new Socks5EndPoint(AddressType.IPv6, new byte[16], 1)));
        Assert.ThrowsAny<ArgumentException>(() => new Socks4ClientEngine(Command.Connect, new Socks5EndPoint(AddressType.IPv4, Loopback, 1), "a\0b"u8));
        var engine = new Socks4ClientEngine(Command.Connect, new Socks5EndPoint(AddressType.IPv4, Loopback, 1));
        var output = new ArrayBufferWriter<byte>();
        Assert.Throws<InvalidOperationException>(() => engine.Process(default, output, out _));
        engine.Start(output);
        Assert.Throws<InvalidOperationException>(() => engine.Start(output));
        Assert.Throws<InvalidOperationException>(() => { _ = engine.BoundAddress.Port; });
    }

    [Fact]
    public void A_whole_socks4a_exchange_allocates_nothing_once_the_engine_exists()
    {
        byte[] reply = Hex.Parse("00 5a 00 00 00 00 00 00");
        ClientEngineDriver.AssertExchangesAllocateNothing(() => new Socks4ClientEngine(Command.Connect, new Socks5EndPoint(AddressType.DomainName, "example.com"u8, 443), "u"u8), (engine, output) => Exchange(engine, output, reply));
    }

    private static void Exchange(Socks4ClientEngine engine, ArrayBufferWriter<byte> output, byte[] reply)
    {
        engine.Start(output);
        Assert.True(engine.Process(reply.AsSpan(0, 3), output, out _) == ClientEvent.NeedMoreData);
        Assert.True(engine.Process(reply, output, out _) == ClientEvent.Established);
    }
}
