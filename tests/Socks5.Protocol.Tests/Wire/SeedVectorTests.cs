using System.Buffers;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Wire;

/// <summary>The worked example of the article the project started from, byte for byte.</summary>
public class SeedVectorTests
{
    [Fact]
    public void Connect_to_127_0_0_1_port_8000_is_the_seed_bytes()
    {
        byte[] expected = Hex.Parse("05 01 00 01 7f 00 00 01 1f 40");
        var destination = new Socks5EndPoint(AddressType.IPv4, new byte[] { 127, 0, 0, 1 }, 8000);
        var buffer = new byte[Socks5Request.MaxLength];

        Assert.True(Socks5Request.TryWrite(Command.Connect, destination, buffer, out int written));
        Assert.Equal(Hex.Format(expected), Hex.Format(buffer.AsSpan(0, written)));

        Assert.Equal(OperationStatus.Done, Socks5Request.TryParse(expected, out Socks5Request request, out int consumed, out ParseError error));
        Assert.Equal(10, consumed);
        Assert.Equal(ParseError.None, error);
        Assert.Equal(Command.Connect, request.Command);
        Assert.Equal("127.0.0.1:8000", request.Destination.ToString());
    }
}
