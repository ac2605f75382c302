using System.Buffers;
using System.Text;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Engine;

/// <summary>The server engine fed raw bytes: each state, each failure, and the host's misuse.</summary>
public class ServerEngineTests
{
    private static Socks5ServerEngine NewEngine(bool allowUnknownCommands = false, params AuthenticationMethod[] methods)
    {
        var options = new Socks5ServerEngineOptions { AllowUnknownCommands = allowUnknownCommands };
        if (methods.Length > 0)
        {
            options.Methods.Clear();
            foreach (AuthenticationMethod m in methods)
            {
                options.Methods.Add(m);
            }
        }

        return new Socks5ServerEngine(options);
    }

    private static (ServerEvent Event, int Consumed, string Output) Feed(Socks5ServerEngine engine, string hex)
    {
        var output = new ArrayBufferWriter<byte>();
        ServerEvent e = engine.Process(Hex.Parse(hex), output, out int consumed);
        return (e, consumed, Hex.Format(output.WrittenSpan));
    }

    [Fact]
    public void Seed_greeting_gets_no_authentication_selected()
    {
        var engine = NewEngine();
        var (e, consumed, output) = Feed(engine, "05 01 00");
        Assert.Equal(ServerEvent.NeedMoreData, e);
        Assert.Equal(3, consumed);
        Assert.Equal("0500", output);
        Assert.Equal(ServerEngineState.AwaitingRequest, engine.State);
    }

    [Fact]
    public void Partial_greeting_consumes_nothing_and_writes_nothing()
    {
        var engine = NewEngine();
        var (e, consumed, output) = Feed(engine, "05 02 00");
        Assert.Equal(ServerEvent.NeedMoreData, e);
        Assert.Equal(0, consumed);
        Assert.Equal("", output);
        Assert.Equal(ServerEngineState.AwaitingGreeting, engine.State);
    }

    [Fact]
    public void Seed_connect_request_is_surfaced_then_answered_with_the_seed_reply()
    {
        var engine = NewEngine();
        Feed(engine, "05 01 00");
        var (e, consumed, _) = Feed(engine, "05 01 00 01 7f 00 00 01 1f 40");
        Assert.Equal(ServerEvent.RequestReceived, e);
        Assert.Equal(10, consumed);
        Assert.Equal(Command.Connect, engine.Request.Command);
        Assert.Equal("127.0.0.1:8000", engine.Request.Destination.ToString());

        var output = new ArrayBufferWriter<byte>();
        var bound = new Socks5EndPoint(AddressType.IPv4, new byte[4], 4112);
        Assert.Equal(ServerEvent.Established, engine.Reply(ReplyCode.Succeeded, bound, output));
        Assert.Equal("05000001000000001010", Hex.Format(output.WrittenSpan));
        Assert.Equal(ServerEngineState.Established, engine.State);
    }

    [Fact]
    public void Pipelined_greeting_request_and_data_leaves_the_data_unconsumed()
    {
        var engine = NewEngine();
        byte[] input = Hex.Parse("05 01 00  05 01 00 03 09 6c 6f 63 61 6c 68 6f 73 74 00 50  47 45 54 20 2f");
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(ServerEvent.RequestReceived, engine.Process(input, output, out int consumed));
        Assert.Equal("localhost:80", engine.Request.Destination.ToString());
        Assert.Equal(ServerEvent.Established, engine.Reply(ReplyCode.Succeeded, output));
        Assert.Equal("GET /", Encoding.ASCII.GetString(input.AsSpan(consumed)));
        Assert.Equal("0500" + "05000001000000000000", Hex.Format(output.WrittenSpan));
    }

    [Theory]
    [InlineData("04 01 00", "")] // SOCKS4 or garbage: close without a word
    [InlineData("47 45 54", "")] // an HTTP request on the SOCKS port
    [InlineData("05 00", "05FF")] // NMETHODS 0
    public void Malformed_greeting_closes(string hex, string expectedOutput)
    {
        var engine = NewEngine();
        var (e, _, output) = Feed(engine, hex);
        Assert.Equal(ServerEvent.MustClose, e);
        Assert.Equal(expectedOutput, output);
        Assert.Equal(HandshakeFailure.MalformedMessage, engine.Failure);
        Assert.Equal(ServerEngineState.Closed, engine.State);
    }

    [Fact]
    public void Only_unsupported_methods_offered_gets_FF_and_must_close()
    {
        var engine = NewEngine();
        var (e, _, output) = Feed(engine, "05 02 01 02");
        Assert.Equal(ServerEvent.MustClose, e);
        Assert.Equal("05FF", output);
        Assert.Equal(HandshakeFailure.NoAcceptableMethod, engine.Failure);
    }

    [Fact]
    public void Server_preference_order_decides_between_offered_methods()
    {
        var engine = NewEngine(false, AuthenticationMethod.UsernamePassword, AuthenticationMethod.NoAuthenticationRequired);
        var (_, _, output) = Feed(engine, "05 02 00 02");
        Assert.Equal("0502", output);
        Assert.Equal(AuthenticationMethod.UsernamePassword, engine.SelectedMethod);
    }

