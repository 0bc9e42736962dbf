# conns.py PORT N [PATH]: N short HTTP/1.1 connections, one request each
# (Connection: close), one after the other; prints "conns N bad B secs S".
import socket, sys, time
port = int(sys.argv[1]); n = int(sys.argv[2]); path = sys.argv[3] if len(sys.argv) > 3 else '/ok'
t0 = time.time(); bad = 0
req = b'GET ' + path.encode() + b' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
for i in range(n):
    s = socket.create_connection(('127.0.0.1', port))
    s.sendall(req)
    buf = b''
    while b'\r\n\r\n' not in buf:
        d = s.recv(4096)
        if not d: break
        buf += d
    head, _, body = buf.partition(b'\r\n\r\n')
    clen = [int(l.split(b':')[1]) for l in head.split(b'\r\n') if l.lower().startswith(b'content-length:')]
    while clen and len(body) < clen[0]:
        d = s.recv(4096)
        if not d: break
        body += d
    if not head.startswith(b'HTTP/1.1 '): bad += 1
    s.close()
print('conns', n, 'bad', bad, 'secs', round(time.time() - t0, 1))
