using System;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// appsettings.json is read from beside the program, so `dotnet run --project samples/Socks5.Hosted` and a run from
// any other folder see the same file. The environment (Socks5__Listen__0=127.0.0.1:1090) and the command line
// (--Socks5:Listen:0=127.0.0.1:1090) override it, as in any generic host.
HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory,
});
builder.Services.AddSocks5Server(builder.Configuration);
builder.Build().Run();
