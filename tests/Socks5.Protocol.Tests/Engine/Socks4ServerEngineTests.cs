using System.Buffers;
using System.Text;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Engine;

/// <summary>The SOCKS4/4a server engine fed raw bytes: the request, its reply, every failure, and the host's misuse.</summary>
public class Socks4ServerEngineTests
{
    // CONNECT 127.0.0.1:8000, USERID "alice".
    private const string Socks4Connect = "04 01 1f 40 7f 00 00 01 61 6c 69 63 65 00";

    // SOCKS4a CONNECT example.com:80, empty USERID.
    private const string Socks4aConnect = "04 01 00 50 00 00 00 01 00 65 78 61 6d 70 6c 65 2e 63 6f 6d 00";

    private static (ServerEvent Event, int Consumed, string Output) Feed(Socks4ServerEngine engine, string hex, bool isFinalBlock = false)
    {
        var output = new ArrayBufferWriter<byte>();
        ServerEvent e = engine.Process(Hex.Parse(hex), output, out int consumed, isFinalBlock);
        return (e, consumed, Hex.Format(output.WrittenSpan));
    }

    [Fact]
    public void Socks4_connect_is_surfaced_then_granted_with_90()
    {
        var engine = new Socks4ServerEngine();
        var (e, consumed, output) = Feed(engine, Socks4Connect);
        Assert.Equal(ServerEvent.RequestReceived, e);
        Assert.Equal(14, consumed);
        Assert.Equal("", output);
        Assert.Equal(Command.Connect, engine.Command);
        Assert.Equal("127.0.0.1:8000", engine.Destination.ToString());
        Assert.False(engine.IsSocks4a);
        Assert.Equal("alice", Encoding.ASCII.GetString(engine.UserId));

        var writer = new ArrayBufferWriter<byte>();
        Assert.Equal(ServerEvent.Established, engine.Reply(ReplyCode.Succeeded, writer));
        Assert.Equal("005A000000000000", Hex.Format(writer.WrittenSpan));
        Assert.Equal(ServerEngineState.Established, engine.State);
        Assert.Equal(Socks4ReplyCode.RequestGranted, engine.ReplyCode);
    }

    [Fact]
    public void Socks4a_request_names_its_host()
    {
        var engine = new Socks4ServerEngine();
        var (e, consumed, _) = Feed(engine, Socks4aConnect);
        Assert.Equal(ServerEvent.RequestReceived, e);
        Assert.Equal(21, consumed);
        Assert.True(engine.IsSocks4a);
        Assert.Equal(AddressType.DomainName, engine.Destination.AddressType);
        Assert.Equal("example.com:80", engine.Destination.ToString());
        Assert.Equal(0, engine.UserId.Length);
    }

    [Fact]
    public void Resolve_answer_carries_its_IPv4_address_and_port_zero()
    {
        var engine = new Socks4ServerEngine();
        Feed(engine, "04 f0 00 00 00 00 00 01 00 65 78 61 6d 70 6c 65 2e 63 6f 6d 00");
        Assert.Equal(Command.Resolve, engine.Command);
        var writer = new ArrayBufferWriter<byte>();
        engine.Reply(ReplyCode.Succeeded, new Socks5EndPoint(AddressType.IPv4, new byte[] { 10, 0, 0, 7 }, 4112), writer);
        Assert.Equal("005A00000A000007", Hex.Format(writer.WrittenSpan));
    }

    [Fact]
    public void Bound_address_that_is_not_IPv4_sends_zeros()
    {
        var engine = new Socks4ServerEngine();
        Feed(engine, Socks4Connect);
        var writer = new ArrayBufferWriter<byte>();
        engine.Reply(ReplyCode.Succeeded, new Socks5EndPoint(AddressType.IPv6, new byte[16] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, 80), writer);
        Assert.Equal("005A000000000000", Hex.Format(writer.WrittenSpan));
    }

