using System;
using System.Buffers;
using BenchmarkDotNet.Attributes;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Benchmarks;

/// <summary>
/// The server side of one whole handshake per protocol the one port serves, each on a reused engine (Reset) fed the
/// client's bytes as one segment: SOCKS5 (greeting and CONNECT by name, for comparison), SOCKS4a CONNECT by name, and
/// HTTP CONNECT without and with Proxy-Authorization (Basic, checked by the host: here, accepted).
/// </summary>
[MemoryDiagnoser]
public class ProxyServerEngineBenchmarks
{
    // Greeting (no authentication), then CONNECT www.example.com:443.
    private static readonly byte[] Socks5Input =
    {
        0x05, 0x01, 0x00,
        0x05, 0x01, 0x00, 0x03, 15, (byte)'w', (byte)'w', (byte)'w', (byte)'.', (byte)'e', (byte)'x', (byte)'a', (byte)'m',
        (byte)'p', (byte)'l', (byte)'e', (byte)'.', (byte)'c', (byte)'o', (byte)'m', 0x01, 0xbb,
    };

    // SOCKS4a CONNECT www.example.com:443, USERID "username".
    private static readonly byte[] Socks4aInput = BuildSocks4a();

    private static readonly byte[] HttpInput = "CONNECT www.example.com:443 HTTP/1.1\r\nHost: www.example.com:443\r\n\r\n"u8.ToArray();

    private static readonly byte[] HttpAuthorizationInput =
        "CONNECT www.example.com:443 HTTP/1.1\r\nHost: www.example.com:443\r\nProxy-Authorization: Basic dXNlcm5hbWU6cGFzc3dvcmQ=\r\n\r\n"u8.ToArray();

    private readonly byte[] _bound = new byte[4];
    private Socks5ServerEngine _socks5 = null!;
    private Socks4ServerEngine _socks4 = null!;
    private HttpConnectServerEngine _http = null!;
    private HttpConnectServerEngine _httpAuthorization = null!;
    private ArrayBufferWriter<byte> _output = null!;

    [GlobalSetup]
    public void Setup()
    {
        _socks5 = new Socks5ServerEngine(new Socks5ServerEngineOptions());
        _socks4 = new Socks4ServerEngine();
        _http = new HttpConnectServerEngine();
        _httpAuthorization = new HttpConnectServerEngine(requireCredentials: true);
        _output = new ArrayBufferWriter<byte>(512);
    }

    [Benchmark(Baseline = true)]
    public int Socks5Connect()
    {
        _socks5.Reset();
        _output.Clear();
        _socks5.Process(Socks5Input, _output, out int consumed);
        int port = _socks5.Request.Destination.Port;
        return (int)_socks5.Reply(ReplyCode.Succeeded, new Socks5EndPoint(AddressType.IPv4, _bound, 0), _output) + port + consumed;
    }

    [Benchmark]
    public int Socks4aConnect()
    {
        _socks4.Reset();
        _output.Clear();
        _socks4.Process(Socks4aInput, _output, out int consumed);
        int port = _socks4.Destination.Port;
        return (int)_socks4.Reply(ReplyCode.Succeeded, _output) + port + consumed;
    }

    [Benchmark]
    public int HttpConnect()
    {
        _http.Reset();
        _output.Clear();
        _http.Process(HttpInput, _output, out int consumed);
        int port = _http.Destination.Port;
        return (int)_http.Reply(ReplyCode.Succeeded, _output) + port + consumed;
    }

    [Benchmark]
    public int HttpConnect_ProxyAuthorization()
    {
        _httpAuthorization.Reset();
        _output.Clear();
        _httpAuthorization.Process(HttpAuthorizationInput, _output, out int consumed);
        int length = _httpAuthorization.UserName.Length + _httpAuthorization.Password.Length;
        _httpAuthorization.AcceptCredentials(true, _output);
        int port = _httpAuthorization.Destination.Port;
        return (int)_httpAuthorization.Reply(ReplyCode.Succeeded, _output) + port + consumed + length;
    }

    private static byte[] BuildSocks4a()
    {
        var writer = new ArrayBufferWriter<byte>();
        Socks4Request.Write(writer, Command.Connect, new Socks5EndPoint(AddressType.DomainName, "www.example.com"u8, 443), "username"u8);
        return writer.WrittenSpan.ToArray();
    }
}
