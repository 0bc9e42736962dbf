// weft check on Node's test runner: a timeout still pending when the file
// tears down, due within the grace: said, not a leak.
'use strict';
const test = require('node:test');

test('a timeout due soon', function dueSoon() {
	setTimeout(() => {}, 150);
});
