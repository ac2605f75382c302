using System.Buffers;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Engine;

/// <summary>Tor's RESOLVE and RESOLVE_PTR through the SOCKS5 client engine: the answer is BND.ADDR of the reply.</summary>
public class TorResolveTranscriptTests
{
    [Theory]
    [InlineData(Command.Resolve, "03 09 6c 6f 63 61 6c 68 6f 73 74 00 00", "05 00 00 01 7f 00 00 01 00 00", "127.0.0.1:0")]
    [InlineData(Command.Resolve, "03 09 6c 6f 63 61 6c 68 6f 73 74 00 00", "05 00 00 04 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00 00", "[::1]:0")]
    [InlineData(Command.ResolvePtr, "01 7f 00 00 01 00 00", "05 00 00 03 09 6c 6f 63 61 6c 68 6f 73 74 00 00", "localhost:0")]
    public void Resolve_transcript_for_every_split(Command command, string destination, string reply, string answer)
    {
        byte[] replyBytes = Hex.Parse(reply);
        foreach (int[] cuts in ClientEngineDriver.Splits(replyBytes.Length))
        {
            Socks5EndPoint.TryParse(Hex.Parse(destination), out Socks5EndPoint target, out _, out _);
            var engine = new Socks5ClientEngine(command, target);
            var output = new ArrayBufferWriter<byte>();
            engine.Start(output);
            Assert.Equal(Hex.Format(Hex.Parse("05 01 00")), Hex.Format(output.WrittenSpan));
            output.Clear();
            Assert.Equal(ClientEvent.NeedMoreData, engine.Process(Hex.Parse("05 00"), output, out _));
            Assert.Equal(Hex.Format(Hex.Parse($"05 {(byte)command:x2} 00 {destination}")), Hex.Format(output.WrittenSpan));

            (List<ClientEvent> events, byte[] rest) = ClientEngineDriver.Feed(engine.Process, replyBytes, cuts);
            Assert.Equal(new[] { ClientEvent.Established }, events);
            Assert.Empty(rest);
            Assert.Equal(answer, Socks4ClientEngineTests.Text(engine.BoundAddress));
        }
    }

    [Theory]
    [InlineData(0xF0)]
    [InlineData(0xF1)]
    [InlineData(0xF6)]
    [InlineData(0x04)]
    public void Resolve_failure_keeps_tor_s_extended_code(byte code)
    {
        var engine = new Socks5ClientEngine(Command.Resolve, new Socks5EndPoint(AddressType.DomainName, "x.onion"u8, 0));
        var output = new ArrayBufferWriter<byte>();
        engine.Start(output);
        engine.Process(Hex.Parse("05 00"), output, out _);
        Assert.Equal(ClientEvent.MustClose, engine.Process(Hex.Parse($"05 {code:x2} 00 01 00 00 00 00 00 00"), output, out _));
        Assert.Equal(HandshakeFailure.RequestRejected, engine.Failure);
        Assert.Equal((ReplyCode)code, engine.ReplyCode);
    }

    [Theory]
    [InlineData("05 04 00 00 00 00 00 00 00 00", ReplyCode.HostUnreachable)]
    [InlineData("05 01 00 00", ReplyCode.GeneralFailure)]
    public void Failure_reply_without_an_address_type_still_gives_its_code(string reply, ReplyCode code)
    {
        // Tor answers a failed RESOLVE or RESOLVE_PTR with ATYP 0: the reply carries no address, only REP counts.
        var engine = new Socks5ClientEngine(Command.ResolvePtr, new Socks5EndPoint(AddressType.IPv4, new byte[] { 127, 0, 0, 1 }, 0));
        var output = new ArrayBufferWriter<byte>();
        engine.Start(output);
        engine.Process(Hex.Parse("05 00"), output, out _);
        Assert.Equal(ClientEvent.MustClose, engine.Process(Hex.Parse(reply), output, out _));
        Assert.Equal(HandshakeFailure.RequestRejected, engine.Failure);
        Assert.Equal(code, engine.ReplyCode);
    }
}
