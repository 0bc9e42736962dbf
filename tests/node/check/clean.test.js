// weft check on Node's test runner: nothing left open.
'use strict';
const test = require('node:test');
const net = require('node:net');

test('a server and a client, all closed', async () => {
	const s = net.createServer((c) => c.end('hi')).listen(0);
	await new Promise((resolve) => s.once('listening', resolve));
	const c = net.connect(s.address().port);
	for await (const _ of c);
	await new Promise((resolve) => s.close(resolve));
});

test('a timer', async () => {
	await new Promise((resolve) => setTimeout(resolve, 5));
});
