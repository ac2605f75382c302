using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Pipelines;
using Socks5.Protocol.Tests.Engine;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Pipelines;

/// <summary>The handshake adapters over in-memory pipes (as a Kestrel connection or a TLS stream would give them).</summary>
public class HandshakeAdapterTests
{
    internal sealed class DuplexPipe : IDuplexPipe
    {
        public DuplexPipe(PipeReader input, PipeWriter output)
        {
            Input = input;
            Output = output;
        }

        public PipeReader Input { get; }

        public PipeWriter Output { get; }
    }

    private static (IDuplexPipe Server, IDuplexPipe Client) CreatePair()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        return (new DuplexPipe(toServer.Reader, toClient.Writer), new DuplexPipe(toClient.Reader, toServer.Writer));
    }

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token;

    [Theory]
    [InlineData(0)] // everything in one flush
    [InlineData(1)] // one byte per flush
    [InlineData(3)]
    public async Task Server_adapter_leaves_early_tunnel_data_in_the_reader(int chunk)
    {
        (IDuplexPipe server, IDuplexPipe client) = CreatePair();
        byte[] bytes = Hex.Parse("05 01 00  05 01 00 01 7f 00 00 01 1f 40").Concat(Encoding.ASCII.GetBytes("early data")).ToArray();
        Task writing = Task.Run(async () =>
        {
            int step = chunk == 0 ? bytes.Length : chunk;
            for (int i = 0; i < bytes.Length; i += step)
            {
                await client.Output.WriteAsync(bytes.AsMemory(i, Math.Min(step, bytes.Length - i)));
            }
        });

        var handshake = new Socks5ServerHandshake(server, new Socks5ServerEngine(new Socks5ServerEngineOptions()));
        Assert.Equal(ServerEvent.RequestReceived, await handshake.ReadAsync(Timeout()));
        Assert.Equal("127.0.0.1:8000", handshake.Engine.Request.Destination.ToString());
        Assert.Equal(ServerEvent.Established, await handshake.ReplyAsync(ReplyCode.Succeeded, null, Timeout()));
        await writing;
        await client.Output.CompleteAsync();

        var tunnel = new List<byte>();
        while (true)
        {
            ReadResult result = await server.Input.ReadAsync(Timeout());
            tunnel.AddRange(result.Buffer.ToArray());
            server.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        Assert.Equal("early data", Encoding.ASCII.GetString(tunnel.ToArray()));
        ReadResult answers = await client.Input.ReadAsync(Timeout());
        Assert.Equal("0500" + "05000001000000000000", Hex.Format(answers.Buffer.ToArray()));
    }

    [Fact]
    public async Task Server_adapter_reports_a_client_that_closes_mid_handshake()
    {
        (IDuplexPipe server, IDuplexPipe client) = CreatePair();
        await client.Output.WriteAsync(new byte[] { 0x05, 0x02, 0x00 });
        await client.Output.CompleteAsync();
        var handshake = new Socks5ServerHandshake(server, new Socks5ServerEngine(new Socks5ServerEngineOptions()));
        Assert.Equal(ServerEvent.MustClose, await handshake.ReadAsync(Timeout()));
        Assert.Equal(HandshakeFailure.ConnectionClosed, handshake.Engine.Failure);
    }

    [Fact]
    public async Task Client_and_server_adapters_complete_a_handshake_and_keep_server_data_after_the_reply()
    {
        (IDuplexPipe server, IDuplexPipe client) = CreatePair();
        var serverSide = Task.Run(async () =>
        {
            var handshake = new Socks5ServerHandshake(server, new Socks5ServerEngine(new Socks5ServerEngineOptions()));
            Assert.Equal(ServerEvent.RequestReceived, await handshake.ReadAsync(Timeout()));
            // The reply and the first tunnel bytes leave in one flush.
            handshake.Engine.Reply(ReplyCode.Succeeded, server.Output);
            await server.Output.WriteAsync(Encoding.ASCII.GetBytes("banner"));
        });

        var engine = new Socks5ClientEngine(Command.Connect, Socks5EndPoint.FromHost("localhost", 25, new byte[255]));
        var clientHandshake = new Socks5ClientHandshake(client, engine);
        Assert.Equal(ClientEvent.Established, await clientHandshake.RunAsync(Timeout()));
        await serverSide;
        ReadResult result = await client.Input.ReadAsync(Timeout());
        Assert.Equal("banner", Encoding.ASCII.GetString(result.Buffer.ToArray()));
    }

    [Fact]
    public async Task Client_adapter_reports_a_proxy_that_closes_before_replying()
    {
        (IDuplexPipe server, IDuplexPipe client) = CreatePair();
        await server.Output.WriteAsync(new byte[] { 0x05, 0x00, 0x05 });
        await server.Output.CompleteAsync();
        var handshake = new Socks5ClientHandshake(client, new Socks5ClientEngine(Command.Connect, new Socks5EndPoint(AddressType.IPv4, new byte[4], 1)));
        Assert.Equal(ClientEvent.MustClose, await handshake.RunAsync(Timeout()));
        Assert.Equal(HandshakeFailure.ConnectionClosed, handshake.Engine.Failure);
    }

    [Fact]
    public async Task Client_adapter_keeps_the_code_of_a_reply_the_proxy_cut_short()
    {
        // ss-local's answer to BIND: 05 07 00 01, then it closes. The engine is told the input ended and keeps REP.
        (IDuplexPipe server, IDuplexPipe client) = CreatePair();
        await server.Output.WriteAsync(Hex.Parse("05 00  05 07 00 01"));
        await server.Output.CompleteAsync();
        var handshake = new Socks5ClientHandshake(client, new Socks5ClientEngine(Command.Bind, new Socks5EndPoint(AddressType.IPv4, new byte[4], 0)));
        Assert.Equal(ClientEvent.MustClose, await handshake.RunAsync(Timeout()));
        Assert.Equal(HandshakeFailure.ConnectionClosed, handshake.Engine.Failure);
        Assert.Equal(ReplyCode.CommandNotSupported, handshake.Engine.ReplyCode);
    }

    [Fact]
    public async Task Server_adapter_reports_a_sub_negotiation_that_outgrows_the_engine_limit()
    {
        (IDuplexPipe server, IDuplexPipe client) = CreatePair();
        var options = new Socks5ServerEngineOptions { AuthenticatorFactory = _ => new StalledAuthenticator() };
        options.Methods.Clear();
        options.Methods.Add(StalledAuthenticator.PrivateMethod);
        var handshake = new Socks5ServerHandshake(server, new Socks5ServerEngine(options));

        // The method never sees a whole message: the engine stops at its limit instead of buffering for ever.
        byte[] flood = new byte[2 * (GssapiMessage.HeaderLength + GssapiMessage.MaxTokenLength)];
        Hex.Parse("05 01 80").CopyTo(flood, 0);
        Task writing = client.Output.WriteAsync(flood).AsTask(); // held back by the pipe's pause threshold until the reader ends
        Assert.Equal(ServerEvent.MustClose, await handshake.ReadAsync(Timeout()));
        Assert.Equal(HandshakeFailure.MessageTooLong, handshake.Engine.Failure);
        await server.Input.CompleteAsync();
        await writing;
    }

    [Fact]
    public async Task A_canceled_pending_read_is_an_operation_canceled_not_a_closed_connection()
    {
        (IDuplexPipe server, IDuplexPipe client) = CreatePair();
        await server.Output.WriteAsync(Hex.Parse("05 00  05 00"));
        var handshake = new Socks5ClientHandshake(client, new Socks5ClientEngine(Command.Connect, new Socks5EndPoint(AddressType.IPv4, new byte[4], 1)));
        client.Input.CancelPendingRead();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await handshake.RunAsync(Timeout()));
        Assert.Equal(ClientEngineState.AwaitingReply, handshake.Engine.State);
        Assert.Equal(HandshakeFailure.None, handshake.Engine.Failure);
    }
}
