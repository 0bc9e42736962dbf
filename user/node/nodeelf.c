// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <capstone/capstone.h>
#include "elf_file.h"
#include "nodeelf.h"
#include "nodeelf_int.h"

/* ---- per-version facts (doc/node-internals.md says how each was found) ---- */

#define COMMON_PROVIDERS                                                                    \
	"NONE", "DIRHANDLE", "DNSCHANNEL", "ELDHISTOGRAM", "FILEHANDLE", "FILEHANDLECLOSEREQ", \
		"BLOBREADER", "FSEVENTWRAP", "FSREQCALLBACK", "FSREQPROMISE",                  \
		"GETADDRINFOREQWRAP", "GETNAMEINFOREQWRAP", "HEAPSNAPSHOT", "HTTP2SESSION",   \
		"HTTP2STREAM", "HTTP2PING", "HTTP2SETTINGS", "HTTPINCOMINGMESSAGE",           \
		"HTTPCLIENTREQUEST"

static const char *const providers20[] = {
	COMMON_PROVIDERS, "JSSTREAM", "JSUDPWRAP", "MESSAGEPORT", "PIPECONNECTWRAP",
	"PIPESERVERWRAP", "PIPEWRAP", "PROCESSWRAP", "PROMISE", "QUERYWRAP", "QUIC_LOGSTREAM",
	"QUIC_PACKET", "SHUTDOWNWRAP", "SIGNALWRAP", "STATWATCHER", "STREAMPIPE",
	"TCPCONNECTWRAP", "TCPSERVERWRAP", "TCPWRAP", "TTYWRAP", "UDPSENDWRAP", "UDPWRAP",
	"SIGINTWATCHDOG", "WORKER", "WORKERHEAPSNAPSHOT", "WRITEWRAP", "ZLIB",
	"CHECKPRIMEREQUEST", "PBKDF2REQUEST", "KEYPAIRGENREQUEST", "KEYGENREQUEST",
	"KEYEXPORTREQUEST", "CIPHERREQUEST", "DERIVEBITSREQUEST", "HASHREQUEST",
	"RANDOMBYTESREQUEST", "RANDOMPRIMEREQUEST", "SCRYPTREQUEST", "SIGNREQUEST", "TLSWRAP",
	"VERIFYREQUEST",
};

static const char *const providers22[] = {
	COMMON_PROVIDERS, "JSSTREAM", "JSUDPWRAP", "MESSAGEPORT", "PIPECONNECTWRAP",
	"PIPESERVERWRAP", "PIPEWRAP", "PROCESSWRAP", "PROMISE", "QUERYWRAP", "QUIC_ENDPOINT",
	"QUIC_LOGSTREAM", "QUIC_PACKET", "QUIC_SESSION", "QUIC_STREAM", "QUIC_UDP",
	"SHUTDOWNWRAP", "SIGNALWRAP", "STATWATCHER", "STREAMPIPE", "TCPCONNECTWRAP",
	"TCPSERVERWRAP", "TCPWRAP", "TTYWRAP", "UDPSENDWRAP", "UDPWRAP", "SIGINTWATCHDOG",
	"WORKER", "WORKERCPUPROFILE", "WORKERCPUUSAGE", "WORKERHEAPSNAPSHOT",
	"WORKERHEAPSTATISTICS", "WRITEWRAP", "ZLIB", "CHECKPRIMEREQUEST", "PBKDF2REQUEST",
	"KEYPAIRGENREQUEST", "KEYGENREQUEST", "KEYEXPORTREQUEST", "CIPHERREQUEST",
	"DERIVEBITSREQUEST", "HASHREQUEST", "RANDOMBYTESREQUEST", "RANDOMPRIMEREQUEST",
	"SCRYPTREQUEST", "SIGNREQUEST", "TLSWRAP", "VERIFYREQUEST",
};

