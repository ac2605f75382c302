#!/usr/bin/perl
# One run of IO::Socket::Socks (libio-socket-socks-perl) through a SOCKS5 proxy, for the interop tests.
#
# usage: socks_client.pl COMMAND PROXY_HOST PROXY_PORT TARGET_HOST TARGET_PORT [USER PASSWORD]
#
#   connect  GET /hello.txt from the tests' loopback HTTP target; the answer must be a 200 carrying $HTTP_BODY
#   bind     BIND with TARGET as DST; a peer socket of ours connects to the address of the first reply, the second
#            reply must name that peer, then $FROM_PEER goes to the binder and $FROM_BINDER back
#   udp      UDP ASSOCIATE naming 0.0.0.0:0, one datagram $PING to the tests' UDP echo; the answer must be
#            "echo:" . $PING, from the target
#
# Prints COMMAND-OK (CONNECT-OK, BIND-OK, UDP-OK) once its own check passed; otherwise dies (exit non-zero) with the
# reason. The payloads are what the C# tests count and serve (LoopbackTargets.cs, OurServerLibraryTests.cs).
use strict;
use warnings;
use IO::Socket::IP;
use IO::Socket::Socks qw($SOCKS_ERROR);
use Socket qw(AF_INET AF_INET6 inet_pton inet_ntop sockaddr_family
    pack_sockaddr_in pack_sockaddr_in6 unpack_sockaddr_in unpack_sockaddr_in6);

my $TIMEOUT = 5;
my $HTTP_BODY = "hello-from-loopback-http\n";
my $PING = 'ping-udp';
my $FROM_PEER = 'hello-from-peer';
my $FROM_BINDER = 'hello-from-binder';

@ARGV == 5 || @ARGV == 7
    or die "usage: socks_client.pl connect|bind|udp PROXY_HOST PROXY_PORT TARGET_HOST TARGET_PORT [USER PASSWORD]\n";
my ($command, $proxy_host, $proxy_port, $target_host, $target_port, $user, $password) = @ARGV;

# Nothing below may hang the test: the whole run has a deadline.
$SIG{ALRM} = sub { die "$command: no answer in time\n" };
alarm 2 * $TIMEOUT;

my %proxy = (ProxyAddr => $proxy_host, ProxyPort => $proxy_port, SocksVersion => 5, Timeout => $TIMEOUT);
%proxy = (%proxy, AuthType => 'userpass', Username => $user, Password => $password) if defined $user;

sub read_exactly {
    my ($socket, $count, $what) = @_;
    my $data = '';
    while (length $data < $count) {
        my $read = $socket->sysread($data, $count - length $data, length $data);
        die "$what: read failed: $!\n" unless defined $read;
        die "$what: closed after '$data'\n" if $read == 0;
    }
    return $data;
}

# A zero address in a reply means "the proxy's own address": reach it where we reached the proxy.
sub reachable {
    my ($host) = @_;
    return ($host eq '0.0.0.0' || $host eq '::') ? $proxy_host : $host;
}

sub run_connect {
    my $tunnel = IO::Socket::Socks->new(%proxy, ConnectAddr => $target_host, ConnectPort => $target_port)
        or die "CONNECT failed: $SOCKS_ERROR\n";
    $tunnel->syswrite("GET /hello.txt HTTP/1.0\r\nHost: $target_host\r\n\r\n");
    my $answer = '';
    while ($tunnel->sysread($answer, 4096, length $answer)) { }
    my ($head, $body) = split /\r\n\r\n/, $answer, 2;
    ($head =~ m{^HTTP/1\.0 200 } && defined $body && $body eq $HTTP_BODY) or die "unexpected HTTP answer: '$answer'\n";
}

sub run_bind {
    my $binder = IO::Socket::Socks->new(%proxy, BindAddr => $target_host, BindPort => $target_port)
        or die "BIND failed: $SOCKS_ERROR\n";
    my ($listen_host, $listen_port) = $binder->dst();
    print "first reply: $listen_host $listen_port\n";

    my $peer = IO::Socket::IP->new(PeerHost => reachable($listen_host), PeerPort => $listen_port, Timeout => $TIMEOUT)
        or die "peer could not reach $listen_host port $listen_port: $@\n";
    $binder->accept() or die "no second reply: $SOCKS_ERROR\n";
    my ($seen_host, $seen_port) = $binder->dst();
    print "second reply: $seen_host $seen_port\n";
    ($seen_host eq $peer->sockhost && $seen_port == $peer->sockport)
        or die "the second reply names $seen_host port $seen_port, the peer is " . $peer->sockhost . ' port ' . $peer->sockport . "\n";

    $peer->syswrite($FROM_PEER);
    my $got = read_exactly($binder, length $FROM_PEER, 'binder');
    $got eq $FROM_PEER or die "binder got '$got'\n";
    $binder->syswrite($FROM_BINDER);
    $got = read_exactly($peer, length $FROM_BINDER, 'peer');
    $got eq $FROM_BINDER or die "peer got '$got'\n";
}

sub run_udp {
    # UdpAddr/UdpPort are where our datagrams will come from, not the target: all zero, "not known yet".
    my $relay = IO::Socket::Socks->new(%proxy, UdpAddr => '0.0.0.0', UdpPort => 0)
        or die "UDP ASSOCIATE failed: $SOCKS_ERROR\n";
    my ($relay_host, $relay_port) = $relay->dst();
    print "relay: $relay_host $relay_port\n";
    my $to = $target_host =~ /:/
        ? pack_sockaddr_in6($target_port, inet_pton(AF_INET6, $target_host))
        : pack_sockaddr_in($target_port, inet_pton(AF_INET, $target_host));
    $relay->send($PING, 0, $to) or die "send: $!\n";
    my $from = $relay->recv(my $data, 65535) or die "recv: $!\n";
    ref $from eq '' or die "the answer's header names a host name: @$from\n";
    my $family = sockaddr_family($from);
    my ($port, $address) = $family == AF_INET6 ? unpack_sockaddr_in6($from) : unpack_sockaddr_in($from);
    my $source = inet_ntop($family, $address);
    print "UDP answer from $source $port: $data\n";
    $data eq "echo:$PING" or die "unexpected UDP answer '$data'\n";
    ($source eq $target_host && $port == $target_port) or die "UDP answer not from the target\n";
}

my %runs = (connect => \&run_connect, bind => \&run_bind, udp => \&run_udp);
my $run = $runs{$command} or die "unknown command '$command': connect, bind or udp\n";
$run->();
alarm 0;
print uc($command) . "-OK\n";
