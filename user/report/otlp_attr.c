// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include "otlp_int.h"

/* opentelemetry/proto/common: KeyValue, AnyValue; resource: Resource */
enum { KV_KEY = 1, KV_VALUE = 2, ANY_STRING = 1, ANY_BOOL = 2, ANY_INT = 3, RES_ATTRIBUTES = 1 };

static void kv_any(struct otlp_kv *k, struct pb *dst, uint32_t field, const char *key)
{
	pb_str(&k->kv, KV_KEY, key);
	pb_msg(&k->kv, KV_VALUE, &k->any);
	pb_msg(dst, field, &k->kv);
}

void otlp_kv_str(struct otlp_kv *k, struct pb *dst, uint32_t field, const char *key, const char *v)
{
	if (!v || !*v)
		return;
	pb_str(&k->any, ANY_STRING, v);
	kv_any(k, dst, field, key);
}

void otlp_kv_int(struct otlp_kv *k, struct pb *dst, uint32_t field, const char *key, uint64_t v)
{
	pb_key(&k->any, ANY_INT, WIRE_VARINT);
	pb_varint(&k->any, v); /* written even when 0: the attribute is there */
	kv_any(k, dst, field, key);
}

void otlp_kv_bool(struct otlp_kv *k, struct pb *dst, uint32_t field, const char *key, bool v)
{
	pb_key(&k->any, ANY_BOOL, WIRE_VARINT);
	pb_varint(&k->any, v);
	kv_any(k, dst, field, key);
}

bool otlp_kv_free(struct otlp_kv *k)
{
	bool oom = k->any.oom || k->kv.oom;

	pb_free(&k->any);
	pb_free(&k->kv);
	return oom;
}

void otlp_put_be64(uint8_t *d, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		d[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* "%2C" and the like in OTEL_RESOURCE_ATTRIBUTES' values */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		unsigned v;

		if (*s == '%' && sscanf(s + 1, "%2x", &v) == 1 && s[1] && s[2]) {
			*d++ = (char)v;
			s += 2;
		} else {
			*d++ = *s;
		}
	}
	*d = 0;
}

/* key=value,key=value (OTEL_RESOURCE_ATTRIBUTES): each added; whether key
 * was among them */
static bool extra_attrs(struct otlp_kv *k, struct pb *res, const char *attrs, const char *key)
{
	char buf[1024], *save = NULL, *kv;
	bool found = false;

	if (!attrs)
		return false;
	snprintf(buf, sizeof(buf), "%s", attrs);
	for (kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');

		if (!eq || eq == kv)
			continue;
		*eq = 0;
		unescape(kv);
		unescape(eq + 1);
		if (key && !strcmp(kv, key))
			found = true;
		else if (!key)
			otlp_kv_str(k, res, RES_ATTRIBUTES, kv, eq + 1);
	}
	return found;
}

void otlp_resource(struct otlp_kv *k, struct pb *res, const struct record_meta *mt,
		   const struct otlp_resource *rsrc)
{
	const char *base = strrchr(mt->exe, '/');
	const char *attrs = rsrc ? rsrc->attrs : NULL;

	extra_attrs(k, res, attrs, NULL);
	if (rsrc && rsrc->service && *rsrc->service)
		otlp_kv_str(k, res, RES_ATTRIBUTES, "service.name", rsrc->service);
	else if (!extra_attrs(k, res, attrs, "service.name"))
		otlp_kv_str(k, res, RES_ATTRIBUTES, "service.name", base ? base + 1 : mt->exe);
	if (!extra_attrs(k, res, attrs, "host.name"))
		otlp_kv_str(k, res, RES_ATTRIBUTES, "host.name", mt->host);
	otlp_kv_int(k, res, RES_ATTRIBUTES, "process.pid", mt->pid);
	otlp_kv_str(k, res, RES_ATTRIBUTES, "process.executable.path", mt->exe);
	if (rsrc && rsrc->container_id)
		otlp_kv_str(k, res, RES_ATTRIBUTES, "container.id", rsrc->container_id);
	if (mt->go_version[0]) {
		otlp_kv_str(k, res, RES_ATTRIBUTES, "process.runtime.name", "go");
		otlp_kv_str(k, res, RES_ATTRIBUTES, "process.runtime.version", mt->go_version);
	} else if (mt->node_providers[0])
		otlp_kv_str(k, res, RES_ATTRIBUTES, "process.runtime.name", "nodejs");
	otlp_kv_int(k, res, RES_ATTRIBUTES, "weft.lost_events", mt->lost);
	otlp_kv_int(k, res, RES_ATTRIBUTES, "weft.evicted", mt->evicted);
}