static const char *const providers24[] = {
	COMMON_PROVIDERS, "LOCKS", "JSSTREAM", "JSUDPWRAP", "MESSAGEPORT", "PIPECONNECTWRAP",
	"PIPESERVERWRAP", "PIPEWRAP", "PROCESSWRAP", "PROMISE", "QUERYWRAP", "QUIC_ENDPOINT",
	"QUIC_LOGSTREAM", "QUIC_SESSION", "QUIC_STREAM", "QUIC_UDP", "SHUTDOWNWRAP",
	"SIGNALWRAP", "STATWATCHER", "STREAMPIPE", "TCPCONNECTWRAP", "TCPSERVERWRAP", "TCPWRAP",
	"TTYWRAP", "UDPSENDWRAP", "UDPWRAP", "SIGINTWATCHDOG", "WORKER", "WORKERCPUPROFILE",
	"WORKERCPUUSAGE", "WORKERHEAPPROFILE", "WORKERHEAPSNAPSHOT", "WORKERHEAPSTATISTICS",
	"WRITEWRAP", "ZLIB", "CHECKPRIMEREQUEST", "PBKDF2REQUEST", "KEYPAIRGENREQUEST",
	"KEYGENREQUEST", "KEYEXPORTREQUEST", "ARGON2REQUEST", "CIPHERREQUEST",
	"DERIVEBITSREQUEST", "HASHREQUEST", "RANDOMBYTESREQUEST", "RANDOMPRIMEREQUEST",
	"SCRYPTREQUEST", "SIGNREQUEST", "TLSWRAP", "VERIFYREQUEST",
};

/* 26: JSUDPWRAP gone, DTLS_ENDPOINT and DTLS_SESSION after LOCKS */
static const char *const providers26[] = {
	COMMON_PROVIDERS, "LOCKS", "DTLS_ENDPOINT", "DTLS_SESSION", "JSSTREAM", "MESSAGEPORT",
	"PIPECONNECTWRAP", "PIPESERVERWRAP", "PIPEWRAP", "PROCESSWRAP", "PROMISE", "QUERYWRAP",
	"QUIC_ENDPOINT", "QUIC_LOGSTREAM", "QUIC_SESSION", "QUIC_STREAM", "QUIC_UDP",
	"SHUTDOWNWRAP", "SIGNALWRAP", "STATWATCHER", "STREAMPIPE", "TCPCONNECTWRAP",
	"TCPSERVERWRAP", "TCPWRAP", "TTYWRAP", "UDPSENDWRAP", "UDPWRAP", "SIGINTWATCHDOG",
	"WORKER", "WORKERCPUPROFILE", "WORKERCPUUSAGE", "WORKERHEAPPROFILE",
	"WORKERHEAPSNAPSHOT", "WORKERHEAPSTATISTICS", "WRITEWRAP", "ZLIB", "CHECKPRIMEREQUEST",
	"PBKDF2REQUEST", "KEYPAIRGENREQUEST", "KEYGENREQUEST", "KEYEXPORTREQUEST",
	"ARGON2REQUEST", "CIPHERREQUEST", "DERIVEBITSREQUEST", "HASHREQUEST",
	"RANDOMBYTESREQUEST", "RANDOMPRIMEREQUEST", "SCRYPTREQUEST", "SIGNREQUEST", "TLSWRAP",
	"VERIFYREQUEST",
};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* 20-24 are GCC builds, 26 a clang one: AsyncReset keeps `this` in R14
 * and inlines the HandleScope whose constructor was the site, Close and
 * the parser's proxies test their guard after the first push. */
static const struct layout {
	int major;
	int provider, async_id, trigger_id, parser_llhttp;
	bool ctx_in_r8, scope_wrap;
	x86_reg reset_this; /* where AsyncReset keeps `this` as it stores the ids */
	bool reset_at_trace; /* its site: the call of EmitTraceAsyncStart, not the next */
	int scope_closed, url_skip; /* see node_info */
	int h2_stream_id, h2_headers; /* Http2Stream: id_, current_headers_ */
	const char *const *providers;
	int nr_providers;
} layouts[] = {
	{ 20, 0x20, 0x28, 0x30, 0x50, false, true, X86_REG_RBX, false, 0, 0, 0xc0, 0xe0, providers20,
	  N(providers20) },
	{ 22, 0x30, 0x38, 0x40, 0x68, true, true, X86_REG_RBX, false, 0, 0, 0xd8, 0x100, providers22,
	  N(providers22) },
	{ 24, 0x30, 0x38, 0x40, 0x60, true, false, X86_REG_RBX, false, 0, 0, 0xd0, 0xf8, providers24,
	  N(providers24) },
	{ 26, 0x30, 0x38, 0x40, 0x60, true, false, X86_REG_R14, true, 0x24, 0x26aa, 0xd0, 0xf8, providers26,
	  N(providers26) },
};

