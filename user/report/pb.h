/* The protobuf wire format, written by hand: the schemas weft writes
 * (pprof's profile.proto, OTLP) are small and fixed, so a few helpers
 * (varints, fixed64, length-delimited fields, packed repeated scalars) beat
 * a protobuf library. A buffer that could not grow says so in oom. */
#ifndef WEFT_PB_H
#define WEFT_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_LEN = 2, WIRE_FIXED32 = 5 };

struct pb {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

void pb_put(struct pb *b, const void *d, size_t n);
void pb_varint(struct pb *b, uint64_t v);
void pb_key(struct pb *b, uint32_t field, uint32_t wire);
/* A scalar; zero is the default and left out (proto3). */
void pb_uint(struct pb *b, uint32_t field, uint64_t v);
void pb_fixed64(struct pb *b, uint32_t field, uint64_t v);
void pb_double(struct pb *b, uint32_t field, double v);
void pb_bytes(struct pb *b, uint32_t field, const void *d, size_t n);
void pb_str(struct pb *b, uint32_t field, const char *s);
/* A repeated scalar, packed: one length-delimited run of varints. */
void pb_packed(struct pb *b, uint32_t field, const uint64_t *v, size_t n);
/* Appends the finished sub-message as field and empties sub for reuse. */
void pb_msg(struct pb *b, uint32_t field, struct pb *sub);
void pb_free(struct pb *b);

#endif
