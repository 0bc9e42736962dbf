# otlp_metrics.py FILE --pid PID: the metrics the test collector received
# (its OTLP JSON lines) from that process, the last point of each series, a
# line each, sorted: "NAME{KEY=VALUE,...} VALUE"; a histogram's value is
# "count=N buckets=B0,B1,..." (its bounds on a line of their own, once).
import json, sys

path, pid = sys.argv[1], int(sys.argv[sys.argv.index('--pid') + 1])


def attrs(kvs):
    out = []
    for kv in kvs or []:
        v = kv.get('value', {})
        out.append('%s=%s' % (kv['key'], next(iter(v.values())) if v else ''))
    return ','.join(out)


last, bounds = {}, {}
for line in open(path):
    for rm in json.loads(line).get('resourceMetrics', []):
        res = {kv['key']: next(iter(kv['value'].values())) for kv in rm.get('resource', {}).get('attributes', [])}
        if int(res.get('process.pid', 0)) != pid:
            continue
        for sm in rm.get('scopeMetrics', []):
            for m in sm.get('metrics', []):
                for kind in ('sum', 'gauge', 'histogram'):
                    for p in m.get(kind, {}).get('dataPoints', []):
                        key = '%s{%s}' % (m['name'], attrs(p.get('attributes')))
                        if kind == 'histogram':
                            bounds[m['name']] = p.get('explicitBounds', [])
                            last[key] = 'count=%s buckets=%s' % (
                                p.get('count', 0), ','.join(p.get('bucketCounts', [])))
                        else:
                            last[key] = p.get('asInt', p.get('asDouble'))
for name, b in sorted(bounds.items()):
    print('%s bounds %s' % (name, ','.join('%g' % x for x in b)))
for k in sorted(last):
    print(k, last[k])
