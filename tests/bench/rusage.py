# rusage.py OUT CMD...: runs CMD, then writes to OUT its CPU time, user and
# system, in seconds, and its peak RSS in KiB (its own and its waited-for
# children's: getrusage(RUSAGE_CHILDREN)); exits with its status. Signals
# reach CMD (it is exec'd in the child, the same process group).
import resource, subprocess, sys

p = subprocess.run(sys.argv[2:])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], 'w') as f:
    f.write('%.3f %.3f %d\n' % (r.ru_utime, r.ru_stime, r.ru_maxrss))
sys.exit(p.returncode if p.returncode >= 0 else 128 - p.returncode)
