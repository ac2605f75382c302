using System;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Socks5.Protocol.Extensions.Hosting;
using Socks5.Protocol.Server;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a SOCKS5 server, run by the host.</summary>
public static class Socks5ServiceCollectionExtensions
{
    /// <summary>The configuration section <see cref="AddSocks5Server(IServiceCollection, IConfiguration)"/> binds.</summary>
    public const string SectionName = "Socks5";

    /// <summary>
    /// Adds a SOCKS5 server whose <see cref="Socks5ServerOptions"/> are bound from the <c>Socks5</c> section of
    /// <paramref name="configuration"/>: <c>Listen</c> (a list of <c>127.0.0.1:1080</c>, <c>[::1]:1080</c>),
    /// <c>Users</c> (name: password), the timeouts (<c>00:00:10</c>), the limits, <c>Advertise</c>, <c>EnableBind</c>,
    /// <c>EnableUdpAssociate</c>, <c>EnableSocks4</c>, <c>EnableHttpConnect</c>, <c>EnableResolve</c>, <c>AllowSelfConnect</c>, <c>LearnUdpClientAddress</c>. See
    /// <see cref="AddSocks5Server(IServiceCollection, Action{Socks5ServerOptions})"/> for the rest.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="configuration">The application's configuration (its <c>Socks5</c> section is read).</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddSocks5Server(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return AddSocks5Server(services, configuration, configure: null);
    }

    /// <summary>
    /// Adds a SOCKS5 server configured in code, run as a hosted service: created and started with the host, drained
    /// when the host stops (open tunnels may finish until the host's shutdown timeout). The options are validated when the
    /// host starts: a bad <c>Listen</c> or <c>Advertise</c> string, an empty password, a timeout or a limit that is not
    /// positive stops the host with a message naming the key. Registered services fill the hooks the options leave
    /// empty: <see cref="ISocks5CredentialValidator"/>, <see cref="ISocks5AccessRule"/>, <see cref="ISocks5Resolver"/>,
    /// <see cref="ISocks5Dialer"/>. Each closed connection is logged (category <c>Socks5.Protocol.Server</c>), after
    /// the options' own <see cref="Socks5ServerOptions.ConnectionClosed"/>.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="configure">Sets the options; runs after any configuration binding.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddSocks5Server(this IServiceCollection services, Action<Socks5ServerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddSocks5Server(services, configuration: null, configure);
    }

    /// <summary>
    /// Adds a SOCKS5 server bound from the <c>Socks5</c> section of <paramref name="configuration"/> (when given), then
    /// set by <paramref name="configure"/> (when given). See
    /// <see cref="AddSocks5Server(IServiceCollection, Action{Socks5ServerOptions})"/>.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="configuration">The application's configuration, or null.</param>
    /// <param name="configure">Sets the options after the binding, or null.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddSocks5Server(this IServiceCollection services, IConfiguration? configuration, Action<Socks5ServerOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<Socks5ServerOptions> options = services.AddOptions<Socks5ServerOptions>();
        IConfigurationSection? section = configuration?.GetSection(SectionName);
        if (section is not null)
        {
            options.Bind(section);
            // ListenEndPoints is the typed list, which the binder cannot fill from text: it skipped such entries without a
            // word, and the server fell back to 127.0.0.1:1080. In configuration ListenEndPoints:N is another name for
            // Listen:N (it wins when both are set), so Socks5__ListenEndPoints__0 overrides an appsettings.json Listen:0.
            options.Configure(o =>
            {
                foreach (IConfigurationSection entry in section.GetSection(nameof(Socks5ServerOptions.ListenEndPoints)).GetChildren())
                {
                    string value = entry.Value ?? string.Empty;
                    if (int.TryParse(entry.Key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index) && index < o.Listen.Count)
                    {
                        o.Listen[index] = value;
                    }
                    else
                    {
                        o.Listen.Add(value);
                    }
                }
            });
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.PostConfigure<IServiceProvider>(UseServices);
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<Socks5ServerOptions>>(new Socks5ServerOptionsValidator(SectionName, section)));
        services.TryAddSingleton<Socks5ServerService>();
        services.AddHostedService(sp => sp.GetRequiredService<Socks5ServerService>());
        return services;
    }

    private static void UseServices(Socks5ServerOptions options, IServiceProvider services)
    {
        if (options.ValidateCredentials is null && services.GetService<ISocks5CredentialValidator>() is { } validator)
        {
            options.ValidateCredentials = validator.ValidateAsync;
        }

        if (options.AccessRule is null && services.GetService<ISocks5AccessRule>() is { } rule)
        {
            options.AccessRule = rule.IsAllowedAsync;
        }

        if (options.Resolver is null && services.GetService<ISocks5Resolver>() is { } resolver)
        {
            options.Resolver = resolver.ResolveAsync;
        }

        if (options.Dialer is null && services.GetService<ISocks5Dialer>() is { } dialer)
        {
            options.Dialer = dialer.DialAsync;
        }

        ILogger logger = (services.GetService<ILoggerFactory>() ?? Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger(Log.Category);
        Action<Socks5ConnectionReport>? own = options.ConnectionClosed;
        options.ConnectionClosed = report =>
        {
            if (own is not null)
            {
                try
                {
                    own(report);
                }
                catch (Exception ex)
                {
                    Log.HookFailed(logger, ex);
                }
            }

            Log.Report(logger, report);
        };
    }
}
