using System.Buffers;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Engine;

/// <summary>The client engine against scripted server bytes.</summary>
public class ClientEngineTests
{
    private static Socks5ClientEngine NewEngine(Command command = Command.Connect, ISocks5ClientAuthenticator? auth = null, bool offerNone = true)
    {
        var destination = new Socks5EndPoint(AddressType.IPv4, new byte[] { 127, 0, 0, 1 }, 8000);
        return new Socks5ClientEngine(command, destination, auth is null ? null : new[] { auth }, offerNone);
    }

    private static string Start(Socks5ClientEngine engine)
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(ClientEvent.NeedMoreData, engine.Start(output));
        return Hex.Format(output.WrittenSpan);
    }

    private static (ClientEvent Event, int Consumed, string Output) Feed(Socks5ClientEngine engine, string hex)
    {
        var output = new ArrayBufferWriter<byte>();
        ClientEvent e = engine.Process(Hex.Parse(hex), output, out int consumed);
        return (e, consumed, Hex.Format(output.WrittenSpan));
    }

    [Fact]
    public void Seed_exchange_from_the_client_side()
    {
        var engine = NewEngine();
        Assert.Equal("050100", Start(engine));
        var (e, consumed, output) = Feed(engine, "05 00");
        Assert.Equal(ClientEvent.NeedMoreData, e);
        Assert.Equal(2, consumed);
        Assert.Equal("05010001 7F000001 1F40".Replace(" ", ""), output);
        (e, consumed, _) = Feed(engine, "05 00 00 01 00 00 00 00 10 10");
        Assert.Equal(ClientEvent.Established, e);
        Assert.Equal(10, consumed);
        Assert.Equal("0.0.0.0:4112", engine.BoundAddress.ToString());
    }

    [Fact]
    public void Reply_and_tunnel_data_in_one_segment_leaves_the_data()
    {
        var engine = NewEngine();
        Start(engine);
        byte[] input = Hex.Parse("05 00  05 00 00 01 7f 00 00 01 04 d2  48 54 54 50");
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(ClientEvent.Established, engine.Process(input, output, out int consumed));
        Assert.Equal("HTTP", System.Text.Encoding.ASCII.GetString(input.AsSpan(consumed)));
    }

    [Fact]
    public void Bind_both_replies_in_one_segment_are_reported_one_at_a_time()
    {
        var engine = NewEngine(Command.Bind);
        Start(engine);
        Feed(engine, "05 00");
        byte[] input = Hex.Parse("05 00 00 01 7f 00 00 01 9c 40  05 00 00 01 7f 00 00 09 c3 50  aa");
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(ClientEvent.FirstReplyReceived, engine.Process(input, output, out int first));
        Assert.Equal(10, first);
        Assert.Equal("127.0.0.1:40000", engine.BindAddress.ToString());
        Assert.Equal(ClientEvent.Established, engine.Process(input.AsSpan(first), output, out int second));
        Assert.Equal(10, second);
        Assert.Equal("127.0.0.9:50000", engine.BoundAddress.ToString());
        Assert.Equal("127.0.0.1:40000", engine.BindAddress.ToString());
    }

    [Fact]
    public void Domain_bound_address_of_255_bytes_is_read()
    {
        var engine = NewEngine();
        Start(engine);
        Feed(engine, "05 00");
        string name = new('b', 255);
        string reply = "05 00 00 03 ff" + Hex.Format(System.Text.Encoding.ASCII.GetBytes(name)) + "00 50";
        var (e, consumed, _) = Feed(engine, reply);
        Assert.Equal(ClientEvent.Established, e);
        Assert.Equal(262, consumed);
        Assert.Equal(name + ":80", engine.BoundAddress.ToString());
    }

    [Theory]
    [InlineData("05 05 00 01 00 00 00 00 00 00", ReplyCode.ConnectionRefused)]
    [InlineData("05 f3 00 01 00 00 00 00 00 00", (ReplyCode)0xF3)]
    [InlineData("05 01 00 04 00000000000000000000000000000000 0000", ReplyCode.GeneralFailure)] // Tor's failure reply
    public void Failure_reply_keeps_the_raw_code(string hex, ReplyCode expected)
    {
        var engine = NewEngine();
        Start(engine);
        Feed(engine, "05 00");
        var (e, _, _) = Feed(engine, hex);
        Assert.Equal(ClientEvent.MustClose, e);
        Assert.Equal(HandshakeFailure.RequestRejected, engine.Failure);
        Assert.Equal(expected, engine.ReplyCode);
    }

    [Fact]
    public void Truncated_reply_needs_more_data_and_consumes_nothing()
    {
        var engine = NewEngine();
        Start(engine);
        Feed(engine, "05 00");
        var (e, consumed, _) = Feed(engine, "05 07 00 01"); // ss-local's truncated reply
        Assert.Equal(ClientEvent.NeedMoreData, e);
        Assert.Equal(0, consumed);
    }

    [Theory]
    [InlineData("05 02", HandshakeFailure.UnexpectedMethod)]
    [InlineData("05 80", HandshakeFailure.UnexpectedMethod)]
    [InlineData("05 ff", HandshakeFailure.NoAcceptableMethod)]
    [InlineData("04 00", HandshakeFailure.MalformedMessage)]
    public void Bad_method_selection_must_close(string hex, HandshakeFailure failure)
    {
        var engine = NewEngine();
        Start(engine);
        var (e, _, output) = Feed(engine, hex);
        Assert.Equal(ClientEvent.MustClose, e);
        Assert.Equal("", output);
        Assert.Equal(failure, engine.Failure);
    }

    [Fact]
    public void No_authentication_selected_when_not_offered_is_unexpected()
    {
        var engine = NewEngine(auth: new UsernamePasswordClientAuthenticator("u", "p"), offerNone: false);
        Assert.Equal("050102", Start(engine));
        var (e, _, _) = Feed(engine, "05 00");
        Assert.Equal(ClientEvent.MustClose, e);
        Assert.Equal(HandshakeFailure.UnexpectedMethod, engine.Failure);
    }

    [Theory]
    [InlineData("01 01", (byte)1)]
    [InlineData("01 02", (byte)2)] // microsocks
    [InlineData("01 ff", (byte)0xFF)] // v2ray
    public void Auth_failure_status_must_close_and_keeps_the_status(string hex, byte status)
    {
        var auth = new UsernamePasswordClientAuthenticator("socksuser", "wrong");
        var engine = NewEngine(auth: auth);
        Assert.Equal("05020002", Start(engine));
        var (_, _, request) = Feed(engine, "05 02");
        Assert.Equal("0109736F636B7375736572" + "0577726F6E67", request);
        var (e, _, _) = Feed(engine, hex);
        Assert.Equal(ClientEvent.MustClose, e);
        Assert.Equal(HandshakeFailure.AuthenticationFailed, engine.Failure);
        Assert.Equal(status, auth.Status);
    }

    [Fact]
    public void Malformed_reply_must_close_with_the_parse_error()
    {
        var engine = NewEngine();
        Start(engine);
        Feed(engine, "05 00");
        var (e, _, _) = Feed(engine, "05 00 00 09");
        Assert.Equal(ClientEvent.MustClose, e);
        Assert.Equal(HandshakeFailure.MalformedMessage, engine.Failure);
        Assert.Equal(ParseError.UnknownAddressType, engine.ParseError);
    }

    [Fact]
    public void Misuse_throws_invalid_operation()
    {
        var engine = NewEngine();
        var output = new ArrayBufferWriter<byte>();
        Assert.Throws<InvalidOperationException>(() => engine.Process(new byte[] { 5, 0 }, output, out _));
        engine.Start(output);
        Assert.Throws<InvalidOperationException>(() => engine.Start(output));
        Assert.Throws<InvalidOperationException>(() => engine.BoundAddress.Port);
    }

    [Fact]
    public void Destination_is_copied_so_the_caller_buffer_can_be_reused()
    {
        byte[] buffer = new byte[255];
        var engine = new Socks5ClientEngine(Command.Connect, Socks5EndPoint.FromHost("localhost", 80, buffer));
        Array.Fill(buffer, (byte)'x');
        Assert.Equal("localhost:80", engine.Destination.ToString());
    }

    [Fact]
    public void Offering_nothing_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new Socks5ClientEngine(Command.Connect, new Socks5EndPoint(AddressType.IPv4, new byte[4], 1), null, offerNoAuthentication: false));
    }

    [Fact]
    public void The_greeting_is_written_by_the_greeting_writer_in_the_order_offered()
    {
        var engine = new Socks5ClientEngine(
            Command.Connect,
            new Socks5EndPoint(AddressType.IPv4, new byte[4], 1),
            new ISocks5ClientAuthenticator[] { new UsernamePasswordClientAuthenticator("u", "p"), new PrivateKeyClientAuthenticator(1) });
        var expected = new ArrayBufferWriter<byte>();
        Socks5Greeting.Write(expected, new[] { AuthenticationMethod.NoAuthenticationRequired, AuthenticationMethod.UsernamePassword, PrivateKeyServerAuthenticator.PrivateMethod });
        Assert.Equal("0503000280", Hex.Format(expected.WrittenSpan));
        Assert.Equal(Hex.Format(expected.WrittenSpan), Start(engine));
    }
}
