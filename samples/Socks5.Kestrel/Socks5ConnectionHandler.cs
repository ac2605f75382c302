using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;

namespace Socks5.Kestrel;

/// <summary>
/// Serves each connection Kestrel accepts on the SOCKS5 endpoint with the library: Kestrel owns the socket, the accept
/// loop and the shutdown; the library runs the handshake, the command and the relay over the connection's pipes.
/// </summary>
public sealed class Socks5ConnectionHandler : ConnectionHandler
{
    private readonly Socks5Server _server;

    /// <summary>Serves connections with <paramref name="server"/> (never started: Kestrel does the listening).</summary>
    public Socks5ConnectionHandler(Socks5Server server) => _server = server;

    /// <inheritdoc/>
    public override Task OnConnectedAsync(ConnectionContext connection) =>
        _server.HandleConnectionAsync(connection.Transport, connection.RemoteEndPoint, connection.LocalEndPoint, connection.ConnectionClosed);
}