/* How each function is found: its mangled name, whole or as a prefix, or
 * (the parser callback, whose namespace changed) as a suffix. */
static const struct {
	const char *name;
	enum { EXACT, PREFIX, SUFFIX } how;
	bool required;
} wanted[NODE_NR_FNS] = {
	[NODE_ASYNC_RESET] = { "_ZN4node9AsyncWrap10AsyncResetEN2v85LocalINS1_6ObjectEEEd", PREFIX, true },
	[NODE_SCOPE_ENV] = { "_ZN4node21InternalCallbackScopeC2EPNS_11Environment", PREFIX, true },
	[NODE_SCOPE_WRAP] = { "_ZN4node21InternalCallbackScopeC2EPNS_9AsyncWrapEi", EXACT, true },
	[NODE_SCOPE_CLOSE] = { "_ZN4node21InternalCallbackScope5CloseEv", EXACT, true },
	[NODE_WRAP_DTOR] = { "_ZN4node9AsyncWrapD2Ev", EXACT, true },
	[NODE_EMIT_DESTROY] = { "_ZN4node9AsyncWrap11EmitDestroyEb", EXACT, true },
	[NODE_HTTP_URL] = { "6Parser5ProxyIMS1_FiPKcmEXadL_ZNS1_6on_urlES4_mEEE3RawEP18llhttp__internal_sS4_m",
			    SUFFIX, false },
	[NODE_UV_TRY_WRITE] = { "uv__try_write", EXACT, false },
	[NODE_HANDLE_UNREF] = { "_ZN4node10HandleWrap5UnrefERKN2v820FunctionCallbackInfoINS1_5ValueEEE",
				EXACT, false },
	[NODE_UV_UNREF] = { "uv_unref", EXACT, false },
	[NODE_PIPE_OPEN] = { "uv_pipe_open", EXACT, false },
	[NODE_TTY_INIT] = { "uv_tty_init", EXACT, false },
	[NODE_ENV_CLEANUP] = { "_ZN4node11Environment10RunCleanupEv", EXACT, false },
	[NODE_ENV_EXIT] = { "_ZN4node11Environment4ExitENS_8ExitCodeE", EXACT, false },
	[NODE_HANDLE_CLOSE] = { "_ZN4node10HandleWrap5CloseEN2v85LocalINS1_5ValueEEE", EXACT, false },
	[NODE_HANDLE_CLOSE_JS] = { "_ZN4node10HandleWrap5CloseERKN2v820FunctionCallbackInfoINS1_5ValueEEE",
				   EXACT, false },
	[NODE_UV_CLOSE] = { "uv_close", EXACT, false },
	[NODE_TRACE_START] = { "_ZNK4node9AsyncWrap19EmitTraceAsyncStartEv", EXACT, false },
	[NODE_SSL_WRITE] = { "SSL_write", EXACT, false },
	[NODE_TIMER_START] = { "uv_timer_start", EXACT, false },
	[NODE_RUN_TIMERS] = { "_ZN4node11Environment9RunTimersEP10uv_timer_s", EXACT, false },
	[NODE_H2_BEGIN] = { "_ZN4node5http212Http2Session22OnBeginHeadersCallbackEP15nghttp2_sessionPK13nghttp2_framePv",
			    EXACT, false },
	[NODE_H2_HEADERS] = { "_ZN4node5http212Http2Session18HandleHeadersFrameEPK13nghttp2_frame",
			      EXACT, false },
	[NODE_H2_CLOSE] = { "_ZN4node5http212Http2Session13OnStreamCloseEP15nghttp2_sessionijPv",
			    EXACT, false },
	[NODE_H2_STREAM] = { "_ZN4node5http211Http2StreamC2EPNS0_12Http2SessionEN2v85LocalINS4_6ObjectEEEi24nghttp2_headers_categoryi",
			     EXACT, false },
	[NODE_H2_ADD_HEADER] = { "_ZN4node5http211Http2Stream9AddHeaderEP13nghttp2_rcbufS3_h", EXACT,
				 false },
	[NODE_H2_RCBUF] = { "nghttp2_rcbuf_get_buf", EXACT, false },
	[NODE_H2_FINISH] = { "_ZN4node5http212Http2Session11FinishCloseEjb", EXACT, false },
	[NODE_H2_SESSION_CLOSE] = { "_ZN4node5http212Http2Session5CloseEjb", EXACT, false },
};

