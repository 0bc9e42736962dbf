'use strict';
// h2/grpc-client.js: the driver for h2/grpc-server.js (grpc-js found as
// there). Calls go one at a time over one channel (one HTTP/2 session).
//
//	node grpc-client.js PORT METHOD[*COUNT]...     e.g. 8080 Ok*5 Leak Exit
//
// Success: "grpcclient done N" on stdout, exit 0. Error: "grpcclient: ..." on
// stderr, exit 1 (usage: 2; grpc-js missing: 3).

const fs = require('fs');
const path = require('path');

function fail(msg, code) {
  fs.writeSync(2, `grpcclient: ${msg}\n`);
  process.exit(code || 1);
}

const modules = process.env.WEFT_GRPC_MODULES ||
  path.join(__dirname, '..', '..', '..', 'build', 'grpc-js', 'node_modules');
let grpc;
try {
  grpc = require(path.join(modules, '@grpc', 'grpc-js'));
} catch (e) {
  fail(`@grpc/grpc-js not found under ${modules}: ${e.message}`, 3);
}

const usage = 'usage: grpc-client.js PORT METHOD[*COUNT]...';
const argv = process.argv.slice(2);
const port = Number(argv[0]);
if (!Number.isInteger(port) || port < 1 || port > 65535) fail(usage, 2);
const plan = [];
for (const a of argv.slice(1)) {
  const m = /^(Ok|Leak|Exit|Self|Nested)(?:\*(\d+))?$/.exec(a);
  if (!m) fail(usage, 2);
  const n = m[2] === undefined ? 1 : Number(m[2]);
  for (let i = 0; i < n; i++) plan.push(m[1]);
}
if (!plan.length) fail(usage, 2);

const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
const raw = (b) => b;
const timer = setTimeout(() => fail('timeout (10 s)'), 10000);
let done = 0;
function next() {
  if (done === plan.length) {
    clearTimeout(timer);
    fs.writeSync(1, `grpcclient done ${done}\n`);
    client.close();
    return;
  }
  const m = plan[done];
  client.makeUnaryRequest(`/weft.Test/${m}`, raw, raw, Buffer.from('x'), (err) => {
    if (err) fail(`${m}: ${err.message}`);
    done++;
    next();
  });
}
next();
