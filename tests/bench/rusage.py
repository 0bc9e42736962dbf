# rusage.py OUT CMD...: runs CMD, writes its pid to OUT.pid as it starts,
# then to OUT its CPU time, user and system, in seconds, and its peak RSS in
# KiB (its own and its waited-for children's: getrusage(RUSAGE_CHILDREN));
# exits with its status.
import resource, subprocess, sys

p = subprocess.Popen(sys.argv[2:])
with open(sys.argv[1] + '.pid', 'w') as f:
    f.write('%d\n' % p.pid)
rc = p.wait()
r = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], 'w') as f:
    f.write('%.3f %.3f %d\n' % (r.ru_utime, r.ru_stime, r.ru_maxrss))
sys.exit(rc if rc >= 0 else 128 - rc)