static const char *const fn_labels[NODE_NR_FNS] = {
	"node::AsyncWrap::AsyncReset", "node::InternalCallbackScope(Environment*, ...)",
	"node::InternalCallbackScope(AsyncWrap*, int)", "node::InternalCallbackScope::Close",
	"node::AsyncWrap::~AsyncWrap", "node::AsyncWrap::EmitDestroy(bool)",
	"node's HTTP Parser on_url", "uv__try_write", "node::HandleWrap::Unref", "uv_unref",
	"uv_pipe_open", "uv_tty_init", "node::Environment::RunCleanup",
	"node::Environment::Exit", "node::HandleWrap::Close(Local<Value>)",
	"node::HandleWrap::Close(const FunctionCallbackInfo&)", "uv_close",
	"node::AsyncWrap::EmitTraceAsyncStart", "SSL_write", "uv_timer_start",
	"node::Environment::RunTimers",
	"node::http2::Http2Session::OnBeginHeadersCallback",
	"node::http2::Http2Session::HandleHeadersFrame", "node::http2::Http2Session::OnStreamClose",
	"node::http2::Http2Stream::Http2Stream", "node::http2::Http2Stream::AddHeader",
	"nghttp2_rcbuf_get_buf", "node::http2::Http2Session::FinishClose",
	"node::http2::Http2Session::Close",
};

const char *nodeelf_fn_label(int fn)
{
	return fn >= 0 && fn < NODE_NR_FNS ? fn_labels[fn] : "?";
}

/* n: a symbol's name, l its length, no '.' in it */
static bool matches(const char *n, size_t l, int i)
{
	size_t w = strlen(wanted[i].name);

	switch (wanted[i].how) {
	case EXACT: return l == w && !memcmp(n, wanted[i].name, w);
	case PREFIX: return l >= w && !memcmp(n, wanted[i].name, w);
	case SUFFIX: return l > w && !memcmp(n + l - w, wanted[i].name, w) && !strncmp(n, "_ZN4node", 8);
	}
	return false;
}

/* One pass over .symtab, then .dynsym for what is still missing; names
 * read from the string table's data directly (node has ~100K symbols) */
static void find_symbols(Elf *e, struct node_info *ni)
{
	for (int pass = 0; pass < 2; pass++) {
		Elf_Scn *scn = NULL;
		GElf_Shdr sh;

		while ((scn = elf_nextscn(e, scn))) {
			Elf_Data *d, *strs;
			Elf_Scn *str_scn;

			if (!gelf_getshdr(scn, &sh) || !sh.sh_entsize ||
			    sh.sh_type != (pass ? SHT_DYNSYM : SHT_SYMTAB))
				continue;
			d = elf_getdata(scn, NULL);
			str_scn = elf_getscn(e, sh.sh_link);
			strs = str_scn ? elf_getdata(str_scn, NULL) : NULL;
			if (!strs || !strs->d_buf || !strs->d_size)
				continue;
			for (size_t k = 0; d && k < sh.sh_size / sh.sh_entsize; k++) {
				const char *n;
				size_t l;
				GElf_Sym s;

				if (!gelf_getsym(d, k, &s) || !s.st_value || s.st_shndx == SHN_UNDEF ||
				    s.st_name >= strs->d_size)
					continue;
				n = (const char *)strs->d_buf + s.st_name;
				if (GELF_ST_TYPE(s.st_info) == STT_OBJECT && n[0] == 'd' &&
				    strnlen(n, strs->d_size - s.st_name) == 19 &&
				    !memcmp(n, "default_loop_struct", 19)) {
					ni->default_loop = s.st_value;
					continue;
				}
				if (GELF_ST_TYPE(s.st_info) != STT_FUNC)
					continue;
				if (n[0] != '_' && n[0] != 'u' && n[0] != 'S' && n[0] != 'n')
					continue;
				l = strnlen(n, strs->d_size - s.st_name);
				/* .cold, .part.N, .isra.N: pieces of a function; unterminated: none */
				if (l == strs->d_size - s.st_name || memchr(n, '.', l))
					continue;
				for (int i = 0; i < NODE_NR_FNS; i++)
					if (!ni->vaddr[i] && matches(n, l, i)) {
						ni->vaddr[i] = s.st_value;
						ni->size[i] = s.st_size;
					}
			}
		}
	}
}

