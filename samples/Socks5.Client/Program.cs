// socks5-client: connect, get, udp, bind and resolve through a SOCKS5 proxy (connect and get also through SOCKS4/4a and
// HTTP CONNECT proxies), using only the library's public API.
//
//   dotnet run --project samples/Socks5.Client -- --proxy HOST:PORT|URI [--user NAME:PASSWORD] [--timeout SECONDS] COMMAND ...
//
// Exit codes: 0 success, 1 the proxy or the network failed (one line on stderr), 2 bad usage.
using System;
using System.Globalization;
using System.IO;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;

namespace Socks5.Client;

internal static class Program
{
    private const string Usage = """
        Usage: socks5-client --proxy HOST:PORT|URI [--user NAME:PASSWORD] [--timeout SECONDS] [--resolve-locally] COMMAND ...

        Commands:
          connect HOST PORT      copy stdin to HOST:PORT through the proxy and the answer to stdout (like nc)
          get URL                HTTP GET through the proxy (http or https); the body goes to stdout
          udp HOST PORT MESSAGE  send one datagram through a UDP association; print the reply's source and payload
          bind                   ask the proxy to listen; print its address, wait for one peer, print the peer's
                                 address, then behave like connect
          resolve NAME           ask the proxy for NAME's address (Tor's RESOLVE) and print it

        Options:
          --proxy HOST:PORT      the SOCKS5 proxy (IPv6 as [::1]:1080)
          --proxy URI            socks5://, socks5h://, socks4://, socks4a:// or http:// (CONNECT), with
                                 optional USER:PASSWORD@ (percent-encoded); socks5 and socks4 resolve names here
          --user NAME:PASSWORD   RFC 1929 credentials (offers no-auth and username/password)
          --via HOST:PORT        reach the proxy through this SOCKS5 proxy first (a chain; no credentials)
          --timeout SECONDS      connect and handshake timeout, and how long udp waits for a reply (default 10)
          --resolve-locally      resolve host names here instead of sending them to the proxy
          --help                 this text
        """;

    private static async Task<int> Main(string[] args)
    {
        Arguments parsed;
        try
        {
            parsed = Arguments.Parse(args);
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine("socks5-client: " + ex.Message);
            Console.Error.WriteLine("Try --help.");
            return 2;
        }

        if (parsed.Help)
        {
            Console.WriteLine(Usage);
            return 0;
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };

        try
        {
            Socks5Client client = parsed.CreateClient();
            return parsed.Command switch
            {
                "connect" => await ConnectAsync(client, parsed, stop.Token),
                "get" => await GetAsync(client, parsed, stop.Token),
                "udp" => await UdpAsync(client, parsed, stop.Token),
                "resolve" => await ResolveAsync(client, parsed, stop.Token),
                _ => await BindAsync(client, stop.Token),
            };
        }
        catch (Socks5Exception ex)
        {
            Console.Error.WriteLine("socks5-client: " + ex.Message);
            return 1;
        }
        catch (HttpRequestException ex) when (ex.InnerException is Socks5Exception socks)
        {
            Console.Error.WriteLine("socks5-client: " + socks.Message);
            return 1;
        }
        catch (Exception ex) when (ex is TimeoutException or NotSupportedException or HttpRequestException or IOException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            Console.Error.WriteLine("socks5-client: " + ex.Message.ReplaceLineEndings(" "));
            return 1;
        }
    }

    private static async Task<int> ConnectAsync(Socks5Client client, Arguments args, CancellationToken cancellationToken)
    {
        await using Socks5Tunnel tunnel = await client.ConnectAsync(args.Host!, args.Port, cancellationToken);
        await PumpAsync(tunnel, cancellationToken);
        return 0;
    }

    private static async Task<int> ResolveAsync(Socks5Client client, Arguments args, CancellationToken cancellationToken)
    {
        IPAddress address = await client.ResolveAsync(args.Host!, cancellationToken);
        Console.WriteLine(address);
        return 0;
    }

    private static async Task<int> GetAsync(Socks5Client client, Arguments args, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler().UseSocks5(client));
        using HttpResponseMessage response = await http.GetAsync(args.Url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await using (Stream stdout = Console.OpenStandardOutput())
        {
            await response.Content.CopyToAsync(stdout, cancellationToken);
        }

        if (!response.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"socks5-client: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            return 1;
        }

        return 0;
    }

    private static async Task<int> UdpAsync(Socks5Client client, Arguments args, CancellationToken cancellationToken)
    {
        await using Socks5UdpAssociation association = await client.AssociateUdpAsync(cancellationToken);
        await association.SendToAsync(Encoding.UTF8.GetBytes(args.Message!), EndPointOf(args.Host!, args.Port), cancellationToken);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(args.Timeout);
        byte[] buffer = new byte[65_535];
        Socks5UdpReceiveResult result;
        try
        {
            result = await association.ReceiveFromAsync(buffer, wait.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine($"socks5-client: no reply within {args.Timeout.TotalSeconds:0.###} s");
            return 1;
        }

        Console.WriteLine($"{Format(result.RemoteEndPoint)} {Encoding.UTF8.GetString(buffer, 0, result.ReceivedBytes)}");
        return 0;
    }

    private static async Task<int> BindAsync(Socks5Client client, CancellationToken cancellationToken)
    {
        await using Socks5PendingBind bind = await client.BindAsync(null, cancellationToken);
        Console.WriteLine($"listening {Format(bind.ListenAddress)}");
        await using Socks5Tunnel tunnel = await bind.AcceptAsync(cancellationToken);
        Console.WriteLine($"peer {Format(tunnel.BoundAddress)}");
        await PumpAsync(tunnel, cancellationToken);
        return 0;
    }

    // stdin to the tunnel (then a FIN), the tunnel to stdout, until both directions are done.
    private static async Task PumpAsync(Socks5Tunnel tunnel, CancellationToken cancellationToken)
    {
        Stream stdin = Console.OpenStandardInput();
        Stream stdout = Console.OpenStandardOutput();
        Task up = Task.Run(
            async () =>
            {
                await stdin.CopyToAsync(tunnel.Output, cancellationToken);
                tunnel.ShutdownWrite();
            },
            cancellationToken);
        Task down = tunnel.Input.CopyToAsync(stdout, cancellationToken);
        await down;
        await stdout.FlushAsync(cancellationToken);
        // The peer has finished; stdin may still be open (a terminal), which must not keep the program alive.
        await Task.WhenAny(up, Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken));
    }

    private static EndPoint EndPointOf(string host, int port) =>
        IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? ip) ? new IPEndPoint(ip, port) : new DnsEndPoint(host, port);

    private static string Format(EndPoint endPoint) => endPoint is DnsEndPoint dns ? $"{Printable(dns.Host)}:{dns.Port}" : endPoint.ToString()!;

    // A name the proxy sent may hold any byte: what a terminal would act on (controls such as ESC, bidi overrides and
    // other format characters, line separators) is printed as \uXXXX, and a lone surrogate comes out as U+FFFD.
    private static string Printable(string text)
    {
        var printable = new StringBuilder(text.Length);
        Span<char> units = stackalloc char[2];
        foreach (Rune rune in text.EnumerateRunes())
        {
            Span<char> encoded = units[..rune.EncodeToUtf16(units)];
            if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
            {
                foreach (char unit in encoded)
                {
                    printable.Append(CultureInfo.InvariantCulture, $"\\u{(int)unit:X4}");
                }
            }
            else
            {
                printable.Append(encoded);
            }
        }

        return printable.ToString();
    }
}
