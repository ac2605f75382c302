using System.Buffers;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Fuzz;

/// <summary>
/// Drives an engine over the peer's bytes twice, all at once and in random chunks (the first input byte seeds the
/// chunking), and checks both runs end the same way. Within a run: no consumed beyond the input, an event other than
/// NeedMoreData/MustClose consumed something, NeedMoreData never while a whole message is buffered or the peer is gone.
/// </summary>
internal static class EngineDrivers
{
    public static void Server(byte[] data) => Compare(data, RunServer);

    public static void Client(byte[] data) => Compare(data, RunClient);

    public static void Socks4Server(byte[] data) => Compare(data, RunSocks4Server);

    public static void HttpServer(byte[] data) => Compare(data, RunHttpServer);

    private static void Compare(byte[] data, Func<byte[], Random?, string> run)
    {
        if (data.Length == 0)
            return;
        var whole = run(data, null);
        var chunked = run(data, new Random(data[0]));
        if (whole != chunked)
            PropertyViolation.Throw("whole and chunked runs differ:\n  " + whole + "\n  " + chunked);
    }

    private static string RunServer(byte[] data, Random? chunking)
    {
        var options = new Socks5ServerEngineOptions();
        options.Methods.Add(AuthenticationMethod.UsernamePassword);
        var engine = new Socks5ServerEngine(options);
        var output = new ArrayBufferWriter<byte>();
        var feed = new Feed(data, chunking);
        while (true)
        {
            var input = feed.Pending;
            var ev = engine.Process(input, output, out var consumed, feed.IsFinal);
            feed.Consume(consumed, ev is not (ServerEvent.NeedMoreData or ServerEvent.MustClose), engine.MaxMessageLength, ev == ServerEvent.NeedMoreData);
            // The decisions a host makes, taken from the input so the fuzzer reaches both answers.
            if (ev == ServerEvent.CredentialsReceived)
                ev = engine.AcceptCredentials(engine.UserName.Length % 2 == 0, output);
            if (ev == ServerEvent.RequestReceived)
                ev = engine.Reply(engine.Request.Destination.Port % 3 == 0 ? ReplyCode.ConnectionRefused : ReplyCode.Succeeded, Loopback, output);
            if (ev == ServerEvent.SecondReplyRequired)
                ev = engine.Reply(ReplyCode.Succeeded, Loopback, output);
            if (ev is ServerEvent.Established or ServerEvent.MustClose)
                return $"{ev} {engine.State} {engine.Failure} {engine.ParseError} {engine.ReplyCode} consumed={feed.Consumed} out={Convert.ToHexString(output.WrittenSpan)}";
            feed.MoreIfNeeded();
        }
    }

    // Credentials required when the seed byte is odd, so both paths are reached.
    private static string RunSocks4Server(byte[] data, Random? chunking)
    {
        var engine = new Socks4ServerEngine(requireCredentials: (data[0] & 1) != 0);
        var output = new ArrayBufferWriter<byte>();
        var feed = new Feed(data, chunking);
        while (true)
        {
            var ev = engine.Process(feed.Pending, output, out var consumed, feed.IsFinal);
            feed.Consume(consumed, ev is not (ServerEvent.NeedMoreData or ServerEvent.MustClose), engine.MaxMessageLength, ev == ServerEvent.NeedMoreData);
            if (ev == ServerEvent.CredentialsReceived)
                ev = engine.AcceptCredentials(engine.UserName.Length % 2 == 0 && engine.Password.IsEmpty, output);
            if (ev == ServerEvent.RequestReceived)
                ev = engine.Reply(engine.Destination.Port % 3 == 0 ? ReplyCode.ConnectionRefused : ReplyCode.Succeeded, Loopback, output);
            if (ev is ServerEvent.Established or ServerEvent.MustClose)
                return $"{ev} {engine.State} {engine.Failure} {engine.ParseError} {engine.ReplyCode} consumed={feed.Consumed} out={Convert.ToHexString(output.WrittenSpan)}";
            feed.MoreIfNeeded();
        }
    }

