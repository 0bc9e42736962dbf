'use strict';
// nodehttp: an HTTP/1 server whose routes create known native async resources
// (node::AsyncWrap subclasses) inside each request: none, fs requests, a
// leaked UDP socket, a late-closed UDP socket, a nested server + request, a
// request to itself, thread-pool crypto work, and a worker thread.
//
//	node nodehttp.js       (CommonJS, no dependencies; Node 20, 22, 24, 26)
//
// Startup (outside any request): listens on 127.0.0.1:0 (an ephemeral port),
// logs "nodehttp listening port=P pid=PID", waits for $WEFT_TEST_WAIT (if
// set), then writes "P\n" to $WEFT_TEST_PORT_FILE (if set; temp name +
// rename), so the port file means "ready for requests". Drive it with
// nodeclient.js (another process). Routes (200, short body, keep-alive kept):
//
//	/ok      res.end("ok") at once
//	/fs      fs.readFile(__filename) then responds
//	/leak    one dgram udp4 socket bound to 127.0.0.1:0, kept forever; responds
//	         in the bind callback                               -> 1 LEAK
//	/late    like /leak, but sock.close() 20 ms after responding: no leak at
//	         500 ms grace, a leak at 1 ms grace
//	/nested  the FIRST /nested creates a 2nd http server on 127.0.0.1:0 (the
//	         "inner" server, kept until /exit); every /nested then does one
//	         http.get(inner /inner, agent: false) and responds on its 'end'
//	/inner   (any server) res.end("inner") at once
//	/agent   one http.get(own port /ok) through a keep-alive agent (one
//	         socket): the first /agent opens the socket, later ones reuse it;
//	         between them it idles in the agent's pool (pooled, not leaked)
//	/self    one http.get(127.0.0.1:own port /ok, agent: false) to this very
//	         server (the startup listener); responds on the inner body's 'end'
//	/crypto  crypto.pbkdf2('pw', 'salt', 1000, 32, 'sha256') (libuv thread
//	         pool), responds in its callback
//	/worker  one worker_threads Worker (code eval'd from a string): it
//	         fs.readFile()s nodehttp.js (path via workerData: an eval'd
//	         worker's __filename is "[worker eval]"), posts one message and
//	         ends (empty loop); responds on the Worker's 'exit'
//	/exit    responds; on 'finish' closes both servers, prints the stdout
//	         line, process.exit(0) 100 ms later (leaked sockets stay open)
//	other    404
//
// Native resources created during each request (async_hooks self-check,
// identical on Node 20.20.2, 22.23.3, 24.21.0, and on 26.12.1 but for
// readFile (see /fs and /worker); +SHUTDOWNWRAP:1 on a request
// whose connection is not keep-alive (nodeclient --new-conn): the server
// ends the socket in the 'finish' turn, just after writing the response):
//
//	/ok      none (no WRITEWRAP: small writes complete in libuv's try-write)
//	/fs      FSREQCALLBACK:4 (open, fstat, 1 read, close); the close request
//	         is destroyed when its callback (the one that responds) returns.
//	         Node 26: FSREQCALLBACK:1 (readFile is one native job)
//	/leak    UDPWRAP:1, alive (createSocket; bind resolves the IP literal via
//	         process.nextTick: no GETADDRINFOREQWRAP)
//	/late    UDPWRAP:1, destroyed ~20 ms after the response
//	/nested  first:  TCPSERVERWRAP:1 (inner server, alive until /exit: a LEAK
//	           of the first /nested), TCPWRAP:1 + TCPCONNECTWRAP:1 (client
//	           socket), HTTPCLIENTREQUEST:1 (client parser), HTTPINCOMINGMESSAGE:1
//	           (the inner server's parser for that connection), SHUTDOWNWRAP:1
//	           (the client socket, ended when the inner response ends: agent
//	           false means Connection: close)
//	         later:  TCPWRAP:1, TCPCONNECTWRAP:1, HTTPCLIENTREQUEST:1, SHUTDOWNWRAP:1
//	         Besides TCPSERVERWRAP all are closed within ms of the response
//	         (around it: don't assert /nested at 1 ms grace).
//	/inner   SHUTDOWNWRAP:1 (the client sent Connection: close)
//	/self    TCPWRAP:1 + TCPCONNECTWRAP:1 (client socket), HTTPCLIENTREQUEST:1
//	         (client parser), SHUTDOWNWRAP:1 (the client socket, ended at the
//	         inner response's end), every /self alike; all closed within ms
//	         of the response (around it: as /nested, not at 1 ms grace). NOT
//	         the server side of that connection: its accepted TCPWRAP and
//	         HTTPINCOMINGMESSAGE are created outside any request (the startup
//	         listener's context, see below); the inner GET /ok is a request
//	         of its own (ctx=none; SHUTDOWNWRAP:1: it came with Connection:
//	         close), served and counted like any.
//	/crypto  PBKDF2REQUEST:1, destroyed once its callback (which responds)
//	         returns
//	/worker  WORKER:1, MESSAGEPORT:5 (the Worker's internal port, the 2
//	         ports of its public MessageChannel, the 2 of the main-thread
//	         messaging channel), every /worker alike; the ports are destroyed
//	         around 'exit', the WORKER within ms after it (around the
//	         response: not at 1 ms grace; atend: WORKER:1, at times also
//	         MESSAGEPORT:3, async_hooks deferring their destroy; alive: none).
//	         The worker thread is another environment: the main thread's
//	         hooks never see its resources. Its own hook (enabled first thing
//	         in its code; a --require preload sees the same) sees
//	         FSREQCALLBACK:4 (its readFile; 1 on 26), not its ends of the ports, made
//	         during its bootstrap, before any hook can exist.
//	/exit    none
//
// Outside any request: DNSCHANNEL:1 (dns' default resolver: net loads dns
// lazily at the first listen with a host), TCPSERVERWRAP:1; per connection
// TCPWRAP:1 + HTTPINCOMINGMESSAGE:1 (one parser per connection, reused by
// its keep-alive requests), including the connection each /self opens to
// its own server; SHUTDOWNWRAP:1 when the client closes a keep-alive
// connection (EOF).
//
// Conflation (/nested): let A be the first /nested. The inner server's
// TCPSERVERWRAP is created in A's context (in a nextTick callback queued by
// A's handler: listen's dns.lookup shortcut for the IP literal). Each inner
// connection's TCPWRAP is created natively in that server's connection
// callback (async_hooks: executionAsyncId 0, trigger = the TCPSERVERWRAP),
// its HTTPINCOMINGMESSAGE in the JS onconnection callback (A's context); so
// EVERY GET /inner begins in A's context: all /inner requests are conflated
// with A, including those made by later /nested B, C... (A has ended by
// then: their inner-connection resources are created in an ended request's
// context). Outer requests are never conflated. E.g. /nested*3: 6 requests
// (A, /inner, B, /inner, C, /inner), 3 conflated, all with A; 1 leak (A).
// /self is the control: its inner GET /ok comes in on the startup listener,
// created outside any request, so that request is a fresh root (ctx=none)
// though /self is still open: no conflation, no leak. /crypto, /worker: no
// conflation, no leak.
//
// Stdout: exactly one line, at /exit just before process.exit (nothing else
// is ever written to stdout, so it is the same with or without a tracer):
//
//	nodehttp served N requests
//
// N: requests handled by the outer server (the startup listener), /exit
// included; the inner server's /inner are not counted, /self's inner /ok are
// (2 per /self). E.g. /ok*3 /fs*2 /leak*2 /late /nested*3, then /exit: 12.
//
// Log ($WEFT_TEST_LOG, appended, else stderr; never stdout; synchronous):
//
//	nodehttp listening port=P pid=PID
//	nodehttp req method=GET url=/ok            (handler entry)
//	nodehttp done url=/ok                      (the response's 'finish')
//	nodehttp exit                              (/exit, just before exiting)
//
// NODEHTTP_SELFCHECK=1 (async_hooks + AsyncLocalStorage; off by default so
// the traced process has no hooks): requests numbered n in arrival order
// (both servers); 600 ms after each 'finish' (or at /exit, if sooner):
//
//	nodehttp selfcheck n=I url=U ctx=none|nJ types=T:N,.. atend=.. alive=.. js=..
//
// ctx: the request whose context was current at handler entry (conflation);
// types: native types created while the request was open (entry..'finish');
// atend / alive: not yet destroyed at 'finish' / 600 ms later (async_hooks
// destroy is deferred, so atend overstates); js: JS-only types (timers,
// ticks). "nodehttp selfcheck late n=J url=U type=T": native resource created
// in ended request J's context. "nodehttp selfcheck worker types=T:N,..": what
// a /worker thread's own hook saw. At /exit: "nodehttp selfcheck outside types=..".