    [Fact]
    public void Credentials_are_surfaced_and_accepted()
    {
        var engine = NewEngine(false, AuthenticationMethod.UsernamePassword);
        Feed(engine, "05 01 02");
        var (e, consumed, _) = Feed(engine, "01 04 75736572 04 70617373");
        Assert.Equal(ServerEvent.CredentialsReceived, e);
        Assert.Equal(11, consumed);
        Assert.Equal("user", Encoding.ASCII.GetString(engine.UserName));
        Assert.Equal("pass", Encoding.ASCII.GetString(engine.Password));
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(ServerEvent.NeedMoreData, engine.AcceptCredentials(true, output));
        Assert.Equal("0100", Hex.Format(output.WrittenSpan));
        Assert.Equal(ServerEngineState.AwaitingRequest, engine.State);
    }

    [Fact]
    public void Rejected_credentials_get_status_1_and_must_close()
    {
        var engine = NewEngine(false, AuthenticationMethod.UsernamePassword);
        Feed(engine, "05 01 02");
        Feed(engine, "01 01 75 01 70");
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(ServerEvent.MustClose, engine.AcceptCredentials(false, output));
        Assert.Equal("0101", Hex.Format(output.WrittenSpan));
        Assert.Equal(HandshakeFailure.AuthenticationFailed, engine.Failure);
    }

    [Theory]
    [InlineData("05 04 75736572 04 70617373", ParseError.UnsupportedVersion)] // the RFC 1929 version 5 bug
    [InlineData("01 00", ParseError.EmptyUserName)]
    [InlineData("01 01 75 00", ParseError.EmptyPassword)]
    [InlineData("05 01 00 01 7f 00 00 01 1f 40", ParseError.UnsupportedVersion)] // a request before authentication
    public void Malformed_credentials_get_a_failure_status_and_must_close(string hex, ParseError expected)
    {
        var engine = NewEngine(false, AuthenticationMethod.UsernamePassword);
        Feed(engine, "05 01 02");
        var (e, _, output) = Feed(engine, hex);
        Assert.Equal(ServerEvent.MustClose, e);
        Assert.Equal("0101", output);
        Assert.Equal(HandshakeFailure.MalformedMessage, engine.Failure);
        Assert.Equal(expected, engine.ParseError);
    }

    [Theory]
    [InlineData("05 09 00 01 7f 00 00 01 1f 40", "05070001000000000000", HandshakeFailure.CommandNotSupported, ParseError.None)]
    [InlineData("05 01 00 05 7f 00 00 01 1f 40", "05080001000000000000", HandshakeFailure.MalformedMessage, ParseError.UnknownAddressType)]
    [InlineData("05 01 00 03 00", "05010001000000000000", HandshakeFailure.MalformedMessage, ParseError.EmptyDomainName)]
    [InlineData("05 01 01 01 7f 00 00 01 1f 40", "05010001000000000000", HandshakeFailure.MalformedMessage, ParseError.NonZeroReserved)]
    [InlineData("04 01 00 50 7f 00 00 01 00", "", HandshakeFailure.MalformedMessage, ParseError.UnsupportedVersion)]
    public void Bad_request_gets_the_right_reply_and_must_close(string hex, string expectedOutput, HandshakeFailure failure, ParseError error)
    {
        var engine = NewEngine();
        Feed(engine, "05 01 00");
        var (e, _, output) = Feed(engine, hex);
        Assert.Equal(ServerEvent.MustClose, e);
        Assert.Equal(expectedOutput, output);
        Assert.Equal(failure, engine.Failure);
        Assert.Equal(error, engine.ParseError);
    }

    [Fact]
    public void Unknown_command_reaches_the_host_when_extensions_are_allowed()
    {
        var engine = NewEngine(allowUnknownCommands: true);
        Feed(engine, "05 01 00");
        var (e, _, _) = Feed(engine, "05 09 00 01 7f 00 00 01 1f 40");
        Assert.Equal(ServerEvent.RequestReceived, e);
        Assert.Equal((Command)9, engine.Request.Command);
    }

    [Fact]
    public void Bind_needs_two_replies()
    {
        var engine = NewEngine();
        Feed(engine, "05 01 00");
        Feed(engine, "05 02 00 01 00 00 00 00 00 00");
        var output = new ArrayBufferWriter<byte>();
        var listen = new Socks5EndPoint(AddressType.IPv4, new byte[] { 127, 0, 0, 1 }, 40000);
        Assert.Equal(ServerEvent.SecondReplyRequired, engine.Reply(ReplyCode.Succeeded, listen, output));
        Assert.Equal(ServerEngineState.SecondReplyPending, engine.State);
        var peer = new Socks5EndPoint(AddressType.IPv4, new byte[] { 127, 0, 0, 9 }, 50000);
        Assert.Equal(ServerEvent.Established, engine.Reply(ReplyCode.Succeeded, peer, output));
        Assert.Equal("050000017F0000019C40" + "050000017F000009C350", Hex.Format(output.WrittenSpan));
    }

