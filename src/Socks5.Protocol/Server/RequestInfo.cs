using System.Net;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Server;

/// <summary>A request copied out of the engine, so that it can be held across awaits.</summary>
internal sealed class RequestInfo
{
    private RequestInfo(Command command, AddressType addressType, string host, IPAddress? address, int port)
    {
        Command = command;
        AddressType = addressType;
        Host = host;
        Address = address;
        Port = port;
    }

    public Command Command { get; }

    public AddressType AddressType { get; }

    /// <summary>The host as the client sent it: an IP literal or a domain name.</summary>
    public string Host { get; }

    /// <summary>The IP address for ATYP 1 and 4; null for a domain name.</summary>
    public IPAddress? Address { get; }

    public int Port { get; }

    /// <summary>host:port, with IPv6 in brackets.</summary>
    public string Destination => AddressType == AddressType.IPv6 ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    public static RequestInfo From(Socks5Request request) => From(request.Command, request.Destination);

    /// <summary>A request of any protocol (SOCKS4/4a, HTTP CONNECT) in the shape every command is served from.</summary>
    public static RequestInfo From(Command command, Socks5EndPoint destination)
    {
        IPAddress? address = destination.ToIPAddress();
        return new RequestInfo(command, destination.AddressType, address?.ToString() ?? destination.GetHost(), address, destination.Port);
    }
}
