using System;
using System.Buffers;
using BenchmarkDotNet.Attributes;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Benchmarks;

/// <summary>
/// One whole no-authentication CONNECT handshake through both engines, back to back in memory: greeting, method
/// selection, request, reply. The engines and buffers are reused (Reset), as a server that pools them would.
/// </summary>
[MemoryDiagnoser]
public class EngineBenchmarks
{
    private readonly byte[] _bound = new byte[4];
    private Socks5ServerEngine _server = null!;
    private Socks5ClientEngine _clientIPv4 = null!;
    private Socks5ClientEngine _clientDomain = null!;
    private ArrayBufferWriter<byte> _toServer = null!;
    private ArrayBufferWriter<byte> _toClient = null!;

    [GlobalSetup]
    public void Setup()
    {
        _server = new Socks5ServerEngine(new Socks5ServerEngineOptions());
        _clientIPv4 = new Socks5ClientEngine(Command.Connect, new Socks5EndPoint(AddressType.IPv4, new byte[] { 127, 0, 0, 1 }, 8000));
        _clientDomain = new Socks5ClientEngine(Command.Connect, new Socks5EndPoint(AddressType.DomainName, "www.example.com"u8, 443));
        _toServer = new ArrayBufferWriter<byte>(512);
        _toClient = new ArrayBufferWriter<byte>(512);
    }

    [Benchmark]
    public int ConnectHandshake_IPv4() => Handshake(_clientIPv4);

    [Benchmark]
    public int ConnectHandshake_DomainName() => Handshake(_clientDomain);

    private int Handshake(Socks5ClientEngine client)
    {
        client.Reset();
        _server.Reset();
        _toServer.Clear();
        _toClient.Clear();

        client.Start(_toServer);
        _server.Process(_toServer.WrittenSpan, _toClient, out _);
        _toServer.Clear();
        client.Process(_toClient.WrittenSpan, _toServer, out _);
        _toClient.Clear();
        _server.Process(_toServer.WrittenSpan, _toClient, out _);
        int port = _server.Request.Destination.Port;
        _server.Reply(ReplyCode.Succeeded, new Socks5EndPoint(AddressType.IPv4, _bound, 0), _toClient);
        return (int)client.Process(_toClient.WrittenSpan, _toServer, out _) + port;
    }
}
