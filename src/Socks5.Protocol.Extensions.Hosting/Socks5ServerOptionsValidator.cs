using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Socks5.Protocol.Server;

namespace Socks5.Protocol.Extensions.Hosting;

/// <summary>
/// Checks the options when the host starts (ValidateOnStart), so a bad configuration stops the host with a message that
/// names the key (<c>Socks5:Listen:0</c>, <c>Socks5:Users:alice</c>) instead of failing on the first connection. The
/// text forms are parsed by the core itself, one string at a time, so the rules are exactly those of
/// <see cref="Socks5Server"/>.
/// </summary>
internal sealed class Socks5ServerOptionsValidator : IValidateOptions<Socks5ServerOptions>
{
    private readonly string _section;
    private readonly IConfigurationSection? _configuration;

    public Socks5ServerOptionsValidator(string section, IConfigurationSection? configuration)
    {
        _section = section;
        _configuration = configuration;
    }

    public ValidateOptionsResult Validate(string? name, Socks5ServerOptions options)
    {
        var failures = new List<string>();
        for (int i = 0; i < options.Listen.Count; i++)
        {
            string? endPoint = options.Listen[i];
            if (string.IsNullOrWhiteSpace(endPoint))
            {
                failures.Add($"{ListenKey(i, endPoint)}: the end point is empty; write an IP address and a port, such as 127.0.0.1:1080 or [::1]:1080.");
            }
            else
            {
                Probe(failures, ListenKey(i, endPoint), new Socks5ServerOptions { Listen = { endPoint } });
            }
        }

        if (options.Advertise is not null)
        {
            var probe = new Socks5ServerOptions { Advertise = options.Advertise, AdvertisedAddress = options.AdvertisedAddress };
            Probe(failures, $"{_section}:Advertise", probe);
        }

        for (int i = 0; i < options.Egress.Allow.Count; i++)
        {
            var probe = new Socks5ServerOptions { Egress = { Allow = { options.Egress.Allow[i] } } };
            Probe(failures, $"{_section}:Egress:Allow:{i}", probe);
        }

        for (int i = 0; i < options.Egress.Deny.Count; i++)
        {
            var probe = new Socks5ServerOptions { Egress = { Deny = { options.Egress.Deny[i] } } };
            Probe(failures, $"{_section}:Egress:Deny:{i}", probe);
        }

        foreach (KeyValuePair<string, string> user in options.Users)
        {
            // RFC 1929: UNAME and PASSWD are 1 to 255 bytes; a longer or empty one could never log in.
            if (string.IsNullOrEmpty(user.Key) || Encoding.UTF8.GetByteCount(user.Key) > 255)
            {
                failures.Add($"{_section}:Users: the user name '{user.Key}' is empty or longer than 255 bytes (RFC 1929).");
            }

            if (string.IsNullOrEmpty(user.Value))
            {
                failures.Add($"{_section}:Users:{user.Key}: the password is empty; RFC 1929 needs 1 to 255 bytes.");
            }
            else if (Encoding.UTF8.GetByteCount(user.Value) > 255)
            {
                failures.Add($"{_section}:Users:{user.Key}: the password is longer than 255 bytes (RFC 1929).");
            }
        }

        Positive(failures, nameof(Socks5ServerOptions.HandshakeTimeout), options.HandshakeTimeout, infiniteAllowed: false);
        Positive(failures, nameof(Socks5ServerOptions.ConnectTimeout), options.ConnectTimeout, infiniteAllowed: false);
        Positive(failures, nameof(Socks5ServerOptions.BindTimeout), options.BindTimeout, infiniteAllowed: false);
        Positive(failures, nameof(Socks5ServerOptions.IdleTimeout), options.IdleTimeout, infiniteAllowed: true);
        Positive(failures, nameof(Socks5ServerOptions.UdpIdleTimeout), options.UdpIdleTimeout, infiniteAllowed: false);
        if (options.MaxConnections < 1)
        {
            failures.Add($"{_section}:MaxConnections: {options.MaxConnections} is not a limit; it must be 1 or more.");
        }

        if (options.MaxUdpAssociations < 0)
        {
            failures.Add($"{_section}:MaxUdpAssociations: {options.MaxUdpAssociations} is negative; it must be 0 or more.");
        }

        if (options.RelayBufferBudget is < 0)
        {
            failures.Add($"{_section}:RelayBufferBudget: {options.RelayBufferBudget} is negative; it must be 0 or more (bytes), or absent for the default.");
        }

        if (options.MaxConnectionsPerUser < 0)
        {
            failures.Add($"{_section}:MaxConnectionsPerUser: {options.MaxConnectionsPerUser} is negative; it must be 0 (no limit) or more.");
        }

        if (options.MaxBytesPerSecondPerUser < 0)
        {
            failures.Add($"{_section}:MaxBytesPerSecondPerUser: {options.MaxBytesPerSecondPerUser} is negative; it must be 0 (no limit) or more.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private void Positive(List<string> failures, string key, TimeSpan value, bool infiniteAllowed)
    {
        if (value <= TimeSpan.Zero && !(infiniteAllowed && value == Timeout.InfiniteTimeSpan))
        {
            string allowed = infiniteAllowed ? "more than zero, or -00:00:00.001 for none" : "more than zero";
            failures.Add($"{_section}:{key}: {value} is not a timeout; it must be {allowed} (such as 00:00:10).");
        }
    }

    // The key a Listen entry came from: Listen:i, or the ListenEndPoints:j whose string was taken as it.
    private string ListenKey(int index, string? value)
    {
        string listen = nameof(Socks5ServerOptions.Listen);
        if (_configuration is not null && _configuration[$"{listen}:{index}"] != value)
        {
            foreach (IConfigurationSection entry in _configuration.GetSection(nameof(Socks5ServerOptions.ListenEndPoints)).GetChildren())
            {
                if ((entry.Value ?? string.Empty) == (value ?? string.Empty))
                {
                    return $"{_section}:{nameof(Socks5ServerOptions.ListenEndPoints)}:{entry.Key}";
                }
            }
        }

        return $"{_section}:{listen}:{index}";
    }

    private static void Probe(List<string> failures, string key, Socks5ServerOptions probe)
    {
        try
        {
            // The constructor parses the text forms and binds nothing.
            new Socks5Server(probe).Dispose();
        }
        catch (ArgumentException ex)
        {
            // The core's message names the string; the key says where it came from, and the parameter is noise here.
            string message = ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal);
            failures.Add($"{key}: {message}");
        }
    }
}
