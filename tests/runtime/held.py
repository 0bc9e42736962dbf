#!/usr/bin/env python3
# held.py LOG CMD [ARGS...]: runs CMD as a child and writes to LOG, a line
# each, what wait() says of it: "pid P", then "stopped" and "continued" as
# they happen, and "exited N" or "killed N". The kernel reports the stop
# and the continue however short the stop was, which polling /proc's state
# misses on a loaded machine. Exits with the child's status.
import os
import sys

log = open(sys.argv[1], "w", buffering=1)
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
log.write("pid %d\n" % pid)
while True:
    r = os.waitid(os.P_PID, pid, os.WEXITED | os.WSTOPPED | os.WCONTINUED)
    if r.si_code == os.CLD_STOPPED:
        log.write("stopped\n")
    elif r.si_code == os.CLD_CONTINUED:
        log.write("continued\n")
    elif r.si_code == os.CLD_EXITED:
        log.write("exited %d\n" % r.si_status)
        sys.exit(r.si_status)
    else:
        log.write("killed %d\n" % r.si_status)
        sys.exit(128 + r.si_status)
