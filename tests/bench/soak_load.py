# soak_load.py SECS RATE PORT...: a steady load, RATE new connections per
# second to each PORT (one GET /ok each, Connection: close), paced, for SECS.
# Prints "soak_load port=P ok=N bad=B" per port at the end; exit 1 if a
# port answered badly or not at all.
import socket, sys, time

secs, rate = float(sys.argv[1]), float(sys.argv[2])
ports = [int(p) for p in sys.argv[3:]]
ok = {p: 0 for p in ports}
bad = {p: 0 for p in ports}
req = b'GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'


def one(port):
    try:
        s = socket.create_connection(('127.0.0.1', port), timeout=5)
        s.sendall(req)
        buf = b''
        while True:
            d = s.recv(4096)
            if not d:
                break
            buf += d
        s.close()
        return buf.startswith(b'HTTP/1.1 200')
    except OSError:
        return False


t0 = time.monotonic()
n = 0
while True:
    due = t0 + n / rate
    now = time.monotonic()
    if due - t0 >= secs:
        break
    if due > now:
        time.sleep(due - now)
    for p in ports:
        if one(p):
            ok[p] += 1
        else:
            bad[p] += 1
    n += 1
for p in ports:
    print('soak_load port=%d ok=%d bad=%d' % (p, ok[p], bad[p]))
sys.exit(1 if any(bad.values()) or not all(ok.values()) else 0)