const fs = require('fs');
const http = require('http');
const dgram = require('dgram');
const crypto = require('crypto');
const { Worker } = require('worker_threads');

// ---- shared test-target helpers: synchronous, so they create no resource ----

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

// sleepSync blocks the whole thread (no timer, no native resource).
function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// targetWait holds until $WEFT_TEST_WAIT exists (if set): polls every 10 ms, up to 10 s.
function targetWait() {
  const p = process.env.WEFT_TEST_WAIT;
  if (!p) return;
  for (let i = 0; i < 1000; i++) {
    if (fs.existsSync(p)) return;
    sleepSync(10);
  }
  die(`WEFT_TEST_WAIT: ${p} did not appear within 10 s`);
}

// ---- self-check (NODEHTTP_SELFCHECK=1): async_hooks attribution per request ----

// Resource types that are JS-only (no native AsyncWrap behind them).
const JS_TYPES = new Set(['Timeout', 'Immediate', 'TickObject', 'PROMISE', 'Microtask']);

function countStr(m) {
  const keys = [...m.keys()].sort();
  return keys.length ? keys.map((k) => `${k}:${m.get(k)}`).join(',') : '-';
}
function bump(m, k) { m.set(k, (m.get(k) || 0) + 1); }

function makeSelfCheck() {
  const ah = require('async_hooks');
  const als = new ah.AsyncLocalStorage();
  const owner = new Map();        // asyncId -> request record (created while it was open)
  const outside = new Map();      // native types created outside any open request
  const pending = new Set();      // records whose report is not printed yet
  let seq = 0;
  ah.createHook({
    init(id, type) {
      const rec = als.getStore(); // the request whose context is current
      if (JS_TYPES.has(type)) {
        if (rec && rec.open) bump(rec.js, type);
        return;
      }
      if (!rec) { bump(outside, type); return; }
      if (!rec.open) { // created in an ended request's context (e.g. its server)
        tlog(`nodehttp selfcheck late n=${rec.n} url=${rec.url} type=${type}`); // sync: safe in a hook
        return;
      }
      bump(rec.types, type);
      rec.alive.set(id, type);
      owner.set(id, rec);
    },
    destroy(id) {
      const rec = owner.get(id);
      if (rec) { rec.alive.delete(id); owner.delete(id); }
    },
  }).enable();

  function aliveStr(rec) {
    const m = new Map();
    for (const t of rec.alive.values()) bump(m, t);
    return countStr(m);
  }
  function report(rec) {
    if (!pending.delete(rec)) return;
    tlog(`nodehttp selfcheck n=${rec.n} url=${rec.url} ctx=${rec.ctx} types=${countStr(rec.types)} ` +
      `atend=${rec.atend} alive=${aliveStr(rec)} js=${countStr(rec.js)}`);
  }
  return {
    // run: fn runs as request n; the record closes at the response's 'finish'
    // and is reported 600 ms later (alive = not destroyed by then: a leak).
    run(url, res, fn) {
      const cur = als.getStore();
      const rec = { n: seq++, url, ctx: cur ? `n${cur.n}` : 'none', open: true,
        types: new Map(), js: new Map(), alive: new Map() };
      pending.add(rec);
      res.on('finish', () => {
        rec.open = false;
        rec.atend = aliveStr(rec);
        setTimeout(() => report(rec), 600);
      });
      als.run(rec, fn);
    },
    flush() { // at exit: pending reports (alive as of now), then the rest
      for (const rec of [...pending]) report(rec);
      tlog(`nodehttp selfcheck outside types=${countStr(outside)}`);
    },
  };
}

