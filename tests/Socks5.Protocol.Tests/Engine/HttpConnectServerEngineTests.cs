using System.Buffers;
using System.Text;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Engine;

/// <summary>The HTTP CONNECT server engine fed raw heads: the request, the 407 retry, every error status, the host's misuse.</summary>
public class HttpConnectServerEngineTests
{
    private const string Connect = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n";

    // user:pass
    private const string ConnectWithCredentials = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nProxy-Authorization: Basic dXNlcjpwYXNz\r\n\r\n";

    // user:wrong
    private const string ConnectWithWrongCredentials = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nProxy-Authorization: Basic dXNlcjp3cm9uZw==\r\n\r\n";

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static string Response(int status)
    {
        var writer = new ArrayBufferWriter<byte>();
        if (status == 407)
        {
            HttpConnectResponse.WriteProxyAuthenticationRequired(writer, "proxy"u8);
        }
        else
        {
            HttpConnectResponse.Write(writer, status);
        }

        return Encoding.ASCII.GetString(writer.WrittenSpan);
    }

    private static (ServerEvent Event, int Consumed, string Output) Feed(HttpConnectServerEngine engine, string text, bool isFinalBlock = false)
    {
        var output = new ArrayBufferWriter<byte>();
        ServerEvent e = engine.Process(Ascii(text), output, out int consumed, isFinalBlock);
        return (e, consumed, Encoding.ASCII.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Connect_is_surfaced_then_answered_200()
    {
        var engine = new HttpConnectServerEngine();
        var (e, consumed, output) = Feed(engine, Connect);
        Assert.Equal(ServerEvent.RequestReceived, e);
        Assert.Equal(Connect.Length, consumed);
        Assert.Equal("", output);
        Assert.Equal(AddressType.DomainName, engine.Destination.AddressType);
        Assert.Equal("example.com:443", engine.Destination.ToString());

        var writer = new ArrayBufferWriter<byte>();
        Assert.Equal(ServerEvent.Established, engine.Reply(ReplyCode.Succeeded, writer));
        Assert.Equal("HTTP/1.1 200 Connection established\r\n\r\n", Encoding.ASCII.GetString(writer.WrittenSpan));
        Assert.Equal(200, engine.StatusCode);
        Assert.Equal(ServerEngineState.Established, engine.State);
    }

    [Theory]
    [InlineData("127.0.0.1:8080", AddressType.IPv4, "127.0.0.1:8080")]
    [InlineData("[::1]:8080", AddressType.IPv6, "[::1]:8080")]
    public void IP_literal_targets_are_addresses(string authority, AddressType type, string expected)
    {
        var engine = new HttpConnectServerEngine();
        Feed(engine, $"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n");
        Assert.Equal(type, engine.Destination.AddressType);
        Assert.Equal(expected, engine.Destination.ToString());
    }

    [Theory]
    [InlineData(ReplyCode.Succeeded, false, 200)]
    [InlineData(ReplyCode.ConnectionNotAllowed, false, 403)]
    [InlineData(ReplyCode.TtlExpired, false, 504)]
    [InlineData(ReplyCode.GeneralFailure, true, 504)]
    [InlineData(ReplyCode.GeneralFailure, false, 502)]
    [InlineData(ReplyCode.ConnectionRefused, false, 502)]
    [InlineData(ReplyCode.HostUnreachable, false, 502)]
    [InlineData(ReplyCode.NetworkUnreachable, false, 502)]
    public void Reply_maps_the_socks5_outcome_to_a_status(ReplyCode code, bool timedOut, int status)
    {
        var engine = new HttpConnectServerEngine();
        Feed(engine, Connect);
        var writer = new ArrayBufferWriter<byte>();
        ServerEvent e = engine.Reply(code, timedOut, writer);
        Assert.Equal(status == 200 ? ServerEvent.Established : ServerEvent.MustClose, e);
        Assert.Equal(Response(status), Encoding.ASCII.GetString(writer.WrittenSpan));
        Assert.Equal(status, engine.StatusCode);
        Assert.Equal(status == 200 ? HandshakeFailure.None : HandshakeFailure.RequestRejected, engine.Failure);
    }

    [Theory]
    [InlineData(false, Connect)]
    [InlineData(true, ConnectWithCredentials)]
    public void Every_split_gives_the_same_request_and_leaves_pipelined_data_unconsumed(bool requireCredentials, string head)
    {
        byte[] input = Ascii(head + "GET / HTTP/1.1");
        for (int chunk = 1; chunk <= input.Length; chunk++)
        {
            var engine = new HttpConnectServerEngine(requireCredentials);
            string? seen = null;
            var (events, output, rest) = ServerEngineFeeder.Run(input, chunk, engine.Process, (e, writer) =>
            {
                if (e == ServerEvent.CredentialsReceived)
                {
                    seen = Encoding.ASCII.GetString(engine.UserName) + ":" + Encoding.ASCII.GetString(engine.Password);
                    return engine.AcceptCredentials(true, writer);
                }

                return engine.Reply(ReplyCode.Succeeded, writer);
            });
            ServerEvent[] expected = requireCredentials
                ? new[] { ServerEvent.CredentialsReceived, ServerEvent.RequestReceived, ServerEvent.Established }
                : new[] { ServerEvent.RequestReceived, ServerEvent.Established };
            Assert.Equal(expected, ServerEngineFeeder.Decisions(events));
            Assert.Equal(requireCredentials ? "user:pass" : null, seen);
            Assert.Equal(Response(200), Encoding.ASCII.GetString(output));
            Assert.Equal("GET / HTTP/1.1", Encoding.ASCII.GetString(rest));
        }
    }

    [Fact]
    public void Wrong_credentials_get_407_then_the_next_head_on_the_same_engine_gets_in()
    {
        byte[] input = Ascii(ConnectWithWrongCredentials + Connect + ConnectWithCredentials + "tunnel");
        for (int chunk = 1; chunk <= input.Length; chunk += chunk < 8 ? 1 : 37)
        {
            var engine = new HttpConnectServerEngine(requireCredentials: true);
            var seen = new List<string>();
            var (events, output, rest) = ServerEngineFeeder.Run(input, chunk, engine.Process, (e, writer) =>
            {
                if (e == ServerEvent.CredentialsReceived)
                {
                    string password = Encoding.ASCII.GetString(engine.Password);
                    seen.Add(password);
                    return engine.AcceptCredentials(password == "pass", writer);
                }

                return engine.Reply(ReplyCode.Succeeded, writer);
            });

            // The wrong password is refused by the host, the head without credentials by the engine itself.
            Assert.Equal(new[] { "wrong", "pass" }, seen);
            Assert.Equal(new[] { ServerEvent.CredentialsReceived, ServerEvent.CredentialsReceived, ServerEvent.RequestReceived, ServerEvent.Established }, ServerEngineFeeder.Decisions(events));
            Assert.Equal(Response(407) + Response(407) + Response(200), Encoding.ASCII.GetString(output));
            Assert.Equal("tunnel", Encoding.ASCII.GetString(rest));
            Assert.Equal(HandshakeFailure.None, engine.Failure);
        }
    }

    [Fact]
    public void The_407_names_the_realm()
    {
        var engine = new HttpConnectServerEngine(requireCredentials: true, realm: "corp");
        var (e, consumed, output) = Feed(engine, Connect);
        Assert.Equal(ServerEvent.NeedMoreData, e);
        Assert.Equal(Connect.Length, consumed);
        Assert.StartsWith("HTTP/1.1 407 ", output);
        Assert.Contains("Proxy-Authenticate: Basic realm=\"corp\"\r\n", output);
        Assert.Equal(407, engine.StatusCode);
        Assert.Equal(HandshakeFailure.AuthenticationFailed, engine.Failure);
        Assert.Equal(ServerEngineState.AwaitingRequest, engine.State);
    }

    [Theory]
    [InlineData("Basic dXNlcnBhc3M=")] // no colon
    [InlineData("Bearer abc")]
    [InlineData("Basic ###")]
    [InlineData("")]
    public void Credentials_that_are_not_Basic_get_407_from_the_engine(string value)
    {
        var engine = new HttpConnectServerEngine(requireCredentials: true);
        var (e, _, output) = Feed(engine, $"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nProxy-Authorization: {value}\r\n\r\n");
        Assert.Equal(ServerEvent.NeedMoreData, e);
        Assert.Equal(Response(407), output);
    }

    [Fact]
    public void Client_that_leaves_after_a_407_failed_to_authenticate()
    {
        var engine = new HttpConnectServerEngine(requireCredentials: true);
        Feed(engine, Connect);
        var (e, _, output) = Feed(engine, "CONNECT exa", isFinalBlock: true);
        Assert.Equal(ServerEvent.MustClose, e);
        Assert.Equal("", output);
        Assert.Equal(HandshakeFailure.AuthenticationFailed, engine.Failure);
    }

    [Fact]
    public void Head_cut_short_by_the_client_fails_as_closed_without_a_word()
    {
        for (int length = 0; length < Connect.Length; length++)
        {
            var engine = new HttpConnectServerEngine();
            var (e, consumed, output) = Feed(engine, Connect.Substring(0, length), isFinalBlock: true);
            Assert.Equal(ServerEvent.MustClose, e);
            Assert.Equal(0, consumed);
            Assert.Equal("", output);
            Assert.Equal(HandshakeFailure.ConnectionClosed, engine.Failure);
        }
    }

    [Theory]
    [InlineData("CONNECT example.com HTTP/1.1\r\nHost: example.com\r\n\r\n", 400, HandshakeFailure.MalformedMessage, ParseError.InvalidRequestTarget)]
    [InlineData("CONNECT  example.com:443 HTTP/1.1\r\n\r\n", 400, HandshakeFailure.MalformedMessage, ParseError.InvalidRequestLine)]
    [InlineData("CONNECT example.com:443 HTTP/1.1\r\n\r\n", 400, HandshakeFailure.MalformedMessage, ParseError.InvalidHeader)]
    [InlineData("CONNECT example.com:443 HTTP/2.0\r\n\r\n", 505, HandshakeFailure.MalformedMessage, ParseError.UnsupportedVersion)]
    [InlineData("GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n", 405, HandshakeFailure.CommandNotSupported, ParseError.None)]
    public void Every_error_gets_its_status_and_must_close(string head, int status, HandshakeFailure failure, ParseError error)
    {
        var engine = new HttpConnectServerEngine();
        var (e, consumed, output) = Feed(engine, head);
        Assert.Equal(ServerEvent.MustClose, e);
        Assert.Equal(0, consumed);
        Assert.Equal(Response(status), output);
        Assert.Equal(status, engine.StatusCode);
        Assert.Equal(failure, engine.Failure);
        Assert.Equal(error, engine.ParseError);
        Assert.Equal(ServerEngineState.Closed, engine.State);
    }

    [Fact]
    public void The_405_allows_CONNECT()
    {
        var engine = new HttpConnectServerEngine();
        Assert.Contains("Allow: CONNECT\r\n", Feed(engine, "GET / HTTP/1.1\r\nHost: a\r\n\r\n").Output);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Head_over_the_limit_gets_431(bool endsAfterTheLimit)
    {
        var engine = new HttpConnectServerEngine(maxHeadLength: 64);
        Assert.Equal(64, engine.MaxMessageLength);
        string head = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nX-Padding: " + new string('a', 40);
        var (e, consumed, output) = Feed(engine, endsAfterTheLimit ? head + "\r\n\r\n" : head.Substring(0, 64));
        Assert.Equal(ServerEvent.MustClose, e);
        Assert.Equal(0, consumed);
        Assert.Equal(Response(431), output);
        Assert.Equal(HandshakeFailure.MessageTooLong, engine.Failure);
        Assert.Equal(ParseError.HeadTooLarge, engine.ParseError);
    }

    [Fact]
    public void Host_misuse_throws()
    {
        var engine = new HttpConnectServerEngine();
        var writer = new ArrayBufferWriter<byte>();
        Assert.Throws<InvalidOperationException>(() => engine.Reply(ReplyCode.Succeeded, writer));
        Assert.Throws<InvalidOperationException>(() => engine.Destination.Port);
        Assert.Throws<InvalidOperationException>(() => engine.AcceptCredentials(true, writer));
        Assert.Throws<InvalidOperationException>(() => engine.UserName.Length);
        Feed(engine, Connect);
        Assert.Throws<InvalidOperationException>(() => engine.Password.Length);
        Assert.Throws<InvalidOperationException>(() => engine.Process(Ascii(Connect), writer, out _));
        engine.Reply(ReplyCode.Succeeded, writer);
        Assert.Throws<InvalidOperationException>(() => engine.Process(Ascii("x"), writer, out _));
        Assert.Throws<ArgumentException>(() => new HttpConnectServerEngine(realm: "caf\u00e9"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpConnectServerEngine(maxHeadLength: 0));
    }

    [Fact]
    public void Reset_makes_a_used_engine_new()
    {
        var engine = new HttpConnectServerEngine(requireCredentials: true);
        Feed(engine, Connect); // a 407
        engine.Reset();
        Assert.Equal(HandshakeFailure.None, engine.Failure);
        Assert.Equal(0, engine.StatusCode);
        Assert.Equal(ServerEvent.CredentialsReceived, Feed(engine, ConnectWithCredentials).Event);
        Assert.Equal("user", Encoding.ASCII.GetString(engine.UserName));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Handshake_allocates_nothing_in_steady_state(bool requireCredentials)
    {
        var engine = new HttpConnectServerEngine(requireCredentials);
        byte[] input = Ascii(requireCredentials ? ConnectWithWrongCredentials + ConnectWithCredentials : Connect);
        var output = new ArrayBufferWriter<byte>(512);
        Assert.Equal(0, ServerEngineFeeder.AllocatedInSteadyState(() => Handshake(engine, input, output)));
    }

    // With credentials: a wrong password (407), then the right one, as one segment.
    private static void Handshake(HttpConnectServerEngine engine, byte[] input, ArrayBufferWriter<byte> output)
    {
        engine.Reset();
        output.Clear();
        ServerEvent e = engine.Process(input, output, out int consumed);
        while (e == ServerEvent.CredentialsReceived)
        {
            e = engine.AcceptCredentials(engine.Password.SequenceEqual("pass"u8), output);
            if (e == ServerEvent.NeedMoreData)
            {
                e = engine.Process(input.AsSpan(consumed), output, out int more);
                consumed += more;
            }
        }

        Assert.True(e == ServerEvent.RequestReceived && consumed == input.Length && engine.Destination.Port == 443);
        Assert.True(engine.Reply(ReplyCode.Succeeded, output) == ServerEvent.Established);
    }
}