/* vaddr's file offset in an executable PT_LOAD whose file bytes hold
 * vaddr..+size (the symbol's size is the file's word too) */
static int code_off(Elf *e, uint64_t vaddr, uint64_t size, uint64_t *off)
{
	GElf_Phdr ph;
	size_t n;

	if (elf_getphdrnum(e, &n))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (gelf_getphdr(e, i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X) &&
		    vaddr >= ph.p_vaddr && vaddr - ph.p_vaddr < ph.p_filesz &&
		    size <= ph.p_filesz - (vaddr - ph.p_vaddr) &&
		    ph.p_offset <= UINT64_MAX - ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	return -1;
}

int nodeelf_file_off(Elf *e, uint64_t vaddr, uint64_t *off)
{
	return code_off(e, vaddr, 1, off);
}

/* "https://nodejs.org/download/release/v20.20.2/...": process.release's
 * URLs are in every official build's read-only data. */
static void find_version(int fd, struct node_info *ni)
{
	static const char key[] = "/download/release/v";
	char buf[(1 << 16) + 1];
	off_t pos = 0;
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf) - 1, pos)) > (ssize_t)sizeof(key) + 16) {
		char *p = memmem(buf, n, key, sizeof(key) - 1);

		buf[n] = 0; /* sscanf stops here: digits may run to the end of the read */
		if (p && p + sizeof(key) + 16 < buf + n) {
			int maj, min, pat;

			if (sscanf(p + sizeof(key) - 1, "%d.%d.%d/", &maj, &min, &pat) == 3) {
				snprintf(ni->version, sizeof(ni->version), "v%d.%d.%d", maj, min, pat);
				ni->major = maj;
				return;
			}
		}
		if (n < (ssize_t)sizeof(buf) - 1)
			break; /* the file's end: stepping back 64 would read it forever */
		pos += n - 64; /* overlap: the key may straddle two reads */
	}
}

int nodeelf_code_read(int fd, Elf *e, uint64_t vaddr, uint64_t size, struct code *c)
{
	uint64_t off;

	c->buf = NULL;
	if (!size || size > (1 << 16) || code_off(e, vaddr, size, &off) || !(c->buf = malloc(size)) ||
	    pread(fd, c->buf, size, off) != (ssize_t)size) {
		free(c->buf);
		c->buf = NULL;
		return -1;
	}
	c->size = size;
	c->vaddr = vaddr;
	return 0;
}

/* The first `push` in the first 32 bytes: an emulated instruction, past any
 * guard (`if (closed_) return`, an early-out flag), the arguments still in
 * their registers. */
int nodeelf_first_push(csh cs, const struct code *c, uint64_t *vaddr)
{
	struct insn_walk w;
	const cs_insn *insn;
	int rc = -1;

	insn_walk__start(&w, cs, c->buf, c->size < 32 ? c->size : 32, c->vaddr);
	while ((insn = insn_walk__next(&w)))
		if (insn->id == X86_INS_PUSH) {
			*vaddr = insn->address;
			rc = 0;
			break;
		}
	insn_walk__end(&w);
	return rc;
}

/* The call or jump to target: the kernel emulates both, and the callee's
 * arguments are in place. */
static int branch_to(csh cs, const struct code *c, uint64_t target, uint64_t *site)
{
	struct insn_walk w;
	const cs_insn *insn;
	int rc = -1;

	insn_walk__start(&w, cs, c->buf, c->size, c->vaddr);
	while ((insn = insn_walk__next(&w))) {
		const cs_x86 *x = &insn->detail->x86;

		if ((insn->id == X86_INS_CALL || insn->id == X86_INS_JMP) && x->op_count == 1 &&
		    x->operands[0].type == X86_OP_IMM && (uint64_t)x->operands[0].imm == target) {
			*site = insn->address;
			rc = 0;
			break;
		}
	}
	insn_walk__end(&w);
	return rc;
}

/* `cmpb $0, D(%rdi)`: a guard on a flag of the object, D in *disp. */
static bool cmp0_rdi(const cs_insn *insn, int *disp)
{
	const cs_x86 *x = &insn->detail->x86;

	if (insn->id != X86_INS_CMP || x->op_count != 2 || x->operands[0].type != X86_OP_MEM ||
	    x->operands[0].size != 1 || x->operands[0].mem.base != X86_REG_RDI ||
	    x->operands[0].mem.index != X86_REG_INVALID || x->operands[1].type != X86_OP_IMM ||
	    x->operands[1].imm)
		return false;
	*disp = (int)x->operands[0].mem.disp;
	return true;
}

