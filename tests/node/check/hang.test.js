// weft check on Node's test runner: a server left listening keeps the file's
// process alive (node --test hangs) until --test-force-exit exits it.
'use strict';
const test = require('node:test');
const net = require('node:net');

test('leaves a server listening', function leaveListening() { /* SITE:hang */
	net.createServer().listen(0);
});
