'use strict';
// h2/server.js: an HTTP/2 server (h2c: cleartext, prior knowledge, no TLS)
// whose inbound streams are the transactions weft should see (issue 15).
//
//	node server.js          (CommonJS, no dependencies; Node 20, 22, 24, 26)
//
// Startup (outside any stream): listens on 127.0.0.1:0, logs
// "h2server listening port=P pid=PID", waits for $WEFT_TEST_WAIT (if set),
// then writes "P\n" to $WEFT_TEST_PORT_FILE (if set; temp name + rename):
// the port file means "ready". Drive it with client.js (another process).
// Routes (the 'stream' event; :status 200 and a short body unless noted):
//
//	/ok     responds at once
//	/leak   one setInterval(1 h) (a JS Timeout: no native AsyncWrap) and
//	        one dgram udp4 socket bound to 127.0.0.1:0 (UDPWRAP), both kept
//	        forever; responds in the bind callback          -> 1 LEAK
//	/exit   responds; on the stream's 'close' closes the server and every
//	        session, prints the stdout line, process.exit(0) 100 ms later
//	other   404
//
// Stdout: exactly one line, at /exit: "h2server served N streams" (/exit
// included). Log ($WEFT_TEST_LOG, appended, else stderr; synchronous):
//
//	h2server listening port=P pid=PID
//	h2server stream id=S method=GET path=/ok     (the 'stream' handler)
//	h2server done id=S path=/ok                  (the stream's 'close')
//	h2server exit
//
// Native resources (async_hooks): per session (connection) TCPWRAP and
// HTTP2SESSION; per inbound stream one HTTP2STREAM, created natively while
// nghttp2 parses the HEADERS frame (Http2Stream::New), before any JS runs;
// the 'stream' event runs in a callback scope of the HTTP2SESSION (see
// doc/node-http2-internals.md).

const fs = require('fs');
const http2 = require('http2');
const dgram = require('dgram');

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

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function targetWait() {
  const p = process.env.WEFT_TEST_WAIT;
  if (!p) return;
  for (let i = 0; i < 1000; i++) {
    if (fs.existsSync(p)) return;
    sleepSync(10);
  }
  die(`WEFT_TEST_WAIT: ${p} did not appear within 10 s`);
}

const leaked = [];   // kept forever: /leak's timers and sockets
const sessions = new Set();
let served = 0;

function reply(stream, status, body) {
  stream.respond({ ':status': status, 'content-type': 'text/plain' });
  stream.end(body);
}

const routes = {
  '/ok': (stream) => reply(stream, 200, 'ok'),
  '/leak': (stream) => {
    leaked.push(setInterval(() => {}, 3600 * 1000));
    const sock = dgram.createSocket('udp4');
    leaked.push(sock);
    sock.bind(0, '127.0.0.1', () => reply(stream, 200, 'leak'));
  },
  '/exit': (stream) => {
    stream.on('close', () => {
      fs.writeSync(1, `h2server served ${served} streams\n`);
      tlog('h2server exit');
      server.close();
      for (const s of sessions) s.close();
      setTimeout(() => process.exit(0), 100);
    });
    reply(stream, 200, 'exit');
  },
};

const server = http2.createServer();
server.on('session', (s) => {
  sessions.add(s);
  s.on('close', () => sessions.delete(s));
});
server.on('stream', (stream, headers) => {
  const path = headers[':path'];
  const id = stream.id;
  served++;
  tlog(`h2server stream id=${id} method=${headers[':method']} path=${path}`);
  stream.on('close', () => tlog(`h2server done id=${id} path=${path}`));
  stream.on('error', () => {});
  const h = routes[path];
  if (h) h(stream);
  else reply(stream, 404, 'not found');
});
server.on('error', (e) => die(`listen: ${e.message}`));
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  tlog(`h2server listening port=${port} pid=${process.pid}`);
  targetWait();
  const pf = process.env.WEFT_TEST_PORT_FILE;
  if (pf) {
    const tmp = `${pf}.tmp${process.pid}`;
    fs.writeFileSync(tmp, `${port}\n`);
    fs.renameSync(tmp, pf);
  }
});