const check = process.env.NODEHTTP_SELFCHECK === '1' ? makeSelfCheck() : null;

// ---- nodehttp ----

const leaked = [];   // /leak sockets: referenced forever, never closed
let inner = null;    // /nested's inner server, created by the first /nested
let served = 0;      // requests handled by the outer server (stdout at /exit)

// udpBound: one UDP socket bound to 127.0.0.1:0 (an IP literal: no DNS request).
function udpBound(cb) {
  const sock = dgram.createSocket('udp4');
  sock.on('error', (e) => die(`udp: ${e.message}`));
  sock.bind(0, '127.0.0.1', () => cb(sock));
}

function withInner(cb) {
  if (!inner) {
    inner = http.createServer(onRequest);
    inner.listen(0, '127.0.0.1');
  }
  if (inner.listening) cb(inner.address().port);
  else inner.once('listening', () => cb(inner.address().port));
}

// The /worker thread: reads a file asynchronously, posts one message, exits
// (its loop empties). With the self-check on it counts its own native
// resources (its hooks: the main thread's cannot see another environment).
const WORKER_SRC = `
const { parentPort, workerData } = require('worker_threads');
const types = {};
if (workerData.check) {
  const bump = (id, t) => { types[t] = (types[t] || 0) + 1; };
  require('async_hooks').createHook({ init: bump }).enable();
}
require('fs').readFile(workerData.path, (err, buf) => {
  parentPort.postMessage({ err: err && err.message, len: buf ? buf.length : 0, types });
});
`;

