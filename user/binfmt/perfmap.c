// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "perfmap.h"

struct pm_entry {
	uint64_t start, size;
	uint64_t seq; /* its line: for the same start, the later wins */
	char *name;
};

/* The file is the target's, and weft reads it as root: read only if the
 * target's user owns it, never through a link, and only what was added
 * since the last read (the map only grows). */
struct perfmap {
	/* the target's root, held open: a short-lived process (a test file)
	 * is often gone, /proc/PID with it, before its events are read */
	int rootfd;
	char path[96]; /* under rootfd */
	uid_t uid;	 /* the target's */
	off_t read_size; /* how much of the file is read (whole lines) */
	uint64_t lines;
	bool refused;	/* said once */
	struct pm_entry *e;
	size_t n, cap;
};

struct perfmap *perfmap__new(pid_t pid)
{
	struct perfmap *pm = calloc(1, sizeof(*pm));

	char line[256], status[64];
	int nspid = pid;
	FILE *f;

	if (!pm)
		return NULL;
	/* in a container: its /tmp, named by its own pid (NSpid's last field) */
	snprintf(status, sizeof(status), "/proc/%d/status", (int)pid);
	if ((f = fopen(status, "re"))) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "NSpid:", 6)) {
				char *last = strrchr(line, '\t');

				if (last)
					nspid = atoi(last + 1);
				break;
			}
		fclose(f);
	}
	snprintf(status, sizeof(status), "/proc/%d", (int)pid);
	{
		struct stat st;

		pm->uid = stat(status, &st) ? 0 : st.st_uid;
	}
	snprintf(status, sizeof(status), "/proc/%d/root", (int)pid);
	pm->rootfd = open(status, O_PATH | O_DIRECTORY | O_CLOEXEC);
	snprintf(pm->path, sizeof(pm->path), "tmp/perf-%d.map", nspid);
	return pm;
}

static void clear(struct perfmap *pm)
{
	for (size_t i = 0; i < pm->n; i++)
		free(pm->e[i].name);
	free(pm->e);
	pm->e = NULL;
	pm->n = pm->cap = 0;
	pm->read_size = 0;
	pm->lines = 0;
}

void perfmap__free(struct perfmap *pm)
{
	if (!pm)
		return;
	clear(pm);
	if (pm->rootfd >= 0)
		close(pm->rootfd);
	free(pm);
}

