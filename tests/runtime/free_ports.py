# free_ports.py N: N free TCP ports of 127.0.0.1 (bound, then let go), on one line.
import socket, sys

s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s:
    x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))
