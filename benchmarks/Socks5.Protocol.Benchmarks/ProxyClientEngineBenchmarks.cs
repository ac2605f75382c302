using System;
using System.Buffers;
using BenchmarkDotNet.Attributes;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Benchmarks;

/// <summary>
/// The client engines beside SOCKS5, each a whole exchange on a reused engine (Reset): SOCKS4a CONNECT by name, and
/// HTTP CONNECT with Basic credentials answered by a 200 head with one field. Also the response head parser alone.
/// </summary>
[MemoryDiagnoser]
public class ProxyClientEngineBenchmarks
{
    private static readonly byte[] Socks4Reply = { 0x00, 0x5a, 0, 0, 0, 0, 0, 0 };

    private static readonly byte[] HttpResponse = "HTTP/1.1 200 Connection established\r\nProxy-Agent: bench\r\n\r\n"u8.ToArray();

    private Socks4ClientEngine _socks4a = null!;
    private HttpConnectClientEngine _http = null!;
    private ArrayBufferWriter<byte> _output = null!;

    [GlobalSetup]
    public void Setup()
    {
        _socks4a = new Socks4ClientEngine(Command.Connect, new Socks5EndPoint(AddressType.DomainName, "www.example.com"u8, 443), "username"u8);
        _http = new HttpConnectClientEngine("www.example.com:443"u8, "Basic dXNlcm5hbWU6cGFzc3dvcmQ="u8);
        _output = new ArrayBufferWriter<byte>(512);
    }

    [Benchmark]
    public int Socks4aConnect()
    {
        _socks4a.Reset();
        _output.Clear();
        _socks4a.Start(_output);
        return (int)_socks4a.Process(Socks4Reply, _output, out _) + _output.WrittenCount;
    }

    [Benchmark]
    public int HttpConnect()
    {
        _http.Reset();
        _output.Clear();
        _http.Start(_output);
        return (int)_http.Process(HttpResponse, _output, out _) + _output.WrittenCount;
    }

    [Benchmark]
    public int HttpResponse_Parse()
    {
        HttpConnectResponse.TryParse(HttpResponse, out int statusCode, out int consumed, out _);
        return statusCode + consumed;
    }
}
