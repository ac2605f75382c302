using System.Buffers;
using System.Text;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Engine;

/// <summary>The HTTP CONNECT client engine: the request it writes, response heads cut every way, and hostile proxies.</summary>
public class HttpConnectClientEngineTests
{
    private static HttpConnectClientEngine Started(out string request, string authorization = "", int maxHeadLength = HttpConnectResponse.DefaultMaxHeadLength)
    {
        var engine = new HttpConnectClientEngine("example.com:443"u8, Encoding.ASCII.GetBytes(authorization), maxHeadLength);
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(ClientEvent.NeedMoreData, engine.Start(output));
        request = Encoding.ASCII.GetString(output.WrittenSpan);
        return engine;
    }

    [Fact]
    public void Connect_is_established_by_a_2xx_head_for_every_split_and_tunnel_bytes_stay()
    {
        byte[] response = Encoding.ASCII.GetBytes("HTTP/1.1 200 Connection established\r\nProxy-Agent: x\r\n\r\nhello");
        foreach (int[] cuts in ClientEngineDriver.Splits(response.Length))
        {
            HttpConnectClientEngine engine = Started(out string request, "Basic dTpw");
            Assert.Equal("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nProxy-Authorization: Basic dTpw\r\n\r\n", request);
            (List<ClientEvent> events, byte[] rest) = ClientEngineDriver.Feed(engine.Process, response, cuts);
            Assert.Equal(new[] { ClientEvent.Established }, events);
            Assert.Equal("hello", Encoding.ASCII.GetString(rest));
            Assert.Equal(200, engine.StatusCode);
        }
    }

    [Theory]
    [InlineData("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\nContent-Length: 0\r\n\r\n", 407, HandshakeFailure.AuthenticationFailed)]
    [InlineData("HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nnope!", 403, HandshakeFailure.RequestRejected)]
    [InlineData("HTTP/1.0 502 Bad Gateway\r\n\r\n", 502, HandshakeFailure.RequestRejected)]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\n", 100, HandshakeFailure.RequestRejected)]
    public void A_status_that_is_not_2xx_must_close_with_the_code(string response, int status, HandshakeFailure failure)
    {
        HttpConnectClientEngine engine = Started(out _);
        (List<ClientEvent> events, _) = ClientEngineDriver.Feed(engine.Process, Encoding.ASCII.GetBytes(response), []);
        Assert.Equal(new[] { ClientEvent.MustClose }, events);
        Assert.Equal(failure, engine.Failure);
        Assert.Equal(status, engine.StatusCode);
    }

    [Fact]
    public void A_head_larger_than_the_limit_is_too_long_for_every_split()
    {
        byte[] response = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nX: " + new string('a', 100) + "\r\n\r\n");
        foreach (int[] cuts in ClientEngineDriver.Splits(response.Length))
        {
            HttpConnectClientEngine engine = Started(out _, maxHeadLength: 64);
            Assert.Equal(64, engine.MaxMessageLength);
            (List<ClientEvent> events, _) = ClientEngineDriver.Feed(engine.Process, response, cuts);
            Assert.Equal(new[] { ClientEvent.MustClose }, events);
            Assert.Equal(HandshakeFailure.MessageTooLong, engine.Failure);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("HTTP/1.1 200 OK\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\n\r")]
    public void A_head_cut_off_by_the_server_is_connection_closed(string response)
    {
        HttpConnectClientEngine engine = Started(out _);
        (List<ClientEvent> events, _) = ClientEngineDriver.Feed(engine.Process, Encoding.ASCII.GetBytes(response), [], close: true);
        Assert.Equal(new[] { ClientEvent.MustClose }, events);
        Assert.Equal(HandshakeFailure.ConnectionClosed, engine.Failure);
        Assert.Equal(0, engine.StatusCode);
    }

    [Fact]
    public void A_socks_server_answering_is_malformed_at_its_first_byte()
    {
        HttpConnectClientEngine engine = Started(out _);
        Assert.Equal(ClientEvent.MustClose, engine.Process(new byte[] { 5 }, new ArrayBufferWriter<byte>(), out _));
        Assert.Equal(HandshakeFailure.MalformedMessage, engine.Failure);
        Assert.Equal(ParseError.InvalidStatusLine, engine.ParseError);
    }

    [Fact]
    public void A_whole_exchange_allocates_nothing_once_the_engine_exists()
    {
        byte[] response = Encoding.ASCII.GetBytes("HTTP/1.1 200 Connection established\r\n\r\n");
        ClientEngineDriver.AssertExchangesAllocateNothing(() => new HttpConnectClientEngine("example.com:443"u8, "Basic dTpw"u8), (engine, output) => Exchange(engine, output, response));
    }

    private static void Exchange(HttpConnectClientEngine engine, ArrayBufferWriter<byte> output, byte[] response)
    {
        engine.Start(output);
        Assert.True(engine.Process(response.AsSpan(0, 20), output, out _) == ClientEvent.NeedMoreData);
        Assert.True(engine.Process(response, output, out _) == ClientEvent.Established);
    }
}