    [Theory]
    [InlineData(ReplyCode.GeneralFailure)]
    [InlineData(ReplyCode.ConnectionNotAllowed)]
    [InlineData(ReplyCode.HostUnreachable)]
    [InlineData(ReplyCode.CommandNotSupported)]
    public void Every_failure_is_91_and_must_close(ReplyCode code)
    {
        var engine = new Socks4ServerEngine();
        Feed(engine, Socks4Connect);
        var writer = new ArrayBufferWriter<byte>();
        Assert.Equal(ServerEvent.MustClose, engine.Reply(code, writer));
        Assert.Equal("005B000000000000", Hex.Format(writer.WrittenSpan));
        Assert.Equal(HandshakeFailure.RequestRejected, engine.Failure);
        Assert.Equal("127.0.0.1:8000", engine.Destination.ToString()); // still readable for the report
    }

    [Theory]
    [InlineData(Socks4Connect)]
    [InlineData(Socks4aConnect)]
    public void Every_split_gives_the_same_request_and_leaves_pipelined_data_unconsumed(string request)
    {
        byte[] input = Hex.Parse(request + " 47 45 54 20 2f");
        for (int chunk = 1; chunk <= input.Length; chunk++)
        {
            var engine = new Socks4ServerEngine();
            string? seen = null;
            var (events, output, rest) = ServerEngineFeeder.Run(input, chunk, engine.Process, (e, writer) =>
            {
                seen = engine.Destination.ToString();
                return engine.Reply(ReplyCode.Succeeded, writer);
            });
            Assert.Equal(new[] { ServerEvent.RequestReceived, ServerEvent.Established }, ServerEngineFeeder.Decisions(events));
            Assert.Equal(request == Socks4Connect ? "127.0.0.1:8000" : "example.com:80", seen);
            Assert.Equal("005A000000000000", Hex.Format(output));
            Assert.Equal("GET /", Encoding.ASCII.GetString(rest));
        }
    }

    [Fact]
    public void Request_cut_short_by_the_client_fails_as_closed_without_a_word()
    {
        byte[] input = Hex.Parse(Socks4aConnect);
        for (int length = 0; length < input.Length; length++)
        {
            var engine = new Socks4ServerEngine();
            var output = new ArrayBufferWriter<byte>();
            Assert.Equal(ServerEvent.MustClose, engine.Process(input.AsSpan(0, length), output, out int consumed, isFinalBlock: true));
            Assert.Equal(0, consumed);
            Assert.Equal(0, output.WrittenCount);
            Assert.Equal(HandshakeFailure.ConnectionClosed, engine.Failure);
        }
    }

    [Fact]
    public void Userid_without_NUL_in_256_bytes_gets_91_as_too_long()
    {
        var engine = new Socks4ServerEngine();
        var (e, consumed, output) = Feed(engine, "04 01 00 50 7f 00 00 01" + string.Concat(Enumerable.Repeat(" 61", 256)));
        Assert.Equal(ServerEvent.MustClose, e);
        Assert.Equal(0, consumed);
        Assert.Equal("005B000000000000", output);
        Assert.Equal(HandshakeFailure.MessageTooLong, engine.Failure);
        Assert.Equal(ParseError.UserIdTooLong, engine.ParseError);
    }

    [Fact]
    public void Host_name_without_NUL_in_256_bytes_gets_91_as_too_long()
    {
        var engine = new Socks4ServerEngine();
        var (e, _, output) = Feed(engine, "04 01 00 50 00 00 00 01 00" + string.Concat(Enumerable.Repeat(" 61", 256)));
        Assert.Equal(ServerEvent.MustClose, e);
        Assert.Equal("005B000000000000", output);
        Assert.Equal(HandshakeFailure.MessageTooLong, engine.Failure);
        Assert.Equal(ParseError.DomainNameTooLong, engine.ParseError);
    }

    [Fact]
    public void Empty_socks4a_host_name_gets_91_as_malformed()
    {
        var engine = new Socks4ServerEngine();
        var (e, _, output) = Feed(engine, "04 01 00 50 00 00 00 01 00 00");
        Assert.Equal(ServerEvent.MustClose, e);
        Assert.Equal("005B000000000000", output);
        Assert.Equal(HandshakeFailure.MalformedMessage, engine.Failure);
        Assert.Equal(ParseError.EmptyDomainName, engine.ParseError);
    }

    [Fact]
    public void Another_version_is_closed_without_a_word()
    {
        var engine = new Socks4ServerEngine();
        var (e, _, output) = Feed(engine, "05 01 00");
        Assert.Equal(ServerEvent.MustClose, e);
        Assert.Equal("", output);
        Assert.Equal(ParseError.UnsupportedVersion, engine.ParseError);
    }

