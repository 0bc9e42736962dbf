# otlp_decode.py [--collector] FILE: an OTLP ExportTraceServiceRequest
# (protobuf; --collector: the test collector's OTLP JSON lines, what it
# received) as JSON
# on stdout: {"resource": {key: value}, "spans": [{trace, span, parent, name,
# kind, start, end, attrs, events: [{name, time, attrs}], links: [{trace,
# span, attrs}], status: {code, message}}]}. Our own decoder of the wire
# format, independent of weft's encoder: what a collector would read.
# --collector: each span also carries its resource's "pid" (several
# processes' batches in one file: weft agent).
import json, struct, sys


def fields(buf):
    i, out = 0, []
    while i < len(buf):
        key, i = varint(buf, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 1:
            v = struct.unpack_from('<Q', buf, i)[0]; i += 8
        elif wt == 2:
            n, i = varint(buf, i)
            v = buf[i:i + n]; i += n
            if len(v) != n:
                raise ValueError('truncated')
        elif wt == 5:
            v = struct.unpack_from('<I', buf, i)[0]; i += 4
        else:
            raise ValueError('wire type %d' % wt)
        out.append((f, v))
    return out


def varint(buf, i):
    v = s = 0
    while True:
        b = buf[i]; i += 1
        v |= (b & 0x7f) << s; s += 7
        if not b & 0x80:
            return v, i


def anyvalue(buf):
    for f, v in fields(buf):
        if f == 1: return v.decode()
        if f == 2: return bool(v)
        if f == 3: return v
    return None


def attrs(kvs):
    out = {}
    for kv in kvs:
        d = dict(fields(kv))
        out[d[1].decode()] = anyvalue(d.get(2, b''))
    return out


def span(buf):
    fs = fields(buf)
    one = {f: v for f, v in fs}
    s = {'trace': one.get(1, b'').hex(), 'span': one.get(2, b'').hex(),
         'parent': one.get(4, b'').hex(), 'name': one.get(5, b'').decode(),
         'kind': one.get(6, 0), 'start': one.get(7, 0), 'end': one.get(8, 0),
         'attrs': attrs(v for f, v in fs if f == 9), 'events': [], 'links': [], 'status': {}}
    for f, v in fs:
        if f == 11:
            e = fields(v)
            d = dict(e)
            s['events'].append({'time': d.get(1, 0), 'name': d.get(2, b'').decode(),
                                'attrs': attrs(x for g, x in e if g == 3)})
        elif f == 13:
            l = fields(v)
            d = dict(l)
            s['links'].append({'trace': d.get(1, b'').hex(), 'span': d.get(2, b'').hex(),
                               'attrs': attrs(x for g, x in l if g == 4)})
        elif f == 15:
            d = dict(fields(v))
            s['status'] = {'message': d.get(2, b'').decode(), 'code': d.get(3, 0)}
    return s


def json_value(v):
    if 'stringValue' in v: return v['stringValue']
    if 'boolValue' in v: return v['boolValue']
    if 'intValue' in v: return int(v['intValue'])
    return None


def json_attrs(kvs):
    return {kv['key']: json_value(kv.get('value', {})) for kv in kvs or []}


def collector(path):
    doc = {'resource': {}, 'scope': None, 'spans': []}
    for line in open(path):
        for rs in json.loads(line).get('resourceSpans', []):
            doc['resource'] = json_attrs(rs.get('resource', {}).get('attributes'))
            for ss in rs.get('scopeSpans', []):
                doc['scope'] = ss.get('scope', {}).get('name')
                for x in ss.get('spans', []):
                    doc['spans'].append({'pid': doc['resource'].get('process.pid'),
                        'trace': x.get('traceId', ''), 'span': x.get('spanId', ''),
                        'parent': x.get('parentSpanId', ''), 'name': x.get('name', ''),
                        'kind': x.get('kind', 0), 'start': int(x.get('startTimeUnixNano', 0)),
                        'end': int(x.get('endTimeUnixNano', 0)), 'attrs': json_attrs(x.get('attributes')),
                        'events': [{'time': int(e.get('timeUnixNano', 0)), 'name': e.get('name', ''),
                                    'attrs': json_attrs(e.get('attributes'))} for e in x.get('events', [])],
                        'links': [{'trace': l.get('traceId', ''), 'span': l.get('spanId', ''),
                                   'attrs': json_attrs(l.get('attributes'))} for l in x.get('links', [])],
                        'status': {'message': x.get('status', {}).get('message', ''),
                                   'code': x.get('status', {}).get('code', 0)}})
    return doc


if sys.argv[1] == '--collector':
    json.dump(collector(sys.argv[2]), sys.stdout, indent=1)
    sys.exit(0)
doc = {'resource': {}, 'scope': None, 'spans': []}
for f, rs in fields(open(sys.argv[1], 'rb').read()):
    for g, v in fields(rs):
        if g == 1:
            doc['resource'] = attrs(x for h, x in fields(v) if h == 1)
        elif g == 2:
            for h, x in fields(v):
                if h == 1:
                    doc['scope'] = dict(fields(x)).get(1, b'').decode()
                elif h == 2:
                    doc['spans'].append(span(x))
json.dump(doc, sys.stdout, indent=1)
