'use strict';
// nodeload: the load generator of weft's Node overhead benchmark
// (tools/bench/5-node.sh, section 5), for nodehttpbench.js, in its own process.
//
//	node nodeload.js PORT REQUESTS CONNECTIONS [--exit]
//	node nodeload.js PORT 0 0 --exit
//
// (CommonJS, no dependencies; Node 20, 22, 24.)
//
// CONNECTIONS keep-alive connections to 127.0.0.1:PORT, through one
// http.Agent { keepAlive: true, maxSockets: CONNECTIONS }. First one
// untimed warm-up GET /work per connection (all sent at once, so the agent
// opens CONNECTIONS sockets), then REQUESTS timed GET /work: CONNECTIONS
// loops, each sending its next request when the previous response body has
// ended (a shared counter hands them out), so at most CONNECTIONS are in
// flight and every request finds a connection. Timed from the first timed
// request to the last timed response (process.hrtime, monotonic). With
// --exit, then one GET /exit on the same agent (the server exits after
// responding); not timed. So the server handles REQUESTS + CONNECTIONS
// (+ 1) requests in all. `PORT 0 0 --exit`: only the GET /exit (what
// tools/bench/5-node.sh does once it has read what it needs from the running
// server).
//
// Success: one line on stdout, exit 0:
//
//	nodeload requests=N conns=C elapsed_ns=E req_per_s=R
//	nodeload exit                                 (PORT 0 0 --exit)
//
// Any error (usage, connection error, a status other than 200, a 10 s
// timeout on one request, more sockets than CONNECTIONS, 120 s in all):
// one line "nodeload: ..." on stderr, exit 1 (usage: exit 2).

const fs = require('fs');
const http = require('http');

function fail(msg, code) {
  fs.writeSync(2, `nodeload: ${msg}\n`);
  process.exit(code || 1);
}

const usage = 'usage: nodeload.js PORT REQUESTS CONNECTIONS [--exit] | PORT 0 0 --exit';
const argv = process.argv.slice(2);
const withExit = argv[3] === '--exit';
if (argv.length !== (withExit ? 4 : 3)) fail(usage, 2);
const [port, total, conns] = argv.slice(0, 3).map(Number);
if (!Number.isInteger(port) || port < 1 || port > 65535) fail(usage, 2);
const exitOnly = withExit && total === 0 && conns === 0;
if (!exitOnly) {
  if (!Number.isInteger(total) || total < 1) fail(usage, 2);
  if (!Number.isInteger(conns) || conns < 1 || conns > 1000) fail(usage, 2);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: exitOnly ? 1 : conns });
const sockets = new Set();

function get(path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`GET ${path}: status ${res.statusCode}`));
        else resolve();
      });
      res.on('error', (e) => reject(new Error(`GET ${path}: ${e.message}`)));
    });
    req.on('socket', (s) => {
      sockets.add(s);
      if (sockets.size > agent.maxSockets) req.destroy(new Error(`${sockets.size} sockets, more than ${conns} connections`));
    });
    req.setTimeout(10000, () => req.destroy(new Error(`GET ${path}: no response in 10 s`)));
    req.on('error', (e) => reject(new Error(`GET ${path}: ${e.message}`)));
  });
}

async function main() {
  setTimeout(() => fail('not done after 120 s'), 120000).unref();
  if (exitOnly) {
    await get('/exit');
    agent.destroy();
    fs.writeSync(1, 'nodeload exit\n');
    process.exit(0);
  }
  const warm = [];
  for (let i = 0; i < conns; i++) warm.push(get('/work'));
  await Promise.all(warm);
  let left = total;
  async function loop() {
    while (left > 0) {
      left--;
      await get('/work');
    }
  }
  const loops = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < conns; i++) loops.push(loop());
  await Promise.all(loops);
  const ns = process.hrtime.bigint() - t0;
  if (withExit) await get('/exit');
  agent.destroy();
  const rate = total / (Number(ns) / 1e9);
  fs.writeSync(1, `nodeload requests=${total} conns=${sockets.size} elapsed_ns=${ns} ` +
    `req_per_s=${rate.toFixed(1)}\n`);
  process.exit(0);
}

main().catch((e) => fail(e.message));
