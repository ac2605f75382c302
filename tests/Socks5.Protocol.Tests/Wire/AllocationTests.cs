using System;
using System.Buffers;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Wire;

/// <summary>The wire layer allocates nothing: every parser (span and multi-segment sequence) and every writer.</summary>
public class AllocationTests
{
    private const int Iterations = 1000;

    [Fact]
    public void Parsing_and_writing_every_message_allocates_nothing()
    {
        var inputs = new Inputs();
        long perRound = RunRound(inputs);
        Assert.True(perRound > 0);
        for (int i = 0; i < 100; i++)
        {
            RunRound(inputs);
        }

        long total = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Iterations; i++)
        {
            total += RunRound(inputs);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(perRound * Iterations, total);
    }

    // Returns the bytes consumed and written, so that the test can check every call did its work.
    private static long RunRound(Inputs inputs)
    {
        Span<byte> scratch = stackalloc byte[UsernamePasswordRequest.MaxLength];
        Span<byte> largeScratch = stackalloc byte[Socks4Request.MaxLength];
        Span<byte> destination = stackalloc byte[128];
        long sum = 0;

        sum += Parse(Socks5Greeting.TryParse(inputs.Greeting, out Socks5Greeting greeting, out int consumed, out _), consumed, greeting.Offers(AuthenticationMethod.UsernamePassword));
        sum += Parse(Socks5Greeting.TryParse(inputs.GreetingSplit, scratch, out Socks5Greeting copiedGreeting, out consumed, out _), consumed, copiedGreeting.Methods.Length == 2);
        sum += Parse(Socks5MethodSelection.TryParse(inputs.Selection, out Socks5MethodSelection selection, out consumed, out _), consumed, selection.Method == AuthenticationMethod.UsernamePassword);
        sum += Parse(Socks5MethodSelection.TryParse(inputs.SelectionSplit, out selection, out consumed, out _), consumed, selection.Method == AuthenticationMethod.UsernamePassword);
        sum += Parse(UsernamePasswordRequest.TryParse(inputs.UserPass, out UsernamePasswordRequest credentials, out consumed, out _), consumed, credentials.Password.Length == 4);
        sum += Parse(UsernamePasswordRequest.TryParse(inputs.UserPassSplit, scratch, out UsernamePasswordRequest copiedCredentials, out consumed, out _), consumed, copiedCredentials.UserName.Length == 4);
        sum += Parse(UsernamePasswordReply.TryParse(inputs.UserPassReply, out UsernamePasswordReply status, out consumed, out _), consumed, status.Succeeded);
        sum += Parse(UsernamePasswordReply.TryParse(inputs.UserPassReplySplit, out status, out consumed, out _), consumed, status.Succeeded);
        sum += Parse(GssapiMessage.TryParse(inputs.Gssapi, out GssapiMessage gssapi, out consumed, out _), consumed, gssapi.Token.Length == 4);
        sum += Parse(GssapiMessage.TryParse(inputs.GssapiSplit, 16, out GssapiMessageType type, out ReadOnlySequence<byte> token, out consumed, out _), consumed, type == GssapiMessageType.Authentication && token.Length == 4);
        sum += Parse(Socks5Request.TryParse(inputs.Request, out Socks5Request request, out consumed, out _), consumed, request.Destination.Port == 8000);
        sum += Parse(Socks5Request.TryParse(inputs.LongNameRequestSplit, scratch, out Socks5Request copiedRequest, out consumed, out _), consumed, copiedRequest.Destination.Address.Length == 255);
        sum += Parse(Socks5Reply.TryParse(inputs.Reply, out Socks5Reply reply, out consumed, out _), consumed, reply.BoundAddress.IsUnspecifiedAddress);
        sum += Parse(Socks5Reply.TryParse(inputs.ReplySplit, scratch, out Socks5Reply copiedReply, out consumed, out _), consumed, copiedReply.BoundAddress.AddressType == AddressType.IPv6);
        sum += Parse(Socks5UdpHeader.TryParse(inputs.Udp, out Socks5UdpHeader header, out consumed, out _), consumed, header.Address.Port == 53);
        sum += Parse(Socks5UdpHeader.TryParse(inputs.UdpSplit, scratch, out Socks5UdpHeader copiedHeader, out consumed, out _), consumed, copiedHeader.Fragment == 0);
        sum += Parse(Socks4Request.TryParse(inputs.Socks4a, out Socks4Request socks4, out consumed, out _), consumed, socks4.IsSocks4a && socks4.UserId.Length == 4);
        sum += Parse(Socks4Request.TryParse(inputs.Socks4aSplit, largeScratch, out Socks4Request copiedSocks4, out consumed, out _), consumed, copiedSocks4.Destination.Port == 443);
        sum += Parse(Socks4Reply.TryParse(inputs.Socks4Reply, out Socks4Reply socks4Reply, out consumed, out _), consumed, socks4Reply.Granted);
        sum += Parse(Socks4Reply.TryParse(inputs.Socks4ReplySplit, scratch, out Socks4Reply copiedSocks4Reply, out consumed, out _), consumed, copiedSocks4Reply.BoundAddress.Port == 80);
        sum += Parse(HttpConnectRequest.TryParse(inputs.Http, out HttpConnectRequest http, out consumed, out _), consumed, http.IsConnect && http.HasProxyAuthorization);
        sum += Parse(HttpConnectRequest.TryParse(inputs.HttpSplit, largeScratch, 512, out HttpConnectRequest copiedHttp, out consumed, out _), consumed, copiedHttp.GetDestination(destination).Address[15] == 1 && http.GetDestination(destination).Port == 443);
        sum += HttpBasicCredentials.TryDecode(http.ProxyAuthorization, destination, out ReadOnlySpan<byte> basicUser, out _) == OperationStatus.Done ? basicUser.Length : -10_000;

        var ipv4 = new Socks5EndPoint(AddressType.IPv4, inputs.Ipv4Address, 8000);
        var name = new Socks5EndPoint(AddressType.DomainName, inputs.LongName, 443);
        sum += Write(Socks5Greeting.TryWrite(inputs.Methods, destination, out int written), written) + Socks5Greeting.Write(inputs.Writer, inputs.Methods);
        sum += Write(Socks5MethodSelection.TryWrite(AuthenticationMethod.NoAuthenticationRequired, destination, out written), written) + Socks5MethodSelection.Write(inputs.Writer, AuthenticationMethod.Gssapi);
        sum += Write(UsernamePasswordRequest.TryWrite(inputs.User, inputs.Password, destination, out written), written) + UsernamePasswordRequest.Write(inputs.Writer, inputs.User, inputs.Password);
        sum += Write(UsernamePasswordReply.TryWrite(UsernamePasswordReply.Failure, destination, out written), written) + UsernamePasswordReply.Write(inputs.Writer, UsernamePasswordReply.Success);
        sum += Write(GssapiMessage.TryWrite(GssapiMessageType.EncapsulatedMessage, inputs.User, destination, out written), written) + GssapiMessage.Write(inputs.Writer, GssapiMessageType.Abort, default);
        sum += Write(Socks5Request.TryWrite(Command.Connect, ipv4, destination, out written), written) + Socks5Request.Write(inputs.Writer, Command.Bind, name);
        sum += Write(Socks5Reply.TryWrite(ReplyCode.Succeeded, ipv4, destination, out written), written) + Socks5Reply.Write(inputs.Writer, ReplyCode.HostUnreachable, name);
        sum += Write(Socks5UdpHeader.TryWrite(0, ipv4, destination, out written), written) + Socks5UdpHeader.Write(inputs.Writer, 0, name);
        sum += Write(Socks4Request.TryWrite(Command.Connect, ipv4, inputs.User, destination, out written), written) + Socks4Request.Write(inputs.Writer, Command.Resolve, name, inputs.User);
        sum += Write(Socks4Reply.TryWrite(Socks4ReplyCode.RequestGranted, ipv4, destination, out written), written) + Socks4Reply.Write(inputs.Writer, Socks4ReplyCode.RequestRejectedOrFailed, ipv4);
        sum += Write(HttpConnectResponse.TryWrite(200, destination, out written), written) + HttpConnectResponse.Write(inputs.Writer, 405);
        sum += Write(HttpConnectResponse.TryWriteProxyAuthenticationRequired(inputs.User, destination, out written), written) + HttpConnectResponse.WriteProxyAuthenticationRequired(inputs.Writer, inputs.Password);
        sum += ipv4.ContentEquals(name) ? 0 : 1;
        inputs.Writer.ResetWrittenCount();
        return sum;
    }

