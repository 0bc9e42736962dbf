// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The protobuf wire format: see pb.h. */
#include <stdlib.h>
#include <string.h>
#include "pb.h"

void pb_put(struct pb *b, const void *d, size_t n)
{
	if (b->oom || !n)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	for (; v >= 0x80; v >>= 7)
		n++;
	return n;
}

void pb_varint(struct pb *b, uint64_t v)
{
	uint8_t buf[10];
	size_t n = 0;

	for (; v >= 0x80; v >>= 7)
		buf[n++] = (uint8_t)v | 0x80;
	buf[n++] = (uint8_t)v;
	pb_put(b, buf, n);
}

void pb_key(struct pb *b, uint32_t field, uint32_t wire)
{
	pb_varint(b, (uint64_t)field << 3 | wire);
}

/* A scalar; zero is the default and left out (proto3). The int64 fields
 * use it too: no value here is negative. */
void pb_uint(struct pb *b, uint32_t field, uint64_t v)
{
	if (!v)
		return;
	pb_key(b, field, WIRE_VARINT);
	pb_varint(b, v);
}

void pb_bytes(struct pb *b, uint32_t field, const void *d, size_t n)
{
	pb_key(b, field, WIRE_LEN);
	pb_varint(b, n);
	pb_put(b, d, n);
}

/* A repeated scalar, packed: one length-delimited run of varints. */
void pb_packed(struct pb *b, uint32_t field, const uint64_t *v, size_t n)
{
	size_t len = 0;

	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		len += varint_len(v[i]);
	pb_key(b, field, WIRE_LEN);
	pb_varint(b, len);
	for (size_t i = 0; i < n; i++)
		pb_varint(b, v[i]);
}

/* Appends the finished sub-message as field and empties sub for reuse. */
void pb_msg(struct pb *b, uint32_t field, struct pb *sub)
{
	pb_bytes(b, field, sub->p, sub->len);
	b->oom |= sub->oom;
	sub->len = 0;
}

/* least significant byte first, as the wire wants it */
void pb_fixed64(struct pb *b, uint32_t field, uint64_t v)
{
	uint8_t d[8];

	if (!v)
		return;
	for (int i = 0; i < 8; i++)
		d[i] = (uint8_t)(v >> (8 * i));
	pb_key(b, field, WIRE_FIXED64);
	pb_put(b, d, sizeof(d));
}

void pb_double(struct pb *b, uint32_t field, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	pb_fixed64(b, field, u);
}

void pb_str(struct pb *b, uint32_t field, const char *s)
{
	if (s && *s)
		pb_bytes(b, field, s, strlen(s));
}

void pb_free(struct pb *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