static int by_start(const void *a, const void *b)
{
	const struct pm_entry *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A file to read: regular, not a link, the target's user's (or root's) */
static FILE *open_map(struct perfmap *pm)
{
	int fd = pm->rootfd < 0 ? -1
				: openat(pm->rootfd, pm->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (st.st_uid != pm->uid && st.st_uid != 0)) {
		if (!pm->refused)
			fprintf(stderr, "weft: /%s: not a regular file of the target's user (uid %u): "
				"JavaScript names not read from it\n", pm->path, (unsigned)pm->uid);
		pm->refused = true;
		close(fd);
		return NULL;
	}
	if (!(f = fdopen(fd, "r")))
		close(fd);
	return f;
}

/* What was added since the last read, whole lines only; the new entries
 * sorted and merged with the old (a shrunk file is a new one: read anew). */
static void load(struct perfmap *pm, off_t size)
{
	FILE *f = open_map(pm);
	char line[1024];
	size_t old = pm->n;
	off_t at;

	if (!f)
		return;
	if (size < pm->read_size)
		clear(pm), old = 0;
	if (fseeko(f, pm->read_size, SEEK_SET)) {
		fclose(f);
		return;
	}
	at = pm->read_size;
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		unsigned long long start, sz;
		int off = 0;

		if (!len || line[len - 1] != '\n')
			break; /* a line being written: read it next time */
		at += len;
		pm->lines++;
		if (sscanf(line, "%llx %llx %n", &start, &sz, &off) != 2 || !off)
			continue;
		if (pm->n == pm->cap) {
			size_t cap = pm->cap ? pm->cap * 2 : 4096;
			struct pm_entry *n = realloc(pm->e, cap * sizeof(*n));

			if (!n)
				break;
			pm->e = n;
			pm->cap = cap;
		}
		line[len - 1] = 0;
		pm->e[pm->n] = (struct pm_entry){ start, sz, pm->lines, strdup(line + off) };
		if (pm->e[pm->n].name)
			pm->n++;
	}
	fclose(f);
	pm->read_size = at;
	qsort(pm->e + old, pm->n - old, sizeof(*pm->e), by_start);
	if (old && pm->n > old) {
		struct pm_entry *m = malloc(pm->n * sizeof(*m));
		size_t a = 0, b = old, k = 0;

		if (!m) {
			qsort(pm->e, pm->n, sizeof(*pm->e), by_start);
			return;
		}
		while (a < old || b < pm->n)
			m[k++] = b == pm->n || (a < old && by_start(&pm->e[a], &pm->e[b]) <= 0)
					 ? pm->e[a++] : pm->e[b++];
		memcpy(pm->e, m, pm->n * sizeof(*m));
		free(m);
	}
}

static const struct pm_entry *lookup(const struct perfmap *pm, uint64_t addr)
{
	size_t lo = 0, hi = pm->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (pm->e[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* the last entry starting at or below addr; equal starts: the later line */
	for (size_t i = lo; i > 0; i--) {
		const struct pm_entry *e = &pm->e[i - 1];

		if (addr - e->start < e->size) /* start + size may wrap */
			return e;
		if (lo - i > 8)
			break;
	}
	return NULL;
}

const char *perfmap__find(struct perfmap *pm, uint64_t addr)
{
	const struct pm_entry *e = pm ? lookup(pm, addr) : NULL;
	struct stat st;

	if (!e && pm && pm->rootfd >= 0 && !fstatat(pm->rootfd, pm->path, &st, AT_SYMLINK_NOFOLLOW) &&
	    st.st_size != pm->read_size) {
		load(pm, st.st_size);
		e = lookup(pm, addr);
	}
	return e ? e->name : NULL;
}

const char *perfmap__js_name(const char *name, char *buf, size_t len, char *file, size_t flen,
			     uint32_t *line)
{
	const char *colon = strchr(name, ':'), *sp = strchr(name, ' '), *base;
	unsigned ln = 0;

	file[0] = 0;
	*line = 0;
	/* "JS:", "Eval:", "LazyCompile:": a kind, before the first space */
	if (colon && (!sp || colon < sp))
		name = colon + 1;
	/* a tier mark: ~ interpreted, ^ baseline, + maglev, * optimized; an
	 * "o" before it (Node 26's V8): code entered by on-stack replacement */
	if (name[0] == 'o' && name[1] && strchr("+*", name[1]))
		name++;
	if (*name == '~' || *name == '^' || *name == '+' || *name == '*')
		name++;
	/* "'" after it: code specialized to its context (Node 26.12's V8) */
	if (*name == '\'')
		name++;
	sp = strchr(name, ' ');
	snprintf(buf, len, "%.*s", sp ? (int)(sp - name) : (int)strlen(name), name);
	if (!buf[0])
		snprintf(buf, len, "(anonymous)");
	if (sp) {
		/* "/srv/app.js:12:3" -> "app.js", 12; node's own modules whole:
		 * "node:internal/http" */
		base = strncmp(sp + 1, "node:", 5) ? strrchr(sp + 1, '/') : NULL;
		base = base ? base + 1 : sp + 1;
		if (base == sp + 1 && !strncmp(base, "node:", 5)) {
			const char *c = strchr(base + 5, ':');

			snprintf(file, flen, "%.*s", c ? (int)(c - base) : (int)strlen(base), base);
			if (c && sscanf(c + 1, "%u", &ln) == 1)
				*line = ln;
			return buf;
		}
		colon = strchr(base, ':');
		snprintf(file, flen, "%.*s", colon ? (int)(colon - base) : (int)strlen(base), base);
		if (colon && sscanf(colon + 1, "%u", &ln) == 1)
			*line = ln;
	}
	return buf;
}

bool perfmap__is_js(const char *name)
{
	return !strncmp(name, "JS:", 3) || !strncmp(name, "LazyCompile:", 12) ||
	       !strncmp(name, "Function:", 9) || !strncmp(name, "Eval:", 5);
}
