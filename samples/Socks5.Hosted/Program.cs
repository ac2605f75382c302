using System;
using System.Linq;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Socks5.Protocol.Server;

// appsettings.json is read from beside the program, so `dotnet run --project samples/Socks5.Hosted` and a run from
// any other folder see the same file. The environment (Socks5__Listen__0=127.0.0.1:1090) and the command line
// (--Socks5:Listen:0=127.0.0.1:1090) override it, as in any generic host.
HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});
builder.Services.AddSocks5Server(builder.Configuration);

// Never an open proxy by accident: off loopback the server wants users, or Socks5:AllowAnonymous=true said on purpose.
bool allowAnonymous = builder.Configuration.GetValue<bool>("Socks5:AllowAnonymous");
builder.Services.AddOptions<Socks5ServerOptions>().Validate(
    options => allowAnonymous || options.RequiresCredentials || options.Listen.All(IsLoopback),
    "Socks5:Listen: an address other than loopback serves anyone who can reach it; set Socks5:Users, or Socks5:AllowAnonymous=true to mean it.");
builder.Build().Run();

static bool IsLoopback(string endPoint) => IPEndPoint.TryParse(endPoint, out IPEndPoint? parsed) && IPAddress.IsLoopback(parsed.Address);
