/* The Go program the goelf tests build (test_goelf_builds.c with every
 * toolchain, test_goelf_rejects.c once, to damage copies of it) and the
 * directory it is built in. Include after cmocka.h and go_toolchains.h. */
#ifndef WEFT_TEST_GOELF_PROG_H
#define WEFT_TEST_GOELF_PROG_H

#include <string.h>
#include <sys/stat.h>

static const char prog_go[] =
	"package main\n"
	"\n"
	"import (\n"
	"\t\"fmt\"\n"
	"\t\"os\"\n"
	"\t\"sync\"\n"
	")\n"
	"\n"
	"//go:noinline\n"
	"//go:nosplit\n"
	"func leaf(x int) int { return x*3 + 1 }\n"
	"\n"
	"// a frame past StackBig: two branches to morestack (underflow, bound)\n"
	"//go:noinline\n"
	"func big(n int) int {\n"
	"\tvar a [100000]byte\n"
	"\tfor i := range a {\n"
	"\t\ta[i] = byte(i + n)\n"
	"\t}\n"
	"\tos.Stdout.Write(a[:n])\n"
	"\treturn int(a[n])\n"
	"}\n"
	"\n"
	"// its panic block falls through into the morestack block\n"
	"//go:noinline\n"
	"func mustErr(err error) string {\n"
	"\tif err == nil {\n"
	"\t\tpanic(\"nil error\")\n"
	"\t}\n"
	"\treturn err.Error()\n"
	"}\n"
	"\n"
	"//go:noinline\n"
	"func twice(i int) int { return i + len(os.Args) }\n"
	"\n"
	"//go:noinline\n"
	"func viaValue(i int) int { return i * 5 }\n"
	"\n"
	"// a func value: viaValue's address in data\n"
	"var fv = viaValue\n"
	"\n"
	"// twice's two direct calls, each followed by a direct call (emulated)\n"
	"//go:noinline\n"
	"func callTwice() int {\n"
	"\ta := twice(1)\n"
	"\tb := twice(2)\n"
	"\treturn a + leaf(b+fv(3))\n"
	"}\n"
	"\n"
	"type Server struct{ n int }\n"
	"\n"
	"//go:noinline\n"
	"func (s *Server) handle(i int) { s.n += leaf(i) }\n"
	"\n"
	"func main() {\n"
	"\tvar wg sync.WaitGroup\n"
	"\tvar mu sync.Mutex\n"
	"\ts := &Server{n: len(os.Args) + big(0) + len(mustErr(os.ErrClosed)) + callTwice()}\n"
	"\tfor i := 0; i < 3; i++ {\n"
	"\t\twg.Add(1)\n"
	"\t\tgo func(i int) {\n"
	"\t\t\tdefer wg.Done()\n"
	"\t\t\tmu.Lock()\n"
	"\t\t\ts.handle(i)\n"
	"\t\t\tmu.Unlock()\n"
	"\t\t}(i)\n"
	"\t}\n"
	"\twg.Wait()\n"
	"\tfmt.Println(s.n)\n"
	"}\n";

/* tc's build directory under tmpdir, made, with prog.go in it. */
static inline void prog_write(struct toolchain *tc)
{
	char src[600];

	snprintf(tc->dir, sizeof(tc->dir), "%s/%s", tmpdir, tc->name);
	assert_int_equal(mkdir(tc->dir, 0755), 0);
	snprintf(src, sizeof(src), "%s/prog.go", tc->dir);
	write_file(src, prog_go, strlen(prog_go));
}

#endif
