'use strict';
// nodehttpbench: the server of weft's Node overhead benchmark
// (tools/bench/5-node.sh, section 5), driven from another process by nodeload.js.
//
//	node nodehttpbench.js MODE            MODE: plain | als | hooks
//	node nodehttpbench.js calibrate [US]
//
// (CommonJS, no dependencies; Node 20, 22, 24.)
//
// An HTTP/1 server on 127.0.0.1:0 (an ephemeral port). Once listening it
// writes "PORT\n" to $BENCH_PORT_FILE (if set; a temporary name, then
// rename: the file appears complete, and means "ready for requests").
// Routes (keep-alive kept):
//
//	GET /work  fs.stat(__filename, cb): one native FSREQCALLBACK (libuv's
//	           thread pool); in its callback ~100 us of CPU (BENCH_ITERS
//	           xorshift iterations, see calibrate), then 200 "ok"
//	GET /exit  200 "bye"; once the response has finished, writes one line
//	           to stderr and exits with status 0 (the clients' keep-alive
//	           connections with it):
//	             nodehttpbench served=N user_us=U system_us=S
//	           N: requests served, /exit included; U, S: the process's CPU
//	           time (process.cpuUsage(): all its threads, from its start)
//	other      404
//
// MODE, the in-process alternatives to an outside tracer:
//
//	plain  nothing else: what weft sees is the server as it is
//	als    every request is handled inside AsyncLocalStorage.run(store, ..),
//	       a new store per request (as an APM agent does), and the fs.stat
//	       callback reads it back (getStore()): a wrong store is a 500, so
//	       the context really follows the request
//	hooks  async_hooks.createHook({ init, destroy }), enabled before the
//	       server starts; init puts (asyncId -> type) in a Map, destroy
//	       deletes it: the cheapest bodies that still keep a per-resource
//	       record, every native and JS resource included
//
// Env: BENCH_ITERS (default 50000) xorshift iterations per /work;
// BENCH_PORT_FILE (above).
//
// calibrate: warms the loop up (the JIT's optimizing tier), then times 7
// runs of 200000 iterations and prints, from the fastest, the iterations
// that take about US microseconds (default 100) on this machine, on stderr,
// then exits:
//
//	nodehttpbench calibrate us=US iters=ITERS ns_per_iter=X
//
// Output goes through fs.writeSync (no process.stdout/stderr stream: on a
// pipe that would be a native PIPEWRAP of its own). The server writes
// nothing to stdout; on a usage error one line on stderr, exit 2. A server
// still running after 300 s exits with status 3 (an unref'ed timer).

const fs = require('fs');
const http = require('http');
const async_hooks = require('async_hooks');

function die(msg, code) {
  fs.writeSync(2, `nodehttpbench: ${msg}\n`);
  process.exit(code || 2);
}

// work: N rounds of a 32-bit xorshift; the result is returned so the loop
// is not dead code.
function work(seed, n) {
  let x = (seed | 0) || 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x;
}

function calibrate(us) {
  const n = 200000;
  let sink = 0;
  for (let i = 0; i < 50; i++) sink ^= work(i + 1, n); // warm-up: optimized code
  let best = Infinity;
  for (let i = 0; i < 7; i++) {
    const t = process.hrtime.bigint();
    sink ^= work(i + 7, n);
    const d = Number(process.hrtime.bigint() - t);
    if (d < best) best = d;
  }
  const per = best / n;
  fs.writeSync(2, `nodehttpbench calibrate us=${us} iters=${Math.round(us * 1000 / per)} ` +
    `ns_per_iter=${per.toFixed(3)}${sink === 0.5 ? ' ' : ''}\n`);
}

const usage = 'usage: nodehttpbench.js plain|als|hooks | calibrate [US]';
const mode = process.argv[2];
if (mode === 'calibrate') {
  const us = process.argv[3] === undefined ? 100 : Number(process.argv[3]);
  if (!(us > 0)) die(usage);
  calibrate(us);
  process.exit(0);
}
if (mode !== 'plain' && mode !== 'als' && mode !== 'hooks') die(usage);

const iters = process.env.BENCH_ITERS === undefined ? 50000 : Number(process.env.BENCH_ITERS);
if (!Number.isInteger(iters) || iters < 0) die(`bad BENCH_ITERS '${process.env.BENCH_ITERS}'`);

let als = null;
let seq = 0;
let served = 0;
let sink = 0;
if (mode === 'als') als = new async_hooks.AsyncLocalStorage();
if (mode === 'hooks') {
  const live = new Map();
  async_hooks.createHook({
    init(id, type) { live.set(id, type); },
    destroy(id) { live.delete(id); },
  }).enable();
}

function work200(req, res, store) {
  fs.stat(__filename, (err) => {
    if (err) {
      res.writeHead(500);
      res.end(err.message);
      return;
    }
    if (als && als.getStore() !== store) {
      res.writeHead(500);
      res.end('AsyncLocalStorage: wrong store in the fs.stat callback');
      return;
    }
    sink ^= work(store ? store.n : 1, iters);
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '2' });
    res.end('ok');
  });
}

function onRequest(req, res) {
  served++;
  if (req.method === 'GET' && req.url === '/work') {
    if (als) {
      const store = { n: ++seq, url: req.url };
      als.run(store, work200, req, res, store);
    } else {
      work200(req, res, null);
    }
    return;
  }
  if (req.method === 'GET' && req.url === '/exit') {
    res.on('finish', () => {
      const cpu = process.cpuUsage();
      fs.writeSync(2, `nodehttpbench served=${served} user_us=${cpu.user} system_us=${cpu.system}\n`);
      process.exit(sink === 0.5 ? 1 : 0);
    });
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '3' });
    res.end('bye');
    return;
  }
  res.writeHead(404, { 'Content-Length': '0' });
  res.end();
}

setTimeout(() => die('still running after 300 s', 3), 300000).unref();

const server = http.createServer(onRequest);
server.on('error', (e) => die(`server: ${e.message}`));
server.listen(0, '127.0.0.1', () => {
  const pf = process.env.BENCH_PORT_FILE;
  if (pf) {
    const tmp = `${pf}.tmp${process.pid}`;
    fs.writeFileSync(tmp, `${server.address().port}\n`);
    fs.renameSync(tmp, pf);
  }
});