/* `mov %from, %to` */
static bool mov_reg(const cs_insn *insn, x86_reg to, x86_reg from)
{
	const cs_x86 *x = &insn->detail->x86;

	return insn->id == X86_INS_MOV && x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
	       x->operands[0].reg == to && x->operands[1].type == X86_OP_REG &&
	       x->operands[1].reg == from;
}

/* In AsyncReset: the two `movsd %xmmN, D(this)` that store the new id and
 * trigger (their D must be the table's), then the site where the fields
 * are final: the next `call` (20-24: `this` in RBX), or the call of
 * EmitTraceAsyncStart at trace, right after `mov this, %rdi` (26: the next
 * call, Object::Set, is skipped when the resource is the wrap itself). */
static int reset_site(csh cs, const struct code *c, const struct layout *l, uint64_t trace,
		      uint64_t *site, char *why, size_t len)
{
	struct insn_walk w;
	const cs_insn *insn;
	int stores[2], nr = 0, rc = -1;
	bool this_in_rdi = false;

	if (l->reset_at_trace && !trace) {
		snprintf(why, len, "AsyncWrap::EmitTraceAsyncStart not found in its symbols");
		return -1;
	}
	insn_walk__start(&w, cs, c->buf, c->size, c->vaddr);
	while ((insn = insn_walk__next(&w))) {
		const cs_x86 *x = &insn->detail->x86;

		if (nr < 2 && insn->id == X86_INS_MOVSD && x->op_count == 2 &&
		    x->operands[0].type == X86_OP_MEM && x->operands[0].mem.base == l->reset_this) {
			stores[nr++] = (int)x->operands[0].mem.disp;
		} else if (nr == 2 && insn->id == X86_INS_CALL &&
			   (!l->reset_at_trace || (x->operands[0].type == X86_OP_IMM &&
						   (uint64_t)x->operands[0].imm == trace))) {
			*site = insn->address;
			rc = l->reset_at_trace && !this_in_rdi ? -2 : 0;
			break;
		}
		this_in_rdi = mov_reg(insn, X86_REG_RDI, l->reset_this);
	}
	insn_walk__end(&w);
	if (rc == -2)
		snprintf(why, len, "AsyncReset's call of EmitTraceAsyncStart does not take `this`");
	else if (rc)
		snprintf(why, len, "the id stores were not found in AsyncReset");
	else if (stores[0] != l->async_id || stores[1] != l->trigger_id) {
		snprintf(why, len, "AsyncReset stores the ids at +%#x/+%#x, the table says +%#x/+%#x",
			 stores[0], stores[1], l->async_id, l->trigger_id);
		rc = -1;
	}
	return rc ? -1 : 0;
}

/* Close's `if (closed_) return`: before the first push (at), which then
 * sees each scope once, or (26) after it, at the table's closed_. */
static int check_close(csh cs, const struct code *c, const struct layout *l, uint64_t at,
		       char *why, size_t len)
{
	struct insn_walk w;
	const cs_insn *insn;
	uint64_t guard = 0;
	int disp = 0;

	insn_walk__start(&w, cs, c->buf, c->size < 32 ? c->size : 32, c->vaddr);
	while ((insn = insn_walk__next(&w)))
		if (cmp0_rdi(insn, &disp)) {
			guard = insn->address;
			break;
		}
	insn_walk__end(&w);
	if (!guard)
		snprintf(why, len, "InternalCallbackScope::Close: its closed_ guard was not found");
	else if (!l->scope_closed && guard > at)
		snprintf(why, len, "InternalCallbackScope::Close tests closed_ after its first "
			 "push, the table says before");
	else if (l->scope_closed && (guard < at || disp != l->scope_closed))
		snprintf(why, len, "InternalCallbackScope::Close tests +%#x %s its first push, the "
			 "table says +%#x after", disp, guard < at ? "before" : "after",
			 l->scope_closed);
	else
		return 0;
	return -1;
}

/* on_url's proxy finds node's Parser from the llhttp_t: `lea -OFF(%rdi)`,
 * or `mov %rdi, R; add $-OFF, R`. Past its first push (at), a guard on a
 * flag of the llhttp_t must be the table's url_skip. */