    // Credentials required when the seed byte is odd; the host accepts a password of even length, so 407 and retry are reached.
    private static string RunHttpServer(byte[] data, Random? chunking)
    {
        var engine = new HttpConnectServerEngine(requireCredentials: (data[0] & 1) != 0, maxHeadLength: 1024);
        var output = new ArrayBufferWriter<byte>();
        var feed = new Feed(data, chunking);
        while (true)
        {
            var ev = engine.Process(feed.Pending, output, out var consumed, feed.IsFinal);
            feed.Consume(consumed, ev is not (ServerEvent.NeedMoreData or ServerEvent.MustClose), engine.MaxMessageLength, ev == ServerEvent.NeedMoreData);
            while (ev == ServerEvent.CredentialsReceived)
            {
                ev = engine.AcceptCredentials(engine.Password.Length % 2 == 0 && engine.UserName.IndexOf((byte)':') < 0, output);
                if (ev == ServerEvent.NeedMoreData && !feed.Pending.IsEmpty)
                {
                    // The 407 sent the engine back to reading: what it holds may be the next head already.
                    ev = engine.Process(feed.Pending, output, out consumed, feed.IsFinal);
                    feed.Consume(consumed, ev is not (ServerEvent.NeedMoreData or ServerEvent.MustClose), engine.MaxMessageLength, ev == ServerEvent.NeedMoreData);
                }
            }

            if (ev == ServerEvent.RequestReceived)
                ev = engine.Reply(engine.Destination.Port % 3 == 0 ? ReplyCode.ConnectionRefused : ReplyCode.Succeeded, engine.Destination.Port % 5 == 0, output);
            if (ev is ServerEvent.Established or ServerEvent.MustClose)
                return $"{ev} {engine.State} {engine.Failure} {engine.ParseError} {engine.StatusCode} consumed={feed.Consumed} out={Convert.ToHexString(output.WrittenSpan)}";
            feed.MoreIfNeeded();
        }
    }

    private static string RunClient(byte[] data, Random? chunking)
    {
        Span<byte> host = stackalloc byte[Socks5EndPoint.MaxEncodedLength];
        var command = (data[0] & 0x80) != 0 ? Command.Bind : Command.Connect;
        var engine = new Socks5ClientEngine(command, Socks5EndPoint.FromHost("example.com", 80, host),
            [new UsernamePasswordClientAuthenticator("user", "pass")]);
        var output = new ArrayBufferWriter<byte>();
        var ev = engine.Start(output);
        var feed = new Feed(data, chunking);
        while (ev is not (ClientEvent.Established or ClientEvent.MustClose))
        {
            ev = engine.Process(feed.Pending, output, out var consumed, feed.IsFinal);
            feed.Consume(consumed, ev is not (ClientEvent.NeedMoreData or ClientEvent.MustClose), engine.MaxMessageLength, ev == ClientEvent.NeedMoreData);
            feed.MoreIfNeeded();
        }

        return $"{ev} {engine.State} {engine.Failure} {engine.ParseError} {engine.ReplyCode} consumed={feed.Consumed} out={Convert.ToHexString(output.WrittenSpan)}";
    }

    private static byte[] LoopbackBytes { get; } = [127, 0, 0, 1];

    private static Socks5EndPoint Loopback => new(AddressType.IPv4, LoopbackBytes, 1080);

    /// <summary>The bytes the peer has sent so far (data[1..]), delivered whole or in chunks.</summary>
    private sealed class Feed(byte[] data, Random? chunking)
    {
        private int _delivered = chunking is null ? data.Length : 1;
        private bool _wantsMore;
        private int _calls;

        public int Consumed { get; private set; } = 1;

        public ReadOnlySpan<byte> Pending => data.AsSpan(Consumed, _delivered - Consumed);

        public bool IsFinal => _delivered == data.Length;

        public void Consume(int consumed, bool mustProgress, int maxMessageLength, bool needsMore)
        {
            var pending = _delivered - Consumed;
            if (consumed < 0 || consumed > pending)
                PropertyViolation.Throw($"consumed {consumed} of {pending}");
            if (mustProgress && consumed == 0)
                PropertyViolation.Throw("an event without progress");
            if (needsMore && IsFinal)
                PropertyViolation.Throw("NeedMoreData after the final block");
            if (needsMore && pending - consumed >= maxMessageLength)
                PropertyViolation.Throw($"stall: NeedMoreData with {pending - consumed} bytes buffered (max message {maxMessageLength})");
            if (++_calls > 4 * data.Length + 16)
                PropertyViolation.Throw("no end after " + _calls + " calls");
            Consumed += consumed;
            _wantsMore = needsMore;
        }

        public void MoreIfNeeded()
        {
            if (_wantsMore)
                _delivered = Math.Min(data.Length, _delivered + (chunking is null ? data.Length : chunking.Next(1, 8)));
        }
    }
}
