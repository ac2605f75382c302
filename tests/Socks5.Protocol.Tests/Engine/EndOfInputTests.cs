using System.Buffers;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Engine;

/// <summary>
/// The engines told that input ended (<c>isFinalBlock</c>) and holding their own size limit: a handshake cut anywhere
/// fails with <see cref="HandshakeFailure.ConnectionClosed"/> and writes nothing more, a complete one is untouched, and a
/// stage that never completes a message stops at <c>MaxMessageLength</c>.
/// </summary>
public class EndOfInputTests
{
    private static readonly Transcript[] All =
    {
        Transcripts.NoAuthentication(Command.Connect, Transcripts.LongHost),
        Transcripts.NoAuthentication(Command.Bind, "localhost"),
        Transcripts.NoAuthentication(Command.UdpAssociate, "127.0.0.1"),
        Transcripts.UsernamePassword(Command.Connect, "localhost"),
        Transcripts.UsernamePassword(Command.Bind, Transcripts.LongHost),
        Transcripts.Gssapi(1, Command.Connect, "localhost"),
        Transcripts.Gssapi(2, Command.Bind, "localhost"),
        Transcripts.Gssapi(3, Command.Connect, "localhost"),
        Transcripts.Gssapi(4, Command.Bind, "localhost"),
    };

