'use strict';
// nodecalls: outbound HTTP calls made inside requests (issue 15, item 2).
//
//	node nodecalls.js backend     a backend on 127.0.0.1:0: any path -> 200
//	                              "data", keep-alive; writes "P\n" to
//	                              $WEFT_TEST_PORT_FILE when listening
//	node nodecalls.js backend-tls the same over HTTPS, with $WEFT_TEST_TLS_DIR's
//	                              key.pem and cert.pem
//	node nodecalls.js BPORT [TPORT]  the front server, calling 127.0.0.1:BPORT
//	                              (and the HTTPS backend on TPORT);
//	                              port file as nodehttp.js ($WEFT_TEST_PORT_FILE),
//	                              written once one call made at startup (outside
//	                              any request: no call of any transaction) ended
//
// Front routes (drive them with nodeclient.js, one request at a time):
//	/call   http.get(backend /data) through a keep-alive agent (maxSockets 1),
//	        the body read to its end, then responds: one call "GET
//	        127.0.0.1:BPORT", ended when the agent pools the socket; the next
//	        /call or /post reuses that socket (re-armed)
//	/post   http.request(POST backend /data, a 5-byte body) through the same
//	        agent, read to its end: one call "POST 127.0.0.1:BPORT", ended
//	/leak   http.get(backend /data) through a keep-alive agent of its own, the
//	        response never read: responds once its headers came; the call
//	        stays open (leaked), and so does its socket
//	/tls    https.get(127.0.0.1:TPORT /data) through a keep-alive agent of its
//	        own (the self-signed certificate accepted), read to its end: one
//	        call "GET 127.0.0.1:TPORT", ended when its socket is pooled
//	/exit   responds; prints "nodecalls served N requests" and exits 100 ms
//	        after the response went out
const fs = require('fs');
const http = require('http');
const https = require('https');
const path = require('path');

function ready(server) {
  const port = server.address().port;
  const f = process.env.WEFT_TEST_PORT_FILE;
  if (f) {
    fs.writeFileSync(f + '.tmp', port + '\n');
    fs.renameSync(f + '.tmp', f);
  }
}

if (process.argv[2] === 'backend' || process.argv[2] === 'backend-tls') {
  const serve = (req, res) => {
    req.resume();
    req.on('end', () => res.end('data'));
  };
  const dir = process.env.WEFT_TEST_TLS_DIR || '.';
  const s = process.argv[2] === 'backend' ? http.createServer(serve) : https.createServer({
    key: fs.readFileSync(path.join(dir, 'key.pem')),
    cert: fs.readFileSync(path.join(dir, 'cert.pem')),
  }, serve);
  s.keepAliveTimeout = 60000;
  s.listen(0, '127.0.0.1', () => ready(s));
} else {
  const bport = Number(process.argv[2]);
  const shared = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const leaky = new http.Agent({ keepAlive: true });
  const tport = Number(process.argv[3] || 0);
  const tlsAgent = new https.Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
  const opts = (agent, method) => ({ host: '127.0.0.1', port: bport, path: '/data', method, agent });
  const die = (m) => { fs.writeSync(2, `nodecalls: ${m}\n`); process.exit(1); };
  let served = 0;
  const routes = {
    '/call': (req, res) => {
      http.get(opts(shared, 'GET'), (r) => {
        r.resume();
        r.on('end', () => res.end('call'));
      }).on('error', (e) => die(e.message));
    },
    '/post': (req, res) => {
      const c = http.request(opts(shared, 'POST'), (r) => {
        r.resume();
        r.on('end', () => res.end('post'));
      });
      c.on('error', (e) => die(e.message));
      c.end('hello');
    },
    '/leak': (req, res) => {
      http.get(opts(leaky, 'GET'), () => res.end('leak')).on('error', (e) => die(e.message));
    },
    '/tls': (req, res) => {
      https.get({ host: '127.0.0.1', port: tport, path: '/data', agent: tlsAgent }, (r) => {
        r.resume();
        r.on('end', () => res.end('tls'));
      }).on('error', (e) => die(e.message));
    },
    '/exit': (req, res) => {
      res.on('finish', () => {
        fs.writeSync(1, `nodecalls served ${served} requests\n`);
        setTimeout(() => process.exit(0), 100);
      });
      res.end('bye');
    },
  };
  const server = http.createServer((req, res) => {
    const route = routes[req.url];
    if (!route) {
      res.statusCode = 404;
      res.end();
      return;
    }
    if (req.url !== '/exit') served++;
    route(req, res);
  });
  server.listen(0, '127.0.0.1', () => {
    http.get(opts(false, 'GET'), (r) => {
      r.resume();
      r.on('end', () => ready(server));
    }).on('error', (e) => die(e.message));
  });
}
