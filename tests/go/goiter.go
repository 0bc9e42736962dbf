//go:build go1.23

// goiter: iter.Pull coroutines inside transactions; one is never stopped.
// Go >= 1.23 only (iter package; `make go-targets` skips older toolchains).
//
//	goiter [N [keep]]      (N transactions, default 4; "keep": never exit)
//
// Build (in tests/go): GOPATH=$PWD GO111MODULE=off go build goiter.go
// (the standard library and weft/testlib; `make go-targets` builds it with
// every Go >= 1.23, CGO_ENABLED=0).
//
// iter.Pull(seq) creates a coroutine: a goroutine (runtime.newcoro ->
// runtime.newproc1; creation site iter.Pull[...] (a generic instantiation,
// symbol iter.Pull[go.shape.int]), start function runtime.corostart) that
// runs the generator seq on the puller's thread, switching with it at every
// next() (runtime.coroswitch: no new goroutine, no thread change). It ends
// when the generator returns: when stop() is called, or when next() has
// drained it; otherwise it stays parked forever (a leak).
//
// Startup (outside any transaction, before $WEFT_TEST_WAIT): the first log
// line, runtime.GC() (the GC's mark workers exist before any transaction).
// main creates no goroutine outside pullTxn. Then main calls pullTxn(i) for
// i = 0..N-1, 20 ms apart, on the main goroutine (--txn main.pullTxn). Each
// pullTxn(i) calls iter.Pull(countTo(i, 5)) once (1 coroutine; the
// generator main.countTo.func1 yields 0..4) and:
//
//	i%4 == 0: next() x2, then stop()          -> coroutine ends inside the txn
//	i%4 == 1: next() x2, no stop()            -> the coroutine LEAKS (parked
//	                                             in the generator's yield)
//	i%4 == 2: next() until !ok (5 values)     -> the generator returns: ends
//	                                             inside the txn (stop() after is a no-op)
//	i%4 == 3: next() x1, then stop()          -> ends inside the txn
//
// Expected, N = 4: 4 pullTxn txns, 1 coroutine (goroutine) segment each, all
// children of their txn; leaks = 1 (txn 1; site iter.Pull[go.shape.int]),
// txn leaked 0,1,0,0; no orphans. In general 1 leak per i with i%4 == 1.
//
// After the last transaction main sleeps 700 ms, logs
// "goiter idle goroutines=G" (G = 1 + leaks; 2 for N = 4), then exits, or
// with "keep" logs "goiter tick=K" every 100 ms forever.
//
// Log ($WEFT_TEST_LOG, appended, else stderr; never stdout):
//
//	goiter main goid=1 pid=P
//	goiter txn=I gen goid=G                   (generator start, on the coroutine)
//	goiter txn=I gen-exit goid=G yielded=Y    (generator returned; Y = pulled)
//	goiter txn=I pulled=K stopped|exhausted|leaked goroutines=G
//	goiter idle goroutines=G / goiter tick=K
//
// $WEFT_TEST_STACKS=1: the idle line is followed by runtime.Stack(all).
package main

import (
	"iter"
	"os"
	"runtime"
	"time"

	"weft/testlib"
)

// countTo: a generator of 0..n-1 that logs its start and its return.
//
//go:noinline
func countTo(txn, n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		testlib.Log("goiter txn=%d gen goid=%d", txn, testlib.Goid())
		y := 0 // yield calls: = the values next() got
		for k := 0; k < n; k++ {
			y++
			if !yield(k) {
				break
			}
		}
		testlib.Log("goiter txn=%d gen-exit goid=%d yielded=%d", txn, testlib.Goid(), y)
	}
}

var leaked []func() // stop functions never called (kept reachable)

//go:noinline
func pullTxn(i int) int {
	next, stop := iter.Pull(countTo(i, 5))
	pulled, how := 0, ""
	switch i % 4 {
	case 0, 3:
		want := 2
		if i%4 == 3 {
			want = 1
		}
		for ; pulled < want; pulled++ {
			next()
		}
		stop()
		how = "stopped"
	case 1:
		for ; pulled < 2; pulled++ {
			next()
		}
		leaked = append(leaked, stop)
		how = "leaked"
	case 2:
		for {
			if _, ok := next(); !ok {
				break
			}
			pulled++
		}
		stop()
		how = "exhausted"
	}
	testlib.Log("goiter txn=%d pulled=%d %s goroutines=%d", i, pulled, how, runtime.NumGoroutine())
	return pulled
}

func main() {
	n := testlib.ArgInt(1, 4)
	keep := len(os.Args) > 2 && os.Args[2] == "keep"
	if len(os.Args) > 3 || (len(os.Args) > 2 && !keep) {
		testlib.Die("usage: goiter [N [keep]]")
	}
	testlib.Log("goiter main goid=%d pid=%d", testlib.Goid(), os.Getpid())
	runtime.GC()
	testlib.TargetWait()
	for i := 0; i < n; i++ {
		pullTxn(i)
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(700 * time.Millisecond)
	testlib.Log("goiter idle goroutines=%d", runtime.NumGoroutine())
	testlib.DumpStacks()
	for k := 1; keep; k++ {
		time.Sleep(100 * time.Millisecond)
		testlib.Log("goiter tick=%d", k)
	}
}