    [Fact]
    public void Required_credentials_hand_the_userid_over_first_and_a_refusal_is_91()
    {
        var engine = new Socks4ServerEngine(requireCredentials: true);
        var (e, _, _) = Feed(engine, Socks4Connect);
        Assert.Equal(ServerEvent.CredentialsReceived, e);
        Assert.Equal("alice", Encoding.ASCII.GetString(engine.UserName));
        Assert.Equal(0, engine.Password.Length);
        Assert.Equal("127.0.0.1:8000", engine.Destination.ToString());
        var writer = new ArrayBufferWriter<byte>();
        Assert.Equal(ServerEvent.MustClose, engine.AcceptCredentials(false, writer));
        Assert.Equal("005B000000000000", Hex.Format(writer.WrittenSpan));
        Assert.Equal(HandshakeFailure.AuthenticationFailed, engine.Failure);
    }

    [Fact]
    public void Required_credentials_accepted_go_on_to_the_request()
    {
        var engine = new Socks4ServerEngine(requireCredentials: true);
        Feed(engine, Socks4Connect);
        var writer = new ArrayBufferWriter<byte>();
        Assert.Equal(ServerEvent.RequestReceived, engine.AcceptCredentials(true, writer));
        Assert.Equal(0, writer.WrittenCount);
        Assert.Equal(ServerEvent.Established, engine.Reply(ReplyCode.Succeeded, writer));
    }

    [Fact]
    public void Host_misuse_throws()
    {
        var engine = new Socks4ServerEngine();
        var writer = new ArrayBufferWriter<byte>();
        Assert.Throws<InvalidOperationException>(() => engine.Reply(ReplyCode.Succeeded, writer));
        Assert.Throws<InvalidOperationException>(() => engine.Destination.Port);
        Assert.Throws<InvalidOperationException>(() => engine.AcceptCredentials(true, writer));
        Feed(engine, Socks4Connect);
        Assert.Throws<InvalidOperationException>(() => engine.UserName.Length);
        Assert.Throws<InvalidOperationException>(() => engine.Process(Hex.Parse(Socks4Connect), writer, out _));
        engine.Reply(ReplyCode.Succeeded, writer);
        Assert.Throws<InvalidOperationException>(() => engine.Process(Hex.Parse("00"), writer, out _));
        Assert.Throws<InvalidOperationException>(() => engine.Reply(ReplyCode.Succeeded, writer));
    }

    [Fact]
    public void Reset_makes_a_used_engine_new()
    {
        var engine = new Socks4ServerEngine();
        Feed(engine, "04 01 00 50 00 00 00 01 00 00");
        Assert.Equal(ServerEngineState.Closed, engine.State);
        engine.Reset();
        Assert.Equal(ServerEngineState.AwaitingRequest, engine.State);
        Assert.Equal(HandshakeFailure.None, engine.Failure);
        Assert.Equal(ParseError.None, engine.ParseError);
        Assert.Equal(ServerEvent.RequestReceived, Feed(engine, Socks4aConnect).Event);
        Assert.Equal("example.com:80", engine.Destination.ToString());
    }

    [Fact]
    public void Socks4a_handshake_with_credentials_allocates_nothing_in_steady_state()
    {
        var engine = new Socks4ServerEngine(requireCredentials: true);
        byte[] input = Hex.Parse("04 01 00 50 00 00 00 01 61 6c 69 63 65 00 65 78 61 6d 70 6c 65 2e 63 6f 6d 00");
        var output = new ArrayBufferWriter<byte>(64);
        Assert.Equal(0, ServerEngineFeeder.AllocatedInSteadyState(() => Handshake(engine, input, output)));
    }

    private static void Handshake(Socks4ServerEngine engine, byte[] input, ArrayBufferWriter<byte> output)
    {
        engine.Reset();
        output.Clear();
        Assert.True(engine.Process(input, output, out int consumed) == ServerEvent.CredentialsReceived);
        Assert.True(consumed == input.Length && engine.UserName.Length == 5 && engine.Destination.Port == 80);
        Assert.True(engine.AcceptCredentials(true, output) == ServerEvent.RequestReceived);
        Assert.True(engine.Reply(ReplyCode.Succeeded, output) == ServerEvent.Established);
    }
}