function runWorker(cb) {
  const workerData = { path: __filename, check: !!check };
  const w = new Worker(WORKER_SRC, { eval: true, workerData });
  let msg = null;
  w.on('message', (m) => { msg = m; });
  w.on('error', (e) => die(`worker: ${e.message}`));
  w.on('exit', (code) => { // messages posted before exit are delivered first
    if (code !== 0 || !msg || msg.err || !msg.len) {
      die(`worker: exit ${code}, message ${JSON.stringify(msg)}`);
    }
    if (check) {
      tlog(`nodehttp selfcheck worker types=${countStr(new Map(Object.entries(msg.types)))}`);
    }
    cb();
  });
}

const keepAliveAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

const routes = {
  '/ok': (req, res) => res.end('ok'),
  '/fs': (req, res) => fs.readFile(__filename, (err) => {
    if (err) die(`readFile: ${err.message}`);
    res.end('fs');
  }),
  '/leak': (req, res) => udpBound((sock) => {
    leaked.push(sock);
    res.end('leak');
  }),
  '/late': (req, res) => udpBound((sock) => {
    res.end('late');
    setTimeout(() => sock.close(), 20);
  }),
  '/nested': (req, res) => withInner((port) => {
    http.get({ host: '127.0.0.1', port, path: '/inner', agent: false }, (ires) => {
      ires.resume();
      ires.on('end', () => res.end('nested'));
    }).on('error', (e) => die(`nested: ${e.message}`));
  }),
  '/inner': (req, res) => res.end('inner'),
  // /self: a request to this very server from inside a request; its inner
  // /ok comes in on the startup listener: a fresh root (/nested's control).
  '/self': (req, res) => {
    const port = server.address().port;
    http.get({ host: '127.0.0.1', port, path: '/ok', agent: false }, (ires) => {
      ires.resume();
      ires.on('end', () => res.end('self'));
    }).on('error', (e) => die(`self: ${e.message}`));
  },
  // /agent: like /self, through one keep-alive agent (maxSockets 1): the
  // first /agent opens its socket; after each response the agent keeps the
  // socket idle in its pool (setKeepAlive + unref), and the next /agent
  // takes it again (asyncReset: a new identity in that request).
  '/agent': (req, res) => {
    const port = server.address().port;
    http.get({ host: '127.0.0.1', port, path: '/ok', agent: keepAliveAgent }, (ires) => {
      ires.resume();
      ires.on('end', () => res.end('agent'));
    }).on('error', (e) => die(`agent: ${e.message}`));
  },
  '/crypto': (req, res) => crypto.pbkdf2('pw', 'salt', 1000, 32, 'sha256', (err) => {
    if (err) die(`pbkdf2: ${err.message}`);
    res.end('crypto');
  }),
  '/worker': (req, res) => runWorker(() => res.end('worker')),
  '/exit': (req, res) => {
    res.on('finish', () => {
      server.close();
      if (inner) inner.close();
      setTimeout(() => {
        if (check) check.flush();
        tlog('nodehttp exit');
        fs.writeSync(1, `nodehttp served ${served} requests\n`); // the only stdout line
        process.exit(0);
      }, 100);
    });
    res.end('exit');
  },
};

function onRequest(req, res) {
  const url = req.url;
  tlog(`nodehttp req method=${req.method} url=${url}`);
  res.on('finish', () => tlog(`nodehttp done url=${url}`));
  const route = routes[url.split('?')[0]];
  const fn = route ? () => route(req, res) : () => { res.statusCode = 404; res.end('no'); };
  if (check) check.run(url, res, fn);
  else fn();
}

const server = http.createServer((req, res) => { served++; onRequest(req, res); });
server.on('error', (e) => die(`listen: ${e.message}`));
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  tlog(`nodehttp listening port=${port} pid=${process.pid}`);
  targetWait();
  const pf = process.env.WEFT_TEST_PORT_FILE;
  if (pf) { // temp name + rename: a reader never sees a partial file
    const tmp = `${pf}.tmp.${process.pid}`;
    fs.writeFileSync(tmp, `${port}\n`);
    fs.renameSync(tmp, pf);
  }
});
