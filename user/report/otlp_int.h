/* What the OTLP encoders share: attributes (KeyValue) and the resource. */
#ifndef WEFT_OTLP_INT_H
#define WEFT_OTLP_INT_H

#include <stdbool.h>
#include <stdint.h>
#include "otlp.h"
#include "pb.h"
#include "record.h"

/* scratch for one KeyValue at a time */
struct otlp_kv {
	struct pb any, kv;
};

void otlp_kv_str(struct otlp_kv *k, struct pb *dst, uint32_t field, const char *key, const char *v);
void otlp_kv_int(struct otlp_kv *k, struct pb *dst, uint32_t field, const char *key, uint64_t v);
void otlp_kv_bool(struct otlp_kv *k, struct pb *dst, uint32_t field, const char *key, bool v);
/* frees the scratch; true when it ran out of memory */
bool otlp_kv_free(struct otlp_kv *k);
/* The Resource's attributes into res: service, host, process, runtime,
 * weft's losses, and rsrc's (may be NULL) */
void otlp_resource(struct otlp_kv *k, struct pb *res, const struct record_meta *mt,
		   const struct otlp_resource *rsrc);
void otlp_put_be64(uint8_t *d, uint64_t v);

#endif
