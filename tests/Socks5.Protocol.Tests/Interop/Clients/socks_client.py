#!/usr/bin/python3
"""One run of a Python SOCKS5 client library through a proxy, for the interop tests (run with Debian's python3).

usage: socks_client.py LIBRARY COMMAND PROXY_HOST PROXY_PORT TARGET_HOST TARGET_PORT [USER PASSWORD]

  LIBRARY  pysocks (python3-socks: connect, udp), pysocks4 and pysocks-http (python3-socks as a SOCKS4 and an
           HTTP CONNECT client: connect), python-socks (python3-python-socks: connect),
           socksio (python3-socksio, sans-I/O: connect; this script does the socket work and the framing)
  connect  GET /hello.txt from the tests' loopback HTTP target; the answer must be a 200 carrying HTTP_BODY
  udp      one datagram PING to the tests' UDP echo; the answer must be "echo:" + PING, from the target

Prints COMMAND-OK (CONNECT-OK, UDP-OK) once its own check passed; otherwise exits 1 with the reason on stderr.
The HTTP request, HTTP_BODY and PING are what the C# tests count and serve (LoopbackTargets.cs): keep them in step.
"""
import socket
import sys

TIMEOUT = 5
HTTP_BODY = b"hello-from-loopback-http\n"
PING = b"ping-udp"


class Failed(Exception):
    pass


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def http_request(host):
    return b"GET /hello.txt HTTP/1.0\r\nHost: " + host.encode() + b"\r\n\r\n"


def http_exchange(sock, host):
    """Sends the request through an open tunnel, reads to EOF and checks the whole answer."""
    sock.sendall(http_request(host))
    answer = b""
    while chunk := sock.recv(4096):
        answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.0 200 ") or body != HTTP_BODY:
        raise Failed(f"unexpected HTTP answer: {answer!r}")


def check_echo(data, source, target):
    if data != b"echo:" + PING:
        raise Failed(f"unexpected UDP answer: {data!r}")
    if (source[0], source[1]) != target:
        raise Failed(f"UDP answer from {source}, not from the target {target}")


def pysocks_proxied(kind, proxy, credentials):
    import socks

    sock = socks.socksocket(family_of(proxy[0]), kind)
    sock.set_proxy(socks.SOCKS5, proxy[0], proxy[1], rdns=False, username=credentials[0], password=credentials[1])
    sock.settimeout(TIMEOUT)
    return sock


def pysocks_connect(proxy, target, credentials):
    with pysocks_proxied(socket.SOCK_STREAM, proxy, credentials) as sock:
        sock.connect(target)
        http_exchange(sock, target[0])


def pysocks_other_connect(kind, proxy, target, credentials):
    """PySocks as a SOCKS4 client (the user name goes as USERID; SOCKS4 has no password) or an HTTP CONNECT client."""
    import socks

    with socks.socksocket(family_of(proxy[0]), socket.SOCK_STREAM) as sock:
        password = credentials[1] if kind == socks.HTTP else None
        sock.set_proxy(kind, proxy[0], proxy[1], rdns=False, username=credentials[0], password=password)
        sock.settimeout(TIMEOUT)
        sock.connect(target)
        http_exchange(sock, target[0])


def pysocks_udp(proxy, target, credentials):
    with pysocks_proxied(socket.SOCK_DGRAM, proxy, credentials) as sock:
        sock.bind(("::" if ":" in proxy[0] else "0.0.0.0", 0))  # PySocks sends the UDP ASSOCIATE here, naming this port
        sock.sendto(PING, target)
        data, source = sock.recvfrom(65535)
        print(f"UDP answer from {source[0]}:{source[1]}: {data!r}")
        check_echo(data, source, target)


def python_socks_connect(proxy, target, credentials):
    from python_socks.sync import Proxy
    from python_socks import ProxyType

    via = Proxy.create(ProxyType.SOCKS5, proxy[0], proxy[1], username=credentials[0], password=credentials[1], rdns=False)
    with via.connect(dest_host=target[0], dest_port=target[1], timeout=TIMEOUT) as sock:
        http_exchange(sock, target[0])


def recv_exactly(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise Failed(f"the proxy closed after {data!r}, {count} bytes expected")
        data += chunk
    return data


def recv_reply(sock):
    """socksio parses a whole message only: read the reply's fixed part, then as much address as ATYP says."""
    head = recv_exactly(sock, 4)
    atyp = head[3]
    if atyp == 1:
        rest = recv_exactly(sock, 4 + 2)
    elif atyp == 4:
        rest = recv_exactly(sock, 16 + 2)
    elif atyp == 3:
        length = recv_exactly(sock, 1)
        rest = length + recv_exactly(sock, length[0] + 2)
    else:
        raise Failed(f"reply with unknown ATYP: {head!r}")
    return head + rest


def socksio_connect(proxy, target, credentials):
    from socksio import socks5

    user = credentials[0].encode() if credentials[0] is not None else None
    method = socks5.SOCKS5AuthMethod.USERNAME_PASSWORD if user else socks5.SOCKS5AuthMethod.NO_AUTH_REQUIRED
    protocol = socks5.SOCKS5Connection()
    with socket.create_connection(proxy, TIMEOUT) as sock:

        def exchange(request, read_reply):
            protocol.send(request)
            sock.sendall(protocol.data_to_send())
            return protocol.receive_data(read_reply())

        def two_bytes():  # a method selection, or a username/password status
            return recv_exactly(sock, 2)

        selected = exchange(socks5.SOCKS5AuthMethodsRequest([method]), two_bytes)
        if selected.method != method:
            raise Failed(f"the proxy picked {selected.method}, offered {method}")
        if user:
            status = exchange(socks5.SOCKS5UsernamePasswordRequest(user, credentials[1].encode()), two_bytes)
            if not status.success:
                raise Failed("the proxy refused the username and password")

        connect = socks5.SOCKS5CommandRequest.from_address(socks5.SOCKS5Command.CONNECT, target)
        reply = exchange(connect, lambda: recv_reply(sock))
        if reply.reply_code != socks5.SOCKS5ReplyCode.SUCCEEDED:
            raise Failed(f"CONNECT refused: {reply}")
        http_exchange(sock, target[0])


RUNS = {
    ("pysocks", "connect"): pysocks_connect,
    ("pysocks", "udp"): pysocks_udp,
    ("pysocks4", "connect"): lambda *a: pysocks_other_connect(__import__("socks").SOCKS4, *a),
    ("pysocks-http", "connect"): lambda *a: pysocks_other_connect(__import__("socks").HTTP, *a),
    ("python-socks", "connect"): python_socks_connect,
    ("socksio", "connect"): socksio_connect,
}


def main(args):
    if len(args) not in (6, 8) or (args[0], args[1]) not in RUNS:
        print(__doc__, file=sys.stderr)
        return 2
    library, command, proxy_host, proxy_port, target_host, target_port = args[:6]
    credentials = (args[6], args[7]) if len(args) == 8 else (None, None)
    try:
        RUNS[library, command]((proxy_host, int(proxy_port)), (target_host, int(target_port)), credentials)
    except Exception as e:  # any failure, the library's own errors included, is the test's failure
        print(f"{library} {command} failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(command.upper() + "-OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
