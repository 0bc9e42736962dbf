# otlp_profiles.py FILE --pid PID: the OTLP profiles the test collector
# received (its OTLP JSON lines, {"resourceProfiles":...,"dictionary":...})
# from that process, summed over every request, a line each, sorted:
#   requests N                       (lines holding its profiles)
#   resource KEY=VALUE               (each resource attribute, as last seen)
#   profiles TYPE/UNIT N             (Profiles of that sample type)
#   total TYPE/UNIT N                (its values summed)
#   value TYPE/UNIT NAME N           (per weft.txn.name)
#   top TYPE/UNIT NAME FUNCTION      (the innermost frame holding most of it)
# Strings and attributes resolved through each line's dictionary (the
# collector's JSON refers to its string table for the resource's too).
import json, sys
from collections import defaultdict

path, pid = sys.argv[1], int(sys.argv[sys.argv.index('--pid') + 1])


def value(v, strings):
    if 'stringValueStrindex' in v:
        return strings[v['stringValueStrindex']]
    return next(iter(v.values())) if v else ''


def key(kv, strings):
    return kv['key'] if 'key' in kv else strings[kv.get('keyStrindex', 0)]


requests, resource, nprof = 0, {}, defaultdict(int)
total, per_name = defaultdict(int), defaultdict(int)
frames = defaultdict(lambda: defaultdict(int))  # (type, name) -> function -> value
for line in open(path):
    d = json.loads(line)
    if 'resourceProfiles' not in d:
        continue
    dic = d.get('dictionary', {})
    strings = dic.get('stringTable', [''])
    attrs, stacks = dic.get('attributeTable', []), dic.get('stackTable', [])
    locs, funcs = dic.get('locationTable', []), dic.get('functionTable', [])
    for rp in d['resourceProfiles']:
        res = {key(kv, strings): value(kv.get('value', {}), strings)
               for kv in rp.get('resource', {}).get('attributes', [])}
        if int(res.get('process.pid', 0)) != pid:
            continue
        requests += 1
        resource.update(res)
        for sp in rp.get('scopeProfiles', []):
            for p in sp.get('profiles', []):
                st = p.get('sampleType', {})
                t = '%s/%s' % (strings[st.get('typeStrindex', 0)], strings[st.get('unitStrindex', 0)])
                nprof[t] += 1
                for s in p.get('samples', []):
                    v = sum(int(x) for x in s.get('values', []))
                    name = '(no name)'
                    for a in s.get('attributeIndices', []):
                        kv = attrs[a]
                        if key(kv, strings) == 'weft.txn.name':
                            name = value(kv.get('value', {}), strings)
                    total[t] += v
                    per_name[(t, name)] += v
                    li = stacks[s.get('stackIndex', 0)].get('locationIndices', [])
                    fn = '(no frame)'
                    if li:
                        lines = locs[li[0]].get('lines', [])
                        if lines:
                            fn = strings[funcs[lines[0].get('functionIndex', 0)].get('nameStrindex', 0)]
                    frames[(t, name)][fn] += v
print('requests', requests)
for k in sorted(resource):
    print('resource %s=%s' % (k, resource[k]))
for t in sorted(nprof):
    print('profiles', t, nprof[t])
for t in sorted(total):
    print('total', t, total[t])
for (t, name) in sorted(per_name):
    print('value', t, name, per_name[(t, name)])
for (t, name) in sorted(frames):
    f = frames[(t, name)]
    print('top', t, name, max(sorted(f), key=lambda x: f[x]))
