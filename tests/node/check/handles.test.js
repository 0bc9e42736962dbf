// weft check on Node's test runner: every kind of handle a test leaves
// open is a leak at teardown: a file watcher, a client socket (and the
// server side it was accepted on), a child process and the pipe to it, a
// server on a Unix socket. All unref'd, so the file ends by itself.
'use strict';
const test = require('node:test');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const cp = require('node:child_process');

test('leaves a watcher', function leaveWatcher() { /* SITE:watch */
	fs.watch(__dirname).unref();
});

test('leaves a client socket', async function leaveClient() { /* SITE:client */
	const srv = net.createServer((c) => c.unref());
	await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
	srv.unref();
	const c = net.connect(srv.address().port, '127.0.0.1');
	await new Promise((resolve) => c.on('connect', resolve));
	c.unref();
});

test('leaves a child process', function leaveChild() { /* SITE:child */
	const ch = cp.spawn('sleep', ['5.123'], { stdio: ['ignore', 'pipe', 'ignore'] });
	ch.stdout.unref();
	ch.unref();
});

test('leaves a unix socket server', function leavePipe() { /* SITE:pipe */
	const p = path.join(os.tmpdir(), `weft-check-${process.pid}.sock`);
	net.createServer().listen(p).unref();
});
