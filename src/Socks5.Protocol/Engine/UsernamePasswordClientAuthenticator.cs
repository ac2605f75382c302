using System;
using System.Buffers;
using System.Text;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Engine;

/// <summary>
/// The client side of RFC 1929: sends the user name and password, then reads the status.
/// </summary>
public sealed class UsernamePasswordClientAuthenticator : ISocks5ClientAuthenticator
{
    private readonly byte[] _userName;
    private readonly byte[] _password;

    /// <summary>Creates an authenticator with the credentials as bytes (RFC 1929 gives them no encoding).</summary>
    /// <param name="userName">1 to 255 bytes.</param>
    /// <param name="password">1 to 255 bytes.</param>
    /// <exception cref="ArgumentException">A field is empty or longer than 255 bytes.</exception>
    public UsernamePasswordClientAuthenticator(ReadOnlySpan<byte> userName, ReadOnlySpan<byte> password)
    {
        UsernamePasswordRequest.GetLength(userName, password);
        _userName = userName.ToArray();
        _password = password.ToArray();
    }

    /// <summary>Creates an authenticator with credentials encoded as UTF-8.</summary>
    /// <param name="userName">A user name of 1 to 255 UTF-8 bytes.</param>
    /// <param name="password">A password of 1 to 255 UTF-8 bytes.</param>
    /// <exception cref="ArgumentException">A field is empty or longer than 255 bytes.</exception>
    public UsernamePasswordClientAuthenticator(string userName, string password)
        : this(Encoding.UTF8.GetBytes(userName ?? throw new ArgumentNullException(nameof(userName))),
               Encoding.UTF8.GetBytes(password ?? throw new ArgumentNullException(nameof(password))))
    {
    }

    /// <inheritdoc/>
    public AuthenticationMethod Method => AuthenticationMethod.UsernamePassword;

    /// <summary>STATUS of the server's reply once it arrived (0 is success; servers send 1, 2 or X'FF' for failure).</summary>
    public byte? Status { get; private set; }

    /// <summary>Set when the server's reply was malformed.</summary>
    public ParseError ParseError { get; private set; }

    /// <inheritdoc/>
    public AuthenticatorResult Start(IBufferWriter<byte> output)
    {
        UsernamePasswordRequest.Write(output, _userName, _password);
        return AuthenticatorResult.NeedMoreData;
    }

    /// <inheritdoc/>
    public AuthenticatorResult Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output, out int bytesConsumed)
    {
        OperationStatus status = UsernamePasswordReply.TryParse(input, out UsernamePasswordReply reply, out bytesConsumed, out ParseError error);
        switch (status)
        {
            case OperationStatus.NeedMoreData:
                return AuthenticatorResult.NeedMoreData;
            case OperationStatus.Done:
                Status = reply.Status;
                return reply.Succeeded ? AuthenticatorResult.Succeeded : AuthenticatorResult.Failed;
            default:
                ParseError = error;
                return AuthenticatorResult.Failed;
        }
    }
}
