using System;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Socks5.Kestrel;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;

// dotnet run --project samples/Socks5.Kestrel -- --socks-port 1081 --http-port 5080
// Both endpoints are on loopback only: this sample asks for no credentials.
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
int socksPort = builder.Configuration.GetValue("socks-port", 1081);
int httpPort = builder.Configuration.GetValue("http-port", 5080);
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning); // a line per connection is ours to write

builder.Services.AddSingleton(services =>
{
    ILogger log = services.GetRequiredService<ILoggerFactory>().CreateLogger("Socks5");
    var options = new Socks5ServerOptions
    {
        ConnectionClosed = report => log.LogInformation(
            "{Client} {Command} {Destination} reply={Reply} up={Up}B down={Down}B {Seconds:0.000}s{Outcome}",
            report.Client, report.Command, report.Destination, report.ReplyCode, report.BytesFromClient, report.BytesToClient,
            report.Duration.TotalSeconds,
            report.Error is { } error ? " error=" + error.Message
                : report.Failure != HandshakeFailure.None ? " failed=" + report.Failure
                : string.Empty),
    };
    // Every setting but the hooks binds from configuration: appsettings.json's "Socks5" section, or the command line
    // (--Socks5:Users:alice s3cret, --Socks5:Advertise 192.0.2.7, --Socks5:ConnectTimeout 00:00:05). A bad address
    // makes the server's constructor throw, naming it.
    builder.Configuration.GetSection("Socks5").Bind(options);
    return new Socks5Server(options);
});

builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Listen(IPAddress.Loopback, socksPort, endpoint => endpoint.UseConnectionHandler<Socks5ConnectionHandler>());
    kestrel.Listen(IPAddress.Loopback, httpPort);
});

WebApplication app = builder.Build();
app.MapGet("/", (Socks5Server server) =>
{
    Socks5ServerStatistics s = server.Statistics;
    return Results.Text($"SOCKS5 on 127.0.0.1:{socksPort}: {s.Active} open, {s.Accepted} accepted, {s.Failed} failed\n");
});

await app.StartAsync();
Console.WriteLine($"socks5 listening on 127.0.0.1:{socksPort}, http on http://127.0.0.1:{httpPort}/");
await app.WaitForShutdownAsync();
