'use strict';
// One run of the node `socks` library (node-socks) through a SOCKS5 proxy, for the interop tests.
//
// usage: NODE_PATH=/usr/share/nodejs node socks_client.js COMMAND PROXY_HOST PROXY_PORT TARGET_HOST TARGET_PORT [USER PASSWORD]
//
//   connect  GET /hello.txt from the tests' loopback HTTP target; the answer must be a 200 carrying HTTP_BODY
//   bind     BIND with TARGET as DST; a peer socket of ours connects to the address of the first reply, the second
//            reply must name that peer, then FROM_PEER goes to the binder and FROM_BINDER back
//   udp      UDP ASSOCIATE naming 0.0.0.0:0, one datagram PING to the tests' UDP echo from a socket of the relay's
//            family; the answer must be 'echo:' + PING, from the target
//
// Prints COMMAND-OK (CONNECT-OK, BIND-OK, UDP-OK) once its own check passed; otherwise exits 1 with the reason on
// stderr. The payloads are what the C# tests count and serve (LoopbackTargets.cs, OurServerLibraryTests.cs).
const net = require('node:net');
const dgram = require('node:dgram');
const { SocksClient } = require('socks');

const TIMEOUT_MS = 5000;
const HTTP_BODY = 'hello-from-loopback-http\n';
const PING = 'ping-udp';
const FROM_PEER = 'hello-from-peer';
const FROM_BINDER = 'hello-from-binder';

const args = process.argv.slice(2);
if (args.length !== 5 && args.length !== 7) {
  console.error('usage: socks_client.js connect|bind|udp PROXY_HOST PROXY_PORT TARGET_HOST TARGET_PORT [USER PASSWORD]');
  process.exit(2);
}
const [command, proxyHost, proxyPort, targetHost, targetPort, user, password] = args;
// SOCKS_VERSION=4: the library's SOCKS4 client (CONNECT; the user name is sent as USERID, the password is not).
const proxy = { host: proxyHost, port: Number(proxyPort), type: Number(process.env.SOCKS_VERSION || 5) };
if (user !== undefined) {
  proxy.userId = user;
  proxy.password = password;
}
const target = { host: targetHost, port: Number(targetPort) };

function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

// A zero address (or none) in a reply means "the proxy's own address": reach it where we reached the proxy.
function reachable(host) {
  return !host || host === '0.0.0.0' || host === '::' ? proxyHost : host;
}

function readToEnd(socket) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.once('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.once('error', reject);
  });
}

function readExactly(socket, count, who) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let length = 0;
    const onData = (chunk) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= count) {
        socket.off('data', onData);
        resolve(Buffer.concat(chunks).toString('latin1'));
      }
    };
    socket.on('data', onData);
    socket.once('end', () => reject(new Error(`${who}: closed after ${length} of ${count} bytes`)));
    socket.once('error', reject);
  });
}

// The events of one SocksClient (BIND and UDP ASSOCIATE need its events, not just the promise of createConnection).
function start(options) {
  const client = new SocksClient({ proxy, timeout: TIMEOUT_MS, ...options });
  const failed = new Promise((_, reject) => client.once('error', reject));
  const when = (event) => {
    const happened = Promise.race([new Promise((resolve) => client.once(event, resolve)), failed]);
    happened.catch(() => {}); // UDP ASSOCIATE never awaits 'bound': its failure is reported through 'established'
    return happened;
  };
  const events = { bound: when('bound'), established: when('established') };
  client.connect();
  return events;
}

async function runConnect() {
  const { socket } = await SocksClient.createConnection({ proxy, command: 'connect', destination: target, timeout: TIMEOUT_MS });
  const answer = readToEnd(socket);
  socket.write(`GET /hello.txt HTTP/1.0\r\nHost: ${target.host}\r\n\r\n`);
  const text = await answer;
  const split = text.indexOf('\r\n\r\n');
  check(text.startsWith('HTTP/1.0 200 ') && split >= 0 && text.slice(split + 4) === HTTP_BODY, `unexpected HTTP answer: ${JSON.stringify(text)}`);
}

async function runBind() {
  const events = start({ command: 'bind', destination: target });
  const { remoteHost: listener } = await events.bound;
  console.log(`first reply: ${listener.host} ${listener.port}`);

  const peer = net.connect({ host: reachable(listener.host), port: listener.port });
  await new Promise((resolve, reject) => {
    peer.once('connect', resolve);
    peer.once('error', reject);
  });
  const { remoteHost: seen, socket: binder } = await events.established;
  console.log(`second reply: ${seen.host} ${seen.port}`);
  check(seen.host === peer.localAddress && seen.port === peer.localPort, `the second reply names ${seen.host} ${seen.port}, the peer is ${peer.localAddress} ${peer.localPort}`);

  const atBinder = readExactly(binder, FROM_PEER.length, 'binder');
  peer.write(FROM_PEER);
  check((await atBinder) === FROM_PEER, 'the binder got other bytes than the peer sent');
  const atPeer = readExactly(peer, FROM_BINDER.length, 'peer');
  binder.write(FROM_BINDER);
  check((await atPeer) === FROM_BINDER, 'the peer got other bytes than the binder sent');
  peer.destroy();
  binder.destroy();
}

async function runUdp() {
  const events = start({ command: 'associate', destination: { host: '0.0.0.0', port: 0 } });
  const { remoteHost: relay, socket: control } = await events.established;
  console.log(`relay: ${relay.host} ${relay.port}`);
  const relayHost = reachable(relay.host);
  const udp = dgram.createSocket(net.isIPv6(relayHost) ? 'udp6' : 'udp4');
  const answer = new Promise((resolve, reject) => {
    udp.once('message', resolve);
    udp.once('error', reject);
  });
  udp.send(SocksClient.createUDPFrame({ remoteHost: target, data: Buffer.from(PING) }), relay.port, relayHost);
  const frame = SocksClient.parseUDPFrame(await answer);
  const data = frame.data.toString('latin1');
  console.log(`UDP answer from ${frame.remoteHost.host} ${frame.remoteHost.port}: ${data}`);
  check(data === 'echo:' + PING, 'unexpected UDP answer');
  check(frame.remoteHost.host === target.host && frame.remoteHost.port === target.port, 'UDP answer not from the target');
  udp.close();
  control.destroy();
}

const runs = { connect: runConnect, bind: runBind, udp: runUdp };
if (!runs[command]) {
  console.error(`unknown command '${command}': connect, bind or udp`);
  process.exit(2);
}

// Nothing may hang the test: the whole run has a deadline.
setTimeout(() => {
  console.error(`${command}: no answer in time`);
  process.exit(1);
}, 2 * TIMEOUT_MS).unref();

runs[command]().then(
  () => {
    console.log(command.toUpperCase() + '-OK');
    process.exit(0);
  },
  (error) => {
    console.error(`${command} failed: ${error.message}`);
    process.exit(1);
  });