    [Fact]
    public void Bind_second_reply_can_fail()
    {
        var engine = NewEngine();
        Feed(engine, "05 01 00");
        Feed(engine, "05 02 00 01 00 00 00 00 00 00");
        var output = new ArrayBufferWriter<byte>();
        engine.Reply(ReplyCode.Succeeded, output);
        Assert.Equal(ServerEvent.MustClose, engine.Reply(ReplyCode.TtlExpired, output));
        Assert.Equal(HandshakeFailure.RequestRejected, engine.Failure);
        Assert.Equal(ReplyCode.TtlExpired, engine.ReplyCode);
    }

    [Fact]
    public void Answering_before_being_asked_is_caller_misuse()
    {
        var engine = NewEngine();
        var output = new ArrayBufferWriter<byte>();
        Assert.Throws<InvalidOperationException>(() => engine.Reply(ReplyCode.Succeeded, output));
        Assert.Throws<InvalidOperationException>(() => engine.AcceptCredentials(true, output));
        Assert.Throws<InvalidOperationException>(() => engine.UserName.Length);
        Assert.Throws<InvalidOperationException>(() => engine.Request.Command);
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void Answering_twice_is_caller_misuse()
    {
        var engine = NewEngine();
        Feed(engine, "05 01 00");
        Feed(engine, "05 01 00 01 7f 00 00 01 1f 40");
        var output = new ArrayBufferWriter<byte>();
        engine.Reply(ReplyCode.Succeeded, output);
        Assert.Throws<InvalidOperationException>(() => engine.Reply(ReplyCode.Succeeded, output));
        Assert.Throws<InvalidOperationException>(() => engine.Process(new byte[1], output, out _));
    }

    [Fact]
    public void Processing_while_a_decision_is_pending_is_caller_misuse()
    {
        var engine = NewEngine();
        Feed(engine, "05 01 00");
        Feed(engine, "05 01 00 01 7f 00 00 01 1f 40");
        Assert.Throws<InvalidOperationException>(() => Feed(engine, "00"));
    }

    [Fact]
    public void Processing_after_must_close_is_caller_misuse()
    {
        var engine = NewEngine();
        Feed(engine, "04");
        Assert.Throws<InvalidOperationException>(() => Feed(engine, "05 01 00"));
    }

    [Fact]
    public void Reset_makes_the_engine_ready_for_another_connection()
    {
        var engine = NewEngine();
        Feed(engine, "04");
        engine.Reset();
        Assert.Equal(ServerEngineState.AwaitingGreeting, engine.State);
        Assert.Equal(HandshakeFailure.None, engine.Failure);
        var (e, _, output) = Feed(engine, "05 01 00");
        Assert.Equal(ServerEvent.NeedMoreData, e);
        Assert.Equal("0500", output);
    }

    [Fact]
    public void Gssapi_token_over_the_limit_is_refused_from_its_header()
    {
        var options = new Socks5ServerEngineOptions { AuthenticatorFactory = _ => new GssapiServerAuthenticator(new FakeGssapiContext(isServer: true), maxTokenLength: 1024) };
        options.Methods.Clear();
        options.Methods.Add(AuthenticationMethod.Gssapi);
        var engine = new Socks5ServerEngine(options);
        Feed(engine, "05 01 01");
        var (e, _, output) = Feed(engine, "01 01 04 01"); // LEN 1025, token not sent yet
        Assert.Equal(ServerEvent.MustClose, e);
        Assert.Equal("01FF", output);
        Assert.Equal(HandshakeFailure.AuthenticationFailed, engine.Failure);
        Assert.Equal(ParseError.GssapiTokenTooLong, ((GssapiServerAuthenticator)engine.Authenticator!).ParseError);
    }

    [Fact]
    public void Gssapi_context_failure_sends_an_abort()
    {
        var options = new Socks5ServerEngineOptions { AuthenticatorFactory = _ => new GssapiServerAuthenticator(new FakeGssapiContext(isServer: true, failOnServer: true)) };
        options.Methods.Clear();
        options.Methods.Add(AuthenticationMethod.Gssapi);
        var engine = new Socks5ServerEngine(options);
        Feed(engine, "05 01 01");
        var (e, _, output) = Feed(engine, "01 01 00 02 63 31");
        Assert.Equal(ServerEvent.MustClose, e);
        Assert.Equal("01FF", output);
    }

    [Fact]
    public void Factory_returning_null_makes_the_method_unsupported()
    {
        var options = new Socks5ServerEngineOptions { AuthenticatorFactory = _ => null };
        options.Methods.Clear();
        options.Methods.Add((AuthenticationMethod)0x80);
        options.Methods.Add(AuthenticationMethod.NoAuthenticationRequired);
        var engine = new Socks5ServerEngine(options);
        var (_, _, output) = Feed(engine, "05 02 80 00");
        Assert.Equal("0500", output);
    }

    [Fact]
    public void The_input_needed_is_bounded_by_the_stage()
    {
        var engine = NewEngine();
        Assert.Equal(Socks5Greeting.MaxLength, engine.MaxMessageLength);
        Feed(engine, "05 01 00");
        Assert.Equal(Socks5Request.MaxLength, engine.MaxMessageLength);
    }
}
