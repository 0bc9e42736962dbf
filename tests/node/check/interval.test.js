// weft check on Node's test runner: an interval never cleared (unref'd, so
// the file ends): JavaScript's timer still armed at teardown, said.
'use strict';
const test = require('node:test');

test('an interval never cleared', function tick() {
	setInterval(() => {}, 60000).unref();
});
