'use strict';
// h2/client.js: the load driver for h2/server.js, in its own process.
//
//	node client.js PORT [--parallel] PATH[*COUNT]...
//	e.g. node client.js 8080 /ok*5 /leak /exit
//
// Every request goes over ONE HTTP/2 session (h2c, prior knowledge) to
// 127.0.0.1:PORT, strictly one at a time in plan order (the next is sent once
// the previous response has ended): stream ids 1, 3, 5, ... in that order.
// --parallel: all at once instead (their HEADERS frames in one write, so the
// server reads several streams' HEADERS in one go).
// Success: "h2client done N" on stdout (N = requests), exit 0. Error
// (usage, session error, non-200, 10 s timeout): "h2client: ..." on stderr,
// exit 1 (usage: exit 2).

const fs = require('fs');
const http2 = require('http2');

function fail(msg, code) {
  fs.writeSync(2, `h2client: ${msg}\n`);
  process.exit(code || 1);
}

const usage = 'usage: client.js PORT [--parallel] PATH[*COUNT]...';
const argv = process.argv.slice(2);
const parallel = argv[1] === '--parallel';
if (parallel) argv.splice(1, 1);
const port = Number(argv[0]);
if (!Number.isInteger(port) || port < 1 || port > 65535) fail(usage, 2);
const plan = [];
for (const a of argv.slice(1)) {
  const m = /^(\/[^*]*)(?:\*(\d+))?$/.exec(a);
  if (!m) fail(usage, 2);
  const n = m[2] === undefined ? 1 : Number(m[2]);
  if (n < 1) fail(usage, 2);
  for (let i = 0; i < n; i++) plan.push(m[1]);
}
if (!plan.length) fail(usage, 2);

const timer = setTimeout(() => fail('timeout (10 s)'), 10000);
const session = http2.connect(`http://127.0.0.1:${port}`);
session.on('error', (e) => fail(`session: ${e.message}`));

let done = 0;
function finished() {
  clearTimeout(timer);
  fs.writeSync(1, `h2client done ${done}\n`);
  session.close();
}
if (parallel) {
  session.on('connect', () => {
    for (const path of plan) {
      const req = session.request({ ':method': 'GET', ':path': path });
      let status = 0;
      req.on('response', (h) => { status = h[':status']; });
      req.on('error', (e) => fail(`${path}: ${e.message}`));
      req.resume();
      req.on('end', () => {
        if (status !== 200) fail(`${path}: status ${status}`);
        if (++done === plan.length) finished();
      });
      req.end();
    }
  });
}
function next() {
  if (done === plan.length) return finished();
  const path = plan[done];
  const req = session.request({ ':method': 'GET', ':path': path });
  let status = 0;
  req.on('response', (h) => { status = h[':status']; });
  req.on('error', (e) => fail(`${path}: ${e.message}`));
  req.resume();
  req.on('end', () => {
    // /exit: the server may close the session right after responding.
    if (status !== 200) fail(`${path}: status ${status}`);
    done++;
    next();
  });
  req.end();
}
if (!parallel) next();
