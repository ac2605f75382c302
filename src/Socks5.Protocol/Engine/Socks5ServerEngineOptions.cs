using System;
using System.Collections.Generic;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Engine;

/// <summary>
/// What a <see cref="Socks5ServerEngine"/> accepts. One instance can be shared by every connection; do not change it
/// while engines use it.
/// </summary>
public sealed class Socks5ServerEngineOptions
{
    /// <summary>
    /// The methods the server accepts, in its order of preference: the first one the client also offers is selected.
    /// <see cref="AuthenticationMethod.NoAuthenticationRequired"/> and <see cref="AuthenticationMethod.UsernamePassword"/>
    /// are built in; any other needs <see cref="AuthenticatorFactory"/>. Default: no authentication only.
    /// </summary>
    public IList<AuthenticationMethod> Methods { get; } = new List<AuthenticationMethod> { AuthenticationMethod.NoAuthenticationRequired };

    /// <summary>
    /// Creates the per-connection sub-negotiation for a method other than X'00' and X'02' (GSSAPI, private methods),
    /// once that method is selected. Returning null makes the engine treat the method as unsupported.
    /// </summary>
    public Func<AuthenticationMethod, ISocks5ServerAuthenticator?>? AuthenticatorFactory { get; set; }

    /// <summary>
    /// When false (the default), a request whose CMD is not CONNECT, BIND or UDP ASSOCIATE is answered X'07' by the
    /// engine itself. When true, it is handed to the host like any other request, to implement an extension.
    /// </summary>
    public bool AllowUnknownCommands { get; set; }
}
