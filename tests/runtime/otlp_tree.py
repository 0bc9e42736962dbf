# otlp_tree.py [--collector] FILE [--pid PID]: the spans of an OTLP traces
# file (otlp_decode.py; --collector: the test collector's JSON lines, --pid:
# of that process only) as an
# indented tree, a line per span: "NAME state [leak events] [links]", each
# transaction's children under it in the order written; then "traces N"
# (distinct trace ids) and "bad parents N" (a parent not in its trace).
import json, os, subprocess, sys

decode = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'otlp_decode.py')
args = sys.argv[1:]
pid = None
if '--pid' in args:
    i = args.index('--pid')
    pid = int(args[i + 1])
    del args[i:i + 2]
doc = json.loads(subprocess.check_output([sys.executable, decode] + args))
spans = [s for s in doc['spans'] if pid is None or int(s.get('pid') or 0) == pid]
by_id = {(s['trace'], s['span']): s for s in spans}
kids = {}
bad = 0
for s in spans:
    if s['parent']:
        if (s['trace'], s['parent']) not in by_id:
            bad += 1
        kids.setdefault((s['trace'], s['parent']), []).append(s)


def line(s, depth):
    extra = ''
    if s['events']:
        extra += ' leaks=' + ','.join(e['attrs'].get('weft.start', '?') for e in s['events'])
    if s['links']:
        extra += ' links=' + ','.join('%s%s%s' % (l['attrs'].get('weft.outer_name'),
                                                  ' self' if l['attrs'].get('weft.to_itself') else '',
                                                  ' stale' if l['attrs'].get('weft.stale') else '')
                                      for l in s['links'])
    if s['status'].get('code') == 2:
        extra += ' error'
    state = s['attrs'].get('weft.state', '')
    print('%s%s%s%s' % ('  ' * depth, s['name'], ' ' + state if state else '', extra))
    for k in kids.get((s['trace'], s['span']), []):
        line(k, depth + 1)


for s in spans:
    if not s['parent']:
        line(s, 0)
print('traces', len({s['trace'] for s in spans}))
print('bad parents', bad)