static int check_parser(csh cs, const struct code *c, const struct layout *l, uint64_t at,
			char *why, size_t len)
{
	struct insn_walk w;
	const cs_insn *insn;
	x86_reg copy = X86_REG_INVALID;
	int rc = -1, off = 0, skip = 0, disp;

	insn_walk__start(&w, cs, c->buf, c->size < 96 ? c->size : 96, c->vaddr);
	while ((insn = insn_walk__next(&w))) {
		const cs_x86 *x = &insn->detail->x86;

		if (insn->address > at && cmp0_rdi(insn, &disp))
			skip = disp;
		if (insn->id == X86_INS_MOV && x->op_count == 2 &&
		    x->operands[0].type == X86_OP_REG && x->operands[1].type == X86_OP_REG &&
		    x->operands[1].reg == X86_REG_RDI)
			copy = x->operands[0].reg;
		if (insn->id == X86_INS_LEA && x->op_count == 2 && x->operands[1].type == X86_OP_MEM &&
		    x->operands[1].mem.base == X86_REG_RDI && x->operands[1].mem.disp < 0)
			off = (int)-x->operands[1].mem.disp;
		else if (insn->id == X86_INS_ADD && x->op_count == 2 && copy != X86_REG_INVALID &&
			 x->operands[0].type == X86_OP_REG && x->operands[0].reg == copy &&
			 x->operands[1].type == X86_OP_IMM && x->operands[1].imm < 0)
			off = (int)-x->operands[1].imm;
		if (off) {
			rc = 0;
			break;
		}
	}
	insn_walk__end(&w);
	if (rc)
		snprintf(why, len, "the HTTP parser's layout was not found in on_url");
	else if (off != l->parser_llhttp)
		snprintf(why, len, "the HTTP parser's llhttp_t is at +%#x, the table says +%#x",
			 off, l->parser_llhttp);
	else if (skip != l->url_skip)
		snprintf(why, len, "on_url's proxy tests +%#x past its first push, the table says "
			 "+%#x", skip, l->url_skip);
	else
		return 0;
	return -1;
}

static int locate(int fd, Elf *e, struct node_info *ni, const struct layout *l, char *why,
		  size_t len)
{
	csh cs;
	int rc = 0;

	if (insn_walk__open(&cs))
		return snprintf(why, len, "capstone failed"), -1;
	for (int i = 0; i < NODE_NR_FNS && !rc; i++) {
		struct code c;
		uint64_t at = 0;

		if (!ni->vaddr[i] || i == NODE_UV_UNREF || i == NODE_UV_CLOSE ||
		    i == NODE_TRACE_START || i == NODE_TIMER_START || i == NODE_RUN_TIMERS ||
		    i >= NODE_H2_BEGIN)
			continue;
		if (nodeelf_code_read(fd, e, ni->vaddr[i], ni->size[i], &c)) {
			snprintf(why, len, "%s: its code is not in the file", fn_labels[i]);
			rc = -1;
			break;
		}
		if (i == NODE_ASYNC_RESET &&
		    (reset_site(cs, &c, l, ni->vaddr[NODE_TRACE_START], &at, why, len) ||
		     nodeelf_file_off(e, at, &ni->reset_site_off)))
			rc = -1;
		if (i == NODE_HANDLE_CLOSE || i == NODE_HANDLE_CLOSE_JS) {
			/* optional: without it, handles end when destroyed */
			if (!ni->vaddr[NODE_UV_CLOSE] ||
			    branch_to(cs, &c, ni->vaddr[NODE_UV_CLOSE], &at))
				ni->vaddr[i] = 0;
		} else if (i == NODE_HANDLE_UNREF) {
			if (branch_to(cs, &c, ni->vaddr[NODE_UV_UNREF], &at)) {
				snprintf(why, len, "%s: no jump to uv_unref", fn_labels[i]);
				rc = -1;
			}
		} else if (i == NODE_SSL_WRITE && nodeelf_first_push(cs, &c, &at)) {
			ni->vaddr[i] = 0; /* optional: HTTPS calls unseen, said at attach */
			ni->ssl_write_refused = true;
		} else if (!rc && nodeelf_first_push(cs, &c, &at)) {
			snprintf(why, len, "%s: no emulated instruction near its entry",
				 fn_labels[i]);
			rc = -1;
		}
		if (!rc && i == NODE_HTTP_URL)
			rc = check_parser(cs, &c, l, at, why, len);
		if (!rc && i == NODE_SCOPE_CLOSE)
			rc = check_close(cs, &c, l, at, why, len);
		if (!rc && ni->vaddr[i])
			rc = nodeelf_file_off(e, at, &ni->probe_off[i]);
		free(c.buf);
	}
	cs_close(&cs);
	return rc;
}

