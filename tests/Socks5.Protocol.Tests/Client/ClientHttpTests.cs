using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;
using Xunit;

namespace Socks5.Protocol.Tests.Client;

/// <summary>HttpClient through the library's server, with the client plugged into SocketsHttpHandler.ConnectCallback.</summary>
public class ClientHttpTests
{
    [Fact]
    public Task Http_get_through_the_server() => Bounded.Run(async () =>
    {
        using var server = ServerFixture.Start(credentials: true);
        using var web = new TinyHttpServer(tls: false);
        using var http = new HttpClient(new SocketsHttpHandler().UseSocks5(server.Client(credentials: true)));

        string body = await http.GetStringAsync($"http://127.0.0.1:{web.Port}/hello.txt");
        Assert.Equal("hello from /hello.txt", body);
        Assert.Equal($"127.0.0.1:{web.Port}", (await server.NextReportAsync()).Destination);
    });

    [Fact]
    public Task Https_get_by_name_through_a_chain_of_two_servers() => Bounded.Run(async () =>
    {
        using var first = ServerFixture.Start(credentials: false);
        using var second = ServerFixture.Start(credentials: true);
        using var web = new TinyHttpServer(tls: true);
        var chained = new Socks5Client(new Socks5ClientOptions(second.EndPoint) { UserName = "socksuser", Password = "sockspass", Via = first.Client(false) });
        var handler = new SocketsHttpHandler().UseSocks5(chained);
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.Subject == "CN=localhost";
        using var http = new HttpClient(handler);

        string body = await http.GetStringAsync($"https://localhost:{web.Port}/secure");
        Assert.Equal("hello from /secure", body);
        Assert.Equal($"localhost:{web.Port}", (await second.NextReportAsync()).Destination);
    });

    [Fact]
    public Task A_refusal_reaches_the_caller_inside_HttpRequestException() => Bounded.Run(async () =>
    {
        using var server = ServerFixture.Start(credentials: false);
        int closedPort = Loop.ClosedPort().Port;
        using var http = new HttpClient(new SocketsHttpHandler().UseSocks5(server.Client(false)));

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync($"http://127.0.0.1:{closedPort}/"));
        var socks = Assert.IsType<Socks5Exception>(ex.InnerException);
        Assert.Equal(Socks5.Protocol.Wire.ReplyCode.ConnectionRefused, socks.ReplyCode);
    });
}

/// <summary>
/// A minimal HTTP/1.1 responder on 127.0.0.1 (optionally over TLS with a throwaway self-signed certificate): answers each
/// request with "hello from PATH" and closes.
/// </summary>
internal sealed class TinyHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2? _certificate;

    public TinyHttpServer(bool tls)
    {
        if (tls)
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
            _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        }

        _listener.Start();
        _ = Task.Run(AcceptLoopAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Dispose()
    {
        _listener.Stop();
        _certificate?.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync();
            }
            catch (Exception)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                if (_certificate is not null)
                {
                    var tls = new SslStream(stream);
                    await tls.AuthenticateAsServerAsync(_certificate);
                    stream = tls;
                }

                string head = await ReadHeadAsync(stream);
                string path = head.Split(' ')[1];
                byte[] body = Encoding.ASCII.GetBytes("hello from " + path);
                byte[] response = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(response.Concat(body).ToArray());
                await stream.FlushAsync();
            }
            catch (Exception ex) when (ex is IOException or SocketException or System.Security.Authentication.AuthenticationException)
            {
            }
        }
    }

    private static async Task<string> ReadHeadAsync(Stream stream)
    {
        var head = new StringBuilder();
        byte[] one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(one) == 1)
        {
            head.Append((char)one[0]);
        }

        return head.ToString();
    }
}