    public static TheoryData<string> Handshakes()
    {
        var data = new TheoryData<string>();
        foreach (Transcript t in All)
        {
            data.Add(t.ToString());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Handshakes))]
    public void Every_strict_prefix_then_end_of_input_is_connection_closed_for_the_server(string handshake)
    {
        Transcript t = Find(handshake);
        for (int n = 0; n < t.FromClient.Length; n++)
        {
            byte[] prefix = t.FromClient.AsSpan(0, n).ToArray();

            // Told at once: the prefix is all there will be.
            Socks5ServerEngine atOnce = t.CreateServer(out _);
            var atOnceOutput = new ArrayBufferWriter<byte>();
            Assert.Equal(ServerEvent.MustClose, Serve(atOnce, prefix, isFinalBlock: true, atOnceOutput, out _));
            Assert.Equal(HandshakeFailure.ConnectionClosed, atOnce.Failure);
            Assert.Equal(ServerEngineState.Closed, atOnce.State);

            // Told afterwards, with the bytes still unconsumed: the same, and the end adds nothing to the output.
            Socks5ServerEngine later = t.CreateServer(out _);
            var laterOutput = new ArrayBufferWriter<byte>();
            Assert.Equal(ServerEvent.NeedMoreData, Serve(later, prefix, isFinalBlock: false, laterOutput, out int consumed));
            ServerEngineState stage = later.State;
            int written = laterOutput.WrittenCount;
            Assert.Equal(ServerEvent.MustClose, later.Process(prefix.AsSpan(consumed), laterOutput, out int used, isFinalBlock: true));
            Assert.True(later.Failure == HandshakeFailure.ConnectionClosed, $"{t}, {n} bytes, in {stage}: {later.Failure}");
            Assert.Equal(0, used);
            Assert.Equal(written, laterOutput.WrittenCount);
            Assert.Equal(Hex.Format(laterOutput.WrittenSpan), Hex.Format(atOnceOutput.WrittenSpan));
        }
    }

    [Theory]
    [MemberData(nameof(Handshakes))]
    public void Every_strict_prefix_then_end_of_input_is_connection_closed_for_the_client(string handshake)
    {
        Transcript t = Find(handshake);
        for (int n = 0; n < t.FromServer.Length; n++)
        {
            byte[] prefix = t.FromServer.AsSpan(0, n).ToArray();

            Socks5ClientEngine atOnce = t.CreateClient(out _);
            var atOnceOutput = new ArrayBufferWriter<byte>();
            atOnce.Start(atOnceOutput);
            Assert.Equal(ClientEvent.MustClose, Connect(atOnce, prefix, isFinalBlock: true, atOnceOutput, out _));
            Assert.Equal(HandshakeFailure.ConnectionClosed, atOnce.Failure);
            Assert.Equal(ClientEngineState.Closed, atOnce.State);

            Socks5ClientEngine later = t.CreateClient(out _);
            var laterOutput = new ArrayBufferWriter<byte>();
            later.Start(laterOutput);
            Assert.Equal(ClientEvent.NeedMoreData, Connect(later, prefix, isFinalBlock: false, laterOutput, out int consumed));
            ClientEngineState stage = later.State;
            int written = laterOutput.WrittenCount;
            Assert.Equal(ClientEvent.MustClose, later.Process(prefix.AsSpan(consumed), laterOutput, out int used, isFinalBlock: true));
            Assert.True(later.Failure == HandshakeFailure.ConnectionClosed, $"{t}, {n} bytes, in {stage}: {later.Failure}");
            Assert.Equal(stage, later.FailedIn);
            Assert.Equal(0, used);
            Assert.Equal(written, laterOutput.WrittenCount);
            Assert.Equal(Hex.Format(laterOutput.WrittenSpan), Hex.Format(atOnceOutput.WrittenSpan));
        }
    }

    [Theory]
    [MemberData(nameof(Handshakes))]
    public void End_of_input_after_a_complete_handshake_changes_nothing(string handshake)
    {
        Transcript t = Find(handshake);
        byte[] fromClient = t.FromClient.Concat(Transcripts.Up).ToArray();
        byte[] fromServer = t.FromServer.Concat(Transcripts.Down).ToArray();
        var results = new List<string>();
        foreach (bool isFinalBlock in new[] { false, true })
        {
            Socks5ServerEngine server = t.CreateServer(out _);
            var serverOutput = new ArrayBufferWriter<byte>();
            ServerEvent s = Serve(server, fromClient, isFinalBlock, serverOutput, out int serverConsumed);

            Socks5ClientEngine client = t.CreateClient(out _);
            var clientOutput = new ArrayBufferWriter<byte>();
            client.Start(clientOutput);
            ClientEvent c = Connect(client, fromServer, isFinalBlock, clientOutput, out int clientConsumed);

            Assert.Equal(ServerEvent.Established, s);
            Assert.Equal(ClientEvent.Established, c);
            Assert.Equal(HandshakeFailure.None, server.Failure);
            Assert.Equal(HandshakeFailure.None, client.Failure);
            results.Add($"{Hex.Format(serverOutput.WrittenSpan)} {serverConsumed} {Hex.Format(clientOutput.WrittenSpan)} {clientConsumed} {client.BoundAddress.ToString()}");
        }

        Assert.Equal(results[0], results[1]);
        Assert.Equal($"{Hex.Format(t.FromServer)} {t.FromClient.Length} {Hex.Format(t.FromClient)} {t.FromServer.Length} {EngineHarness.BoundEndPoint}", results[0]);
    }

    [Theory]
    [InlineData(Command.Connect, "")]
    [InlineData(Command.Bind, "05 00 00 01 7f 00 00 02 10 10")] // the cut is in BIND's second reply
    public void A_reply_cut_short_after_REP_keeps_the_code(Command command, string before)
    {
        byte[] reply = Hex.Parse("05 07 00 01 7f 00 00 01 00 50");
        for (int n = 0; n < reply.Length; n++)
        {
            Socks5ClientEngine engine = NewClient(command);
            var output = new ArrayBufferWriter<byte>();
            engine.Start(output);
            byte[] input = Hex.Parse("05 00 " + before).Concat(reply.Take(n)).ToArray();
            ClientEvent e = Connect(engine, input, isFinalBlock: true, output, out _);

            Assert.Equal(ClientEvent.MustClose, e);
            Assert.Equal(HandshakeFailure.ConnectionClosed, engine.Failure);
            Assert.Equal(command == Command.Bind ? ClientEngineState.AwaitingSecondReply : ClientEngineState.AwaitingReply, engine.FailedIn);
            // Before REP arrived: what was known (no reply yet, or BIND's first reply, both success).
            Assert.Equal(n >= 2 ? ReplyCode.CommandNotSupported : ReplyCode.Succeeded, engine.ReplyCode);
        }
    }

    [Fact]
    public void A_reply_cut_short_keeps_an_unassigned_code_raw()
    {
        Socks5ClientEngine engine = NewClient(Command.Connect);
        var output = new ArrayBufferWriter<byte>();
        engine.Start(output);
        Assert.Equal(ClientEvent.MustClose, engine.Process(Hex.Parse("05 00  05 f3 00"), output, out int consumed, isFinalBlock: true));
        Assert.Equal(2, consumed);
        Assert.Equal((ReplyCode)0xF3, engine.ReplyCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Each_engine_stops_an_authenticator_that_never_completes_at_its_limit(bool server)
    {
        var output = new ArrayBufferWriter<byte>();
        Func<byte[], (string Event, int Consumed)> process;
        Func<int> limit;
        Func<HandshakeFailure> failure;
        if (server)
        {
            var options = new Socks5ServerEngineOptions { AuthenticatorFactory = _ => new StalledAuthenticator() };
            options.Methods.Clear();
            options.Methods.Add(StalledAuthenticator.PrivateMethod);
            var engine = new Socks5ServerEngine(options);
            process = input => (engine.Process(input, output, out int used).ToString(), used);
            limit = () => engine.MaxMessageLength;
            failure = () => engine.Failure;
            Assert.Equal(("NeedMoreData", 3), process(Hex.Parse("05 01 80")));
        }
        else
        {
            var engine = new Socks5ClientEngine(Command.Connect, new Socks5EndPoint(AddressType.IPv4, new byte[4], 80), new[] { new StalledAuthenticator() }, offerNoAuthentication: false);
            engine.Start(output);
            process = input => (engine.Process(input, output, out int used).ToString(), used);
            limit = () => engine.MaxMessageLength;
            failure = () => engine.Failure;
            Assert.Equal(("NeedMoreData", 2), process(Hex.Parse("05 80")));
        }

        // Authenticating: the method parses its own messages, so only the engine's limit bounds what it waits for.
        int max = limit();
        Assert.Equal(GssapiMessage.HeaderLength + GssapiMessage.MaxTokenLength, max);
        Assert.Equal(("NeedMoreData", 0), process(new byte[max - 1]));
        Assert.Equal(("MustClose", 0), process(new byte[max]));
        Assert.Equal(HandshakeFailure.MessageTooLong, failure());
    }

    [Fact]
    public void The_client_engine_limit_is_the_largest_message_of_each_stage()
    {
        Socks5ClientEngine engine = NewClient(Command.Bind);
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(0, engine.MaxMessageLength);
        engine.Start(output);
        Assert.Equal(Socks5MethodSelection.Length, engine.MaxMessageLength);
        engine.Process(Hex.Parse("05 00"), output, out _);
        Assert.Equal(Socks5Reply.MaxLength, engine.MaxMessageLength);
        engine.Process(Hex.Parse("05 00 00 01 7f 00 00 01 10 10"), output, out _);
        Assert.Equal(Socks5Reply.MaxLength, engine.MaxMessageLength);
        engine.Process(Hex.Parse("05 00 00 01 7f 00 00 01 10 11"), output, out _);
        Assert.Equal(ClientEngineState.Established, engine.State);
        Assert.Equal(0, engine.MaxMessageLength);
    }

    private static Transcript Find(string handshake) => All.Single(t => t.ToString() == handshake);

    private static Socks5ClientEngine NewClient(Command command) =>
        new(command, new Socks5EndPoint(AddressType.IPv4, new byte[] { 127, 0, 0, 1 }, 8000));

    /// <summary>Runs a server engine over <paramref name="input"/>, answering every decision with success, to its first other event.</summary>
    private static ServerEvent Serve(Socks5ServerEngine engine, byte[] input, bool isFinalBlock, ArrayBufferWriter<byte> output, out int consumed)
    {
        byte[] bound = new byte[Socks5EndPoint.MaxAddressLength];
        consumed = 0;
        while (true)
        {
            ServerEvent e = engine.Process(input.AsSpan(consumed), output, out int used, isFinalBlock);
            consumed += used;
            if (e == ServerEvent.CredentialsReceived)
            {
                e = engine.AcceptCredentials(true, output);
            }

            while (e is ServerEvent.RequestReceived or ServerEvent.SecondReplyRequired)
            {
                e = engine.Reply(ReplyCode.Succeeded, Socks5EndPoint.FromIPEndPoint(EngineHarness.BoundEndPoint, bound), output);
            }

            if (e != ServerEvent.NeedMoreData || used == 0)
            {
                return e;
            }
        }
    }

    /// <summary>Runs a started client engine over <paramref name="input"/> to its first event other than BIND's first reply.</summary>
    private static ClientEvent Connect(Socks5ClientEngine engine, byte[] input, bool isFinalBlock, ArrayBufferWriter<byte> output, out int consumed)
    {
        consumed = 0;
        while (true)
        {
            ClientEvent e = engine.Process(input.AsSpan(consumed), output, out int used, isFinalBlock);
            consumed += used;
            if (e != ClientEvent.FirstReplyReceived)
            {
                return e;
            }
        }
    }
}