    private static int Parse(OperationStatus status, int consumed, bool fieldsAsExpected) =>
        status == OperationStatus.Done && fieldsAsExpected ? consumed : -10_000;

    private static int Write(bool ok, int written) => ok ? written : -10_000;

    /// <summary>Every input, built before measuring: arrays, multi-segment sequences and a writer big enough for one round.</summary>
    private sealed class Inputs
    {
        public readonly byte[] Greeting = Hex.Parse("05 02 00 02");
        public readonly ReadOnlySequence<byte> GreetingSplit = Segments.SplitAt(Hex.Parse("05 02 00 02"), 2);
        public readonly byte[] Selection = Hex.Parse("05 02");
        public readonly ReadOnlySequence<byte> SelectionSplit = Segments.SplitAt(Hex.Parse("05 02"), 1);
        public readonly byte[] UserPass = Hex.Parse("01 04 75 73 65 72 04 70 61 73 73");
        public readonly ReadOnlySequence<byte> UserPassSplit = Segments.OneBytePerSegment(Hex.Parse("01 04 75 73 65 72 04 70 61 73 73"));
        public readonly byte[] UserPassReply = Hex.Parse("01 00");
        public readonly ReadOnlySequence<byte> UserPassReplySplit = Segments.SplitAt(Hex.Parse("01 00"), 1);
        public readonly byte[] Gssapi = Hex.Parse("01 01 00 04 de ad be ef");
        public readonly ReadOnlySequence<byte> GssapiSplit = Segments.OneBytePerSegment(Hex.Parse("01 01 00 04 de ad be ef"));
        public readonly byte[] Request = Hex.Parse("05 01 00 01 7f 00 00 01 1f 40");
        public readonly ReadOnlySequence<byte> LongNameRequestSplit = Segments.OneBytePerSegment(Hex.Parse("05 01 00 03 ff " + AddressVectors.LongestNameHex + " 00 50"));
        public readonly byte[] Reply = Hex.Parse("05 00 00 01 00 00 00 00 10 10");
        public readonly ReadOnlySequence<byte> ReplySplit = Segments.SplitAt(Hex.Parse("05 00 00 04 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00 50"), 9);
        public readonly byte[] Udp = Hex.Parse("00 00 00 01 7f 00 00 01 00 35 de ad");
        public readonly ReadOnlySequence<byte> UdpSplit = Segments.SplitAt(Hex.Parse("00 00 00 01 7f 00 00 01 00 35 de ad"), 5);
        public readonly byte[] Socks4a = Hex.Parse("04 01 01 bb 00 00 00 01 75 73 65 72 00 61 2e 62 00");
        public readonly ReadOnlySequence<byte> Socks4aSplit = Segments.OneBytePerSegment(Hex.Parse("04 01 01 bb 00 00 00 01 75 73 65 72 00 61 2e 62 00"));
        public readonly byte[] Socks4Reply = Hex.Parse("00 5a 00 50 7f 00 00 01");
        public readonly ReadOnlySequence<byte> Socks4ReplySplit = Segments.SplitAt(Hex.Parse("00 5a 00 50 7f 00 00 01"), 3);
        public readonly byte[] Http = System.Text.Encoding.ASCII.GetBytes("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nProxy-Authorization: Basic dXNlcjpwYXNz\r\n\r\n");
        public readonly ReadOnlySequence<byte> HttpSplit = Segments.SplitAt(System.Text.Encoding.ASCII.GetBytes("CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n"), 20);
        public readonly AuthenticationMethod[] Methods = { AuthenticationMethod.NoAuthenticationRequired, AuthenticationMethod.UsernamePassword };
        public readonly byte[] User = Hex.Parse("75 73 65 72");
        public readonly byte[] Password = Hex.Parse("70 61 73 73");
        public readonly byte[] Ipv4Address = { 127, 0, 0, 1 };
        public readonly byte[] LongName = Hex.Parse(AddressVectors.LongestNameHex);
        public readonly ArrayBufferWriter<byte> Writer = new(4096);
    }
}
