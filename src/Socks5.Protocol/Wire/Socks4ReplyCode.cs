namespace Socks5.Protocol.Wire;

/// <summary>
/// The CD field of a SOCKS4 reply ("SOCKS: A protocol for TCP proxy across firewalls").
/// </summary>
/// <remarks>
/// <code>
///   90: request granted
///   91: request rejected or failed
///   92: request rejected because SOCKS server cannot connect to identd on the client
///   93: request rejected because the client program and identd report different user-ids
/// </code>
/// Any other byte is kept as its raw value.
/// </remarks>
public enum Socks4ReplyCode : byte
{
    /// <summary>90: request granted.</summary>
    RequestGranted = 90,

    /// <summary>91: request rejected or failed.</summary>
    RequestRejectedOrFailed = 91,

    /// <summary>92: request rejected because the server cannot connect to identd on the client.</summary>
    CannotConnectToIdentd = 92,

    /// <summary>93: request rejected because the client program and identd report different user-ids.</summary>
    DifferentUserIds = 93,
}
