'use strict';
// nodeclient: the load driver for nodehttp.js, in its own process so the
// server process sees no client-side resources.
//
//	node nodeclient.js PORT PLAN...
//	PLAN item: PATH[*COUNT] [--new-conn]      (COUNT defaults to 1)
//	           --loop SECONDS                 (repeat the items before it)
//	e.g.       node nodeclient.js 8080 /ok*4 /fs*2 /leak*2 /nested*2 --new-conn /exit
//	           node nodeclient.js 8080 /ok*5 --loop 3 /exit
//
// Requests go to 127.0.0.1:PORT strictly one at a time, in plan order (the
// next is sent once the previous response body has ended). By default all go
// over ONE keep-alive connection (http.Agent {keepAlive, maxSockets: 1});
// `--new-conn` after an item sends each of that item's requests on a fresh
// connection (agent: false: `Connection: close`, closed after the response).
// `--loop SECONDS` (decimal, > 0) repeats the items since the previous
// --loop (or the start) as whole rounds, starting a new round while less than
// SECONDS have passed since the first one began: steady load for a tracer
// to attach to / detach from (the total varies from run to run).
//
// Success: prints "nodeclient done N" (N = requests sent) to stdout, exit 0.
// Error (usage, connection error, non-200 status, 10 s timeout): one line
// "nodeclient: ..." on stderr, exit 1 (usage: exit 2).

const fs = require('fs');
const http = require('http');

function fail(msg, code) {
  fs.writeSync(2, `nodeclient: ${msg}\n`);
  process.exit(code || 1);
}

// parseArgs: the plan is a list of groups, each {items, loop} (loop: seconds,
// 0 = once); --loop closes the current group.
function parseArgs(argv) {
  const usage = 'usage: nodeclient.js PORT PATH[*COUNT] [--new-conn] [--loop SECONDS] ...';
  const port = Number(argv[0]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(usage, 2);
  const plan = [{ items: [], loop: 0 }];
  const args = argv.slice(1);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const items = plan[plan.length - 1].items;
    if (a === '--new-conn') {
      if (!items.length) fail(`--new-conn not after an item; ${usage}`, 2);
      items[items.length - 1].fresh = true;
      continue;
    }
    if (a === '--loop') {
      const secs = /^\d+(\.\d+)?$/.test(args[i + 1] || '') ? Number(args[++i]) : 0;
      if (!(secs > 0)) fail(`--loop needs SECONDS > 0; ${usage}`, 2);
      if (!items.length) fail(`--loop with no item before it; ${usage}`, 2);
      plan[plan.length - 1].loop = secs;
      plan.push({ items: [], loop: 0 });
      continue;
    }
    const m = /^(\/[^*\s]*)(?:\*(\d+))?$/.exec(a);
    if (!m) fail(`bad plan item '${a}'; ${usage}`, 2);
    items.push({ path: m[1], count: m[2] === undefined ? 1 : Number(m[2]), fresh: false });
  }
  if (!plan[plan.length - 1].items.length) plan.pop();
  if (!plan.length) fail(usage, 2);
  return { port, plan };
}

function get(port, path, agent) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`GET ${path}: status ${res.statusCode}`));
        else resolve();
      });
      res.on('error', reject);
    });
    req.setTimeout(10000, () => req.destroy(new Error(`GET ${path}: timeout`)));
    req.on('error', (e) => reject(new Error(`GET ${path}: ${e.message}`)));
  });
}

async function main() {
  const { port, plan } = parseArgs(process.argv.slice(2));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let n = 0;
  for (const group of plan) {
    const end = Date.now() + group.loop * 1000;
    do {
      for (const item of group.items) {
        for (let i = 0; i < item.count; i++) {
          await get(port, item.path, item.fresh ? false : agent);
          n++;
        }
      }
    } while (Date.now() < end);
  }
  agent.destroy(); // close the idle keep-alive connection: the process can end
  fs.writeSync(1, `nodeclient done ${n}\n`);
}

main().catch((e) => fail(e.message));
