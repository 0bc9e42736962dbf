// gocgo: a cgo service: requests whose goroutines call into C, one request
// leaking a goroutine, and a goroutine created by a Go callback on a thread
// that C created (not the Go runtime).
//
//	gocgo [N]              (N handle calls, default 3)
//
// Build (in tests/go): GOPATH=$PWD GO111MODULE=off CGO_ENABLED=1 go build
// gocgo.go (the standard library, weft/testlib and cgo, needs a C compiler:
// gcc; `make go-targets` builds it with every installed Go, with
// CGO_ENABLED=1 because the file imports "C"). The binary is linked
// externally (gcc) and dynamically against libc (pthread).
//
// C preamble (static functions only: the file has an //export, so its
// preamble is compiled into two C files and may define nothing non-static):
//
//	c_work(k):             usleep(1000) plus a small arithmetic loop; returns
//	                       a checksum (a cgo call of ~1 ms: the goroutine's M
//	                       is in C, sysmon may hand its P to another M);
//	c_start_callback_thread(): pthread_create()s one thread (a C thread, not
//	                       an M of the runtime) running cb_thread_main, which
//	                       calls the exported Go function goCallback(), then
//	                       pthread_join()s it; returns 0 or the errno.
//
// Startup (outside any transaction, before $WEFT_TEST_WAIT): the first log
// line, runtime.GC() (the GC's mark workers exist before any transaction).
// After $WEFT_TEST_WAIT, still outside any transaction:
//
//	main calls C.c_start_callback_thread(): on the C thread, goCallback runs
//	  on an extra M's goroutine (cgo's needm; that goroutine is not created
//	  by runtime.newproc1) and starts 1 goroutine (SITE:callback, creation
//	  site main.goCallback, start main.callbackWorker) that sleeps 2 ms and
//	  exits; goCallback returns, the C thread exits, the join returns; then
//	  main waits until callbackWorker has exited (a channel it closes).
//	  => exactly 1 goroutine created outside any transaction by main.*:
//	  an orphan at main.goCallback, already ended before the first handle.
//
// Then main calls handle(i) for i = 0..N-1, 20 ms apart, on the main
// goroutine (--txn main.handle). Each handle(i):
//
//	starts 2 goroutines (SITE:worker, site main.handle, start main.cWorker):
//	  each calls C.c_work once and exits; handle waits for both (WaitGroup);
//	if i == 1: also starts 1 goroutine (SITE:leak, site main.handle, start
//	  main.leakWorker) that calls C.c_work, signals handle (which waits for
//	  that signal), then blocks forever receiving from a channel nobody
//	  sends on or closes: LEAKED ("chan receive").
//
// Goroutine bodies take no arguments (`go cWorker()`), so the start function
// (g.startpc) is the body itself in every Go version (`go f(x)` would start a
// compiler wrapper: .funcN up to Go 1.21, .gowrapN from 1.22); their state
// is package-level.
//
// Expected, N = 3:
//
//	3 main.handle txns, goroutine segments 2, 3, 2; leaked 0, 1, 0;
//	leaks: 1 (site main.handle, start main.leakWorker, txns [main.handle]);
//	orphans from main.*: 1 (site main.goCallback, count 1).
//	In general: N txns of 2 goroutines, the second (if N >= 2) with 3 and 1 leak.
//
// After the last handle main sleeps 700 ms (> the default grace), logs
// "gocgo idle goroutines=G" (G = 2 if N >= 2, else 1), prints the stdout
// line and exits.
//
// Stdout: one line at the end, "gocgo done handles=N" (the same with and
// without a tracer).
//
// Log ($WEFT_TEST_LOG, appended, else stderr; never stdout), goid = goroutine id:
//
//	gocgo main goid=1 pid=P
//	gocgo callback goid=G                        (goCallback, on the C thread)
//	gocgo callback-worker goid=G pgoid=PG        (PG: goCallback's goid)
//	gocgo callback-done
//	gocgo handle=I worker goid=G sum=S           (after its C call)
//	gocgo handle=I leak goid=G sum=S             (after its C call, then blocks)
//	gocgo handle=I done goroutines=G
//	gocgo idle goroutines=G
//
// $WEFT_TEST_STACKS=1: the idle line is followed by runtime.Stack(all).
package main

/*
#cgo LDFLAGS: -pthread
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

extern void goCallback(void);

static int c_work(int k)
{
	volatile int s = 0;
	int i;

	usleep(1000);
	for (i = 0; i < 10000; i++)
		s += (i ^ k) & 7;
	return s;
}

static void *cb_thread_main(void *arg)
{
	(void)arg;
	goCallback();
	return NULL;
}

static int c_start_callback_thread(void)
{
	pthread_t t;
	int rc = pthread_create(&t, NULL, cb_thread_main, NULL);

	if (rc != 0)
		return rc;
	return pthread_join(t, NULL);
}
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"weft/testlib"
)

var (
	cbParent int           // goCallback's goid, read by callbackWorker
	cbDone   chan struct{} // closed by callbackWorker when it exits

	curHandle int            // the handle call running (read by its goroutines)
	workWG    sync.WaitGroup // handle's 2 cWorker goroutines
	leakReady chan struct{}  // leakWorker: its C call is done
	never     chan struct{}  // nobody sends on it or closes it
)

//go:noinline
func callbackWorker() {
	testlib.Log("gocgo callback-worker goid=%d pgoid=%d", testlib.Goid(), cbParent)
	time.Sleep(2 * time.Millisecond)
	close(cbDone)
}

// goCallback runs on the thread C created (cb_thread_main), on a goroutine
// of an extra M, outside any transaction.
//
//export goCallback
func goCallback() {
	cbParent = testlib.Goid()
	testlib.Log("gocgo callback goid=%d", cbParent)
	go callbackWorker() /* SITE:callback */
}

//go:noinline
func cWorker() {
	s := int(C.c_work(C.int(curHandle)))
	testlib.Log("gocgo handle=%d worker goid=%d sum=%d", curHandle, testlib.Goid(), s)
	workWG.Done()
}

//go:noinline
func leakWorker() {
	s := int(C.c_work(C.int(curHandle)))
	testlib.Log("gocgo handle=%d leak goid=%d sum=%d", curHandle, testlib.Goid(), s)
	close(leakReady)
	<-never
}

//go:noinline
func handle(i int) int {
	curHandle = i
	workWG.Add(2)
	for k := 0; k < 2; k++ {
		go cWorker() /* SITE:worker */
	}
	if i == 1 {
		leakReady = make(chan struct{})
		go leakWorker() /* SITE:leak */
		<-leakReady
	}
	workWG.Wait()
	return i
}

func main() {
	n := testlib.ArgInt(1, 3)
	if len(os.Args) > 2 {
		testlib.Die("usage: gocgo [N]")
	}
	never = make(chan struct{})
	cbDone = make(chan struct{})
	testlib.Log("gocgo main goid=%d pid=%d", testlib.Goid(), os.Getpid())
	runtime.GC()
	testlib.TargetWait()
	if rc := C.c_start_callback_thread(); rc != 0 {
		testlib.Die("pthread_create/join: %d", int(rc))
	}
	<-cbDone
	testlib.Log("gocgo callback-done")
	for i := 0; i < n; i++ {
		handle(i)
		testlib.Log("gocgo handle=%d done goroutines=%d", i, runtime.NumGoroutine())
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(700 * time.Millisecond)
	testlib.Log("gocgo idle goroutines=%d", runtime.NumGoroutine())
	testlib.DumpStacks()
	fmt.Printf("gocgo done handles=%d\n", n)
}
