'use strict';
// nodeshape: an HTTP/1 server whose routes have known CPU and blocking
// shapes, for the profiler (-F, --off-cpu). Drive it with nodeclient.js.
//
//	node --perf-basic-prof --interpreted-frames-native-stack nodeshape.js [MS]
//	(CommonJS, no dependencies; Node 20, 22, 24, 26; MS per request, default 20)
//
// The two flags make V8 write /tmp/perf-PID.map and give interpreted frames
// a native frame of their own, so a frame-pointer stack names JavaScript
// functions (spinBusy).
//
// Startup (outside any request): listens on 127.0.0.1:0, logs "nodeshape
// listening port=P pid=PID", reads its own file once (libuv's
// thread pool starts), then writes "P\n" to $WEFT_TEST_PORT_FILE (if set;
// temp name + rename: the file means "ready"). Routes (200, short body):
//
//	/spin   spinBusy(MS) in the request's callback: MS of the process's CPU
//	        time (process.cpuUsage) in the function's own loop, then
//	        responds. On-CPU MS, off-CPU ~0.
//	/fs     fs.readFile(__filename) (open, fstat, read, close: 4 requests on
//	        libuv's thread pool, FSREQCALLBACK; on Node 26 one request, a
//	        native job that does all four), responds in its callback.
//	        From the page cache: no thread blocks. The pool's threads hold no
//	        request's context (they serve every request), and the main thread
//	        waits in epoll between callbacks, outside any callback scope:
//	        on-CPU small (the callbacks), off-CPU ~0. The pool is started
//	        at startup (one readFile before the port file is written): its
//	        first use would block the main thread in the request while
//	        libuv waits for its threads to start (~10 ms of off-CPU once).
//	/wait   fs.stat(__filename) (a child continuation: an FSREQCALLBACK
//	        made in the request) whose callback runs childSpin(MS/2), then
//	        responds: the callback runs in the child's scope, which carries
//	        the request, so on-CPU MS/2, named childSpin; off-CPU ~0.
//	/sleep  setTimeout(MS) then responds: a timer is JavaScript only (no
//	        native resource), its callback runs in the timers' own scope,
//	        not the request's, and the main thread waits in epoll outside
//	        any scope: on-CPU and off-CPU ~0 for the request, wall MS.
//	/worker one worker_threads Worker (code eval'd from a string) that runs
//	        childSpin(MS/2) and ends; responds on its 'exit'. Not a request
//	        kind of the profile test: the Worker is the request's resource,
//	        but its thread is started inside a callback scope, whose context
//	        threads do not inherit (WCTX_F_RUNTIME), so its samples are
//	        outside any request.
//	/exit   responds; on 'finish' closes the server, prints the stdout line,
//	        process.exit(0) 100 ms later
//	other   404
//
// Stdout: exactly one line, at /exit: "nodeshape served N requests".
// Log ($WEFT_TEST_LOG, appended, else stderr; never stdout; synchronous):
//
//	nodeshape listening port=P pid=PID
//	nodeshape spin cpu_us=C            (each /spin's measured CPU)
//	nodeshape wait cpu_us=C            (each /wait's childSpin)
//	nodeshape worker cpu_us=C          (each /worker's childSpin)
//	nodeshape exit

const fs = require('fs');
const http = require('http');
const { Worker } = require('worker_threads');

const MS = Number(process.argv[2] || 20);
let served = 0;
let logFd = -1;

function tlog(line) {
  if (logFd < 0) {
    const p = process.env.WEFT_TEST_LOG;
    logFd = p ? fs.openSync(p, 'a') : 2;
  }
  fs.writeSync(logFd, `${line}\n`);
}

// cpuMicros: the process's CPU time (user + system), microseconds
function cpuMicros() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

// spinBusy burns ms of CPU in its own loop (the clock is read rarely)
function spinBusy(ms) {
  const start = cpuMicros();
  let x = 1;
  while (cpuMicros() - start < ms * 1000) {
    for (let i = 0; i < 20000; i++) x = (x * 1103515245 + 12345) >>> 0;
  }
  return [cpuMicros() - start, x];
}

// childSpin: as spinBusy, in a child continuation's callback
function childSpin(ms) {
  const start = cpuMicros();
  let x = 3;
  while (cpuMicros() - start < ms * 1000) {
    for (let i = 0; i < 20000; i++) x = (x * 22695477 + 1) >>> 0;
  }
  return [cpuMicros() - start, x];
}

const WORKER_CODE = `
const { parentPort, workerData } = require('worker_threads');
${cpuMicros.toString()}
${childSpin.toString()}
parentPort.postMessage(childSpin(workerData)[0]);
`;

const routes = {
  '/spin': (req, res) => {
    const [us] = spinBusy(MS);
    tlog(`nodeshape spin cpu_us=${us}`);
    res.end('spin');
  },
  '/fs': (req, res) => {
    fs.readFile(__filename, (err) => {
      res.statusCode = err ? 500 : 200;
      res.end('fs');
    });
  },
  '/wait': (req, res) => {
    fs.stat(__filename, (err) => {
      const [us] = childSpin(MS / 2);
      tlog(`nodeshape wait cpu_us=${us}`);
      res.statusCode = err ? 500 : 200;
      res.end('wait');
    });
  },
  '/sleep': (req, res) => {
    setTimeout(() => res.end('sleep'), MS);
  },
  '/worker': (req, res) => {
    const w = new Worker(WORKER_CODE, { eval: true, workerData: MS / 2 });
    w.on('message', (us) => tlog(`nodeshape worker cpu_us=${us}`));
    w.on('error', () => { res.statusCode = 500; });
    w.on('exit', () => res.end('worker'));
  },
  '/exit': (req, res) => {
    res.on('finish', () => {
      server.close();
      setTimeout(() => {
        tlog('nodeshape exit');
        fs.writeSync(1, `nodeshape served ${served} requests\n`); // the only stdout line
        process.exit(0);
      }, 100);
    });
    res.end('exit');
  },
};

const server = http.createServer((req, res) => {
  served++;
  const r = routes[req.url];
  if (r) return r(req, res);
  res.statusCode = 404;
  res.end('not found');
});

server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  tlog(`nodeshape listening port=${port} pid=${process.pid}`);
  // start libuv's thread pool outside any request, then say "ready"
  fs.readFile(__filename, () => {
    const pf = process.env.WEFT_TEST_PORT_FILE;
    if (pf) {
      const tmp = `${pf}.tmp.${process.pid}`;
      fs.writeFileSync(tmp, `${port}\n`);
      fs.renameSync(tmp, pf);
    }
  });
});