static int nodeelf_read(const char *path, struct node_info *ni, char *err, size_t len);

/* What was read of the last few binaries, by file: an attach asks about
 * its target 2-3 times, and reading node's 100K symbols takes ~40 ms */
#define NODEELF_CACHE 4
static struct {
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	bool used;
	int rc;
	struct node_info ni;
	char err[256];
} nodeelf_cache[NODEELF_CACHE];
static unsigned nodeelf_next;

int nodeelf__open(const char *path, struct node_info *ni, char *err, size_t len)
{
	struct stat st;
	char e[256] = "";
	int rc;

	if (stat(path, &st))
		return nodeelf_read(path, ni, err, len);
	for (int i = 0; i < NODEELF_CACHE; i++) {
		typeof(nodeelf_cache[0]) *c = &nodeelf_cache[i];

		if (c->used && c->dev == st.st_dev && c->ino == st.st_ino &&
		    c->mtime.tv_sec == st.st_mtim.tv_sec && c->mtime.tv_nsec == st.st_mtim.tv_nsec) {
			*ni = c->ni;
			if (err && len && c->rc < 0)
				snprintf(err, len, "%s", c->err);
			return c->rc;
		}
	}
	rc = nodeelf_read(path, ni, e, sizeof(e));
	{
		typeof(nodeelf_cache[0]) *c = &nodeelf_cache[nodeelf_next++ % NODEELF_CACHE];

		c->dev = st.st_dev;
		c->ino = st.st_ino;
		c->mtime = st.st_mtim;
		c->used = true;
		c->rc = rc;
		c->ni = *ni;
		snprintf(c->err, sizeof(c->err), "%s", e);
	}
	if (err && len && rc < 0)
		snprintf(err, len, "%s", e);
	return rc;
}

static int nodeelf_read(const char *path, struct node_info *ni, char *err, size_t len)
{
	const struct layout *l = NULL;
	char why[256] = "";
	int fd, rc = -1;
	Elf *e;

	memset(ni, 0, sizeof(*ni));
	e = elf_file__open(path, &fd);
	if (!e)
		return 0; /* not an ELF file: not Node */
	find_symbols(e, ni);
	if (!ni->vaddr[NODE_ASYNC_RESET]) {
		rc = 0; /* not Node (or a stripped one: nothing to tell it by) */
		goto out;
	}
	find_version(fd, ni);
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if (layouts[i].major == ni->major)
			l = &layouts[i];
	if (!l) {
		snprintf(err, len, "Node %s: no layout table for this version (weft knows Node 20, "
			 "22, 24 and 26)", ni->version[0] ? ni->version : "of unknown version");
		goto out;
	}
	for (int i = 0; i < NODE_NR_FNS; i++)
		if (wanted[i].required && !ni->vaddr[i]) {
			snprintf(err, len, "Node %s: %s not found in its symbols", ni->version,
				 fn_labels[i]);
			goto out;
		}
	if (locate(fd, e, ni, l, why, sizeof(why))) {
		snprintf(err, len, "Node %s: its code does not match weft's table: %s", ni->version,
			 why);
		goto out;
	}
	ni->off_provider = l->provider;
	ni->off_async_id = l->async_id;
	ni->off_trigger_id = l->trigger_id;
	ni->parser_llhttp = l->parser_llhttp;
	ni->scope_ctx_in_r8 = l->ctx_in_r8;
	ni->probe_scope_wrap = l->scope_wrap;
	ni->reset_this_rdi = l->reset_at_trace;
	ni->scope_closed = l->scope_closed;
	ni->url_skip = l->url_skip;
	ni->providers = l->providers;
	ni->nr_providers = l->nr_providers;
	nodeelf_h2(fd, e, ni, l->h2_stream_id, l->h2_headers);
	nodeelf_timers(fd, e, ni);
	rc = 1;
out:
	elf_file__close(e, fd);
	return rc;
}
