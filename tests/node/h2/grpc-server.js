'use strict';
// h2/grpc-server.js: a @grpc/grpc-js server (insecure: h2c) with two unary
// methods, for issue 15's gRPC streams. grpc-js is not vendored: unpack it
// (and its one load-time dependency) under build/grpc-js/node_modules (tools/fetch-grpc-js.sh), see
// doc/node-http2-internals.md §8; $WEFT_GRPC_MODULES overrides that folder.
//
//	node grpc-server.js
//
// Service weft.Test (no .proto: raw bytes in, raw bytes out):
//
//	/weft.Test/Ok     replies at once
//	/weft.Test/Leak   one dgram udp4 socket bound to 127.0.0.1:0 (UDPWRAP),
//	                  kept forever; replies in the bind callback -> 1 LEAK
//	/weft.Test/Exit   replies; shuts the server down, prints the stdout line,
//	                  process.exit(0) 100 ms later
//	/weft.Test/Self   calls this very server's /weft.Test/Ok (a new client,
//	                  closed after), replies when it returns: the inner call
//	                  comes in on the startup listener: no conflation
//	/weft.Test/Nested the first one starts a second server (kept forever: its
//	                  TCPSERVERWRAP -> 1 LEAK), every one calls its
//	                  /weft.Test/Inner (a new client, closed after) and replies
//	                  when it returns: each Inner call begins in the first
//	                  Nested call's context (conflation; stale after it ended)
//
// Startup, port file, $WEFT_TEST_WAIT, log ($WEFT_TEST_LOG, else stderr) and
// stdout ("grpcserver served N calls") as h2/server.js, with the prefix
// "grpcserver": "grpcserver listening port=P pid=PID", "grpcserver call
// path=/weft.Test/Ok", "grpcserver exit". Each call is one inbound HTTP/2
// stream: POST, :path = the method's path, content-type application/grpc.

const fs = require('fs');
const path = require('path');
const dgram = require('dgram');

const modules = process.env.WEFT_GRPC_MODULES ||
  path.join(__dirname, '..', '..', '..', 'build', 'grpc-js', 'node_modules');
let grpc;
try {
  grpc = require(path.join(modules, '@grpc', 'grpc-js'));
} catch (e) {
  fs.writeSync(2, `target: @grpc/grpc-js not found under ${modules}: ${e.message}\n`);
  process.exit(3);
}

let logFd = -1;
function tlog(line) {
  if (logFd < 0) {
    logFd = 2;
    const p = process.env.WEFT_TEST_LOG;
    if (p) {
      try { logFd = fs.openSync(p, 'a'); } catch (e) { /* stay on stderr */ }
    }
  }
  fs.writeSync(logFd, line + '\n');
}

function die(msg) {
  fs.writeSync(2, 'target: ' + msg + '\n');
  process.exit(2);
}

function targetWait() {
  const p = process.env.WEFT_TEST_WAIT;
  if (!p) return;
  for (let i = 0; i < 1000; i++) {
    if (fs.existsSync(p)) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
  die(`WEFT_TEST_WAIT: ${p} did not appear within 10 s`);
}

const raw = (b) => b;
function unary(name) {
  return {
    path: `/weft.Test/${name}`, requestStream: false, responseStream: false,
    requestSerialize: raw, requestDeserialize: raw,
    responseSerialize: raw, responseDeserialize: raw,
  };
}
const service = {
  Ok: unary('Ok'), Leak: unary('Leak'), Exit: unary('Exit'), Self: unary('Self'),
  Nested: unary('Nested'),
};
let ownPort = 0;
let inner = null; // { port }: the server the first Nested started

// one call to 127.0.0.1:port, on a client of its own, closed after. The
// ipv4: scheme: grpc-js's dns resolver defers to setImmediate (a JS-only
// continuation, which weft does not see); its ipv4 one to process.nextTick
function callOnce(port, method, cb) {
  const c = new grpc.Client(`ipv4:127.0.0.1:${port}`, grpc.credentials.createInsecure());
  c.makeUnaryRequest(method, raw, raw, Buffer.from('x'), (err) => {
    c.close();
    if (err) die(`${method}: ${err.message}`);
    cb();
  });
}

const leaked = [];
let served = 0;
const server = new grpc.Server();

function call(name, fn) {
  return (c, cb) => {
    served++;
    tlog(`grpcserver call path=/weft.Test/${name}`);
    fn(cb);
  };
}
server.addService(service, {
  Ok: call('Ok', (cb) => cb(null, Buffer.from('ok'))),
  Leak: call('Leak', (cb) => {
    const sock = dgram.createSocket('udp4');
    leaked.push(sock);
    sock.bind(0, '127.0.0.1', () => cb(null, Buffer.from('leak')));
  }),
  Self: call('Self', (cb) => callOnce(ownPort, '/weft.Test/Ok', () => cb(null, Buffer.from('self')))),
  Nested: call('Nested', (cb) => {
    const go = () => callOnce(inner.port, '/weft.Inner/Inner', () => cb(null, Buffer.from('nested')));
    if (inner) return go();
    const srv = new grpc.Server();
    srv.addService({ Inner: { ...unary('Inner'), path: '/weft.Inner/Inner' } },
      { Inner: (c, icb) => icb(null, Buffer.from('inner')) });
    srv.bindAsync('ipv4:127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
      if (err) die(`inner bind: ${err.message}`);
      inner = { port, srv };
      go();
    });
  }),
  Exit: call('Exit', (cb) => {
    cb(null, Buffer.from('exit'));
    setTimeout(() => {
      fs.writeSync(1, `grpcserver served ${served} calls\n`);
      tlog('grpcserver exit');
      server.forceShutdown();
      setTimeout(() => process.exit(0), 100);
    }, 20);
  }),
});

server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) die(`bind: ${err.message}`);
  ownPort = port;
  tlog(`grpcserver listening port=${port} pid=${process.pid}`);
  targetWait();
  const pf = process.env.WEFT_TEST_PORT_FILE;
  if (pf) {
    const tmp = `${pf}.tmp${process.pid}`;
    fs.writeFileSync(tmp, `${port}\n`);
    fs.renameSync(tmp, pf);
  }
});
