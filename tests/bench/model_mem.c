/* model_mem N: the model's heap per live continuation and per finished
 * transaction, on synthetic streams (the model alone: no BPF, no target).
 * Prints one "name bytes" line per figure, heap measured with mallinfo2:
 *   live_seg       per continuation alive in an open transaction
 *   heap_kept N    the heap after N transactions, kept whole (bytes)
 *   heap_folded N  the heap after N transactions, folding past --keep-txns
 *                  10000 (bytes): the window kept, N/2 and N alike */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "model.h"

#define MS 1000000ULL

static size_t heap(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd; /* large arrays are mmapped */
}

static void feed(struct model *m, uint32_t type, uint32_t kind, uint64_t ts, uint64_t seg,
		 uint64_t parent, uint64_t txn, uint64_t site)
{
	struct weft_event e = { .ts_ns = ts, .type = type, .kind = kind, .seg = seg,
				.parent = parent, .txn = txn, .probe = 6, .nr_frames = 1 };

	e.frames[0] = site;
	model__feed(m, &e);
}

static struct model *new_model(size_t keep)
{
	struct model_opts o = { .leak_grace_ns = 500 * MS, .txns_traced = true, .fold_keep = keep };

	o.probe_names[6] = "handle_request";
	return model__new(&o);
}

/* N requests 100 us apart, each 1 ms with one goroutine; compacted every
 * 100 ms of their time as weft's loop does */
static size_t requests(size_t keep, uint64_t n)
{
	size_t before = heap(), after;
	struct model *m = new_model(keep);

	for (uint64_t i = 1; i <= n; i++) {
		uint64_t t0 = i * 100000;

		feed(m, WEFT_EV_TXN_BEGIN, WEFT_KIND_TXN, t0, 1000000000 + i, 0, i, 0x1000);
		feed(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_GOROUTINE, t0 + 10, 2000000000 + i,
		     1000000000 + i, i, 0x2000 + (i & 7) * 16);
		feed(m, WEFT_EV_SEG_END, WEFT_KIND_GOROUTINE, t0 + MS - 10, 2000000000 + i, 0, 0, 0);
		feed(m, WEFT_EV_TXN_END, WEFT_KIND_TXN, t0 + MS, 1000000000 + i, 0, i, 0);
		if (i % 1000 == 0)
			model__compact(m, t0);
	}
	model__finish(m, n * 100000 + 2000 * MS);
	after = heap();
	model__free(m);
	return after - before;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	size_t before, live;
	struct model *m;

	if (n < 20000) {
		fprintf(stderr, "model_mem: N must be 20000 or more\n");
		return 2;
	}
	before = heap();
	m = new_model(0);
	feed(m, WEFT_EV_TXN_BEGIN, WEFT_KIND_TXN, 1, 1, 0, 1, 0x1000);
	for (uint64_t i = 0; i < n; i++)
		feed(m, WEFT_EV_SEG_BEGIN, WEFT_KIND_GOROUTINE, 2 + i, 100 + i, 1, 1,
		     0x2000 + (i & 7) * 16);
	model__finish(m, 3 + n);
	live = heap() - before;
	model__free(m);
	printf("live_seg %.0f\n", (double)live / n);
	printf("heap_kept %llu %zu\n", (unsigned long long)n / 2, requests(0, n / 2));
	printf("heap_kept %llu %zu\n", (unsigned long long)n, requests(0, n));
	printf("heap_folded %llu %zu\n", (unsigned long long)n / 2, requests(10000, n / 2));
	printf("heap_folded %llu %zu\n", (unsigned long long)n, requests(10000, n));
	return 0;
}
