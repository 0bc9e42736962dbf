// weft check on Node's test runner (tests/runtime/test_check_node.sh): this
// file leaks a UDP socket and an unref'd server (alive when the file's tests
// are over), closes one server itself, and writes to stderr (the process's
// stdio: the runtime's, not a leak). A perf map names a site by the function
// that made it, at the line the function starts.
'use strict';
const test = require('node:test');
const dgram = require('node:dgram');
const net = require('node:net');

test('leaks a udp socket', function leakUdp() { /* SITE:udp */
	dgram.createSocket('udp4').bind(0).unref();
});

test('leaks an unref server', function leakServer() { /* SITE:server */
	net.createServer().listen(0).unref();
});

test('closes its server', async () => {
	const s = net.createServer().listen(0);
	await new Promise((resolve) => s.close(resolve));
	process.stderr.write('closed\n');
});
