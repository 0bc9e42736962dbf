// gospawn: goroutine-spawn throughput, for weft's Go overhead benchmark
// (tools/bench/4a-gospawn.sh, section 4a).
//
//	gospawn [N [BATCH [WORK]]]
//
//	N      goroutines in all (default 100000)
//	BATCH  goroutines per batch (default 100; N is rounded up to whole batches)
//	WORK   iterations of the xorshift loop each goroutine runs (default 50)
//
// Build: go build -o gospawn gospawn.go (GO111MODULE=off, CGO_ENABLED=0,
// standard library only; tools/bench/4a-gospawn.sh builds it with the
// newest installed Go, and with Go 1.19).
//
// Startup: runtime.GC(), so the GC's background mark workers (runtime
// goroutines, one per P) exist before the first batch. main creates no
// goroutine itself. Then main calls spawnBatch(b) for each batch, on the
// main goroutine (--txn main.spawnBatch: one transaction per batch).
// spawnBatch starts BATCH goroutines (`go spin(...)`; the go statement is in
// main.spawnBatch, the start function is the compiler's wrapper:
// main.spawnBatch.func1 up to Go 1.21, main.spawnBatch.gowrap1 from 1.22),
// each of which runs WORK xorshift iterations into its own slot of a
// results slice, and waits for all of them (sync.WaitGroup) before
// returning: every goroutine ends inside its transaction.
//
// Traps per goroutine when traced by weft: 1 at its creation (a uprobe on
// a RET of runtime.newproc1) and 1 at its exit (runtime.gdestroy from Go
// 1.22, runtime.goexit0 before), plus 2 per batch for --txn (the entry
// past the prologue and the RET taken).
//
// Prints one line to stderr, timed from the first batch's start to the
// last batch's end (time.Now, monotonic):
//
//	gospawn goroutines=N batch=B work=K elapsed_ns=E goroutines_per_s=R
//
// Nothing goes to stdout: under `weft trace -- CMD` that is the report's.
// A run that has not finished after 120 s exits with status 3 (a timer: no
// goroutine exists for it unless it fires).
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

var (
	results []uint64
	work    int
)

func argInt(i, def int) int {
	if len(os.Args) <= i {
		return def
	}
	v, err := strconv.Atoi(os.Args[i])
	if err != nil || v <= 0 {
		fmt.Fprintf(os.Stderr, "gospawn: bad argument '%s'\n", os.Args[i])
		os.Exit(2)
	}
	return v
}

//go:noinline
func spin(wg *sync.WaitGroup, slot int) {
	x := uint64(slot)*0x9e3779b97f4a7c15 + 1
	for i := 0; i < work; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	results[slot] = x
	wg.Done()
}

// spawnBatch: one transaction; its goroutines all end before it returns.
//
//go:noinline
func spawnBatch(n int) {
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go spin(&wg, i) /* SITE:spawn */
	}
	wg.Wait()
}

func main() {
	n := argInt(1, 100000)
	batch := argInt(2, 100)
	work = argInt(3, 50)
	batches := (n + batch - 1) / batch
	n = batches * batch
	results = make([]uint64, batch)
	runtime.GC()
	time.AfterFunc(120*time.Second, func() {
		fmt.Fprintf(os.Stderr, "gospawn: not done after 120 s\n")
		os.Exit(3)
	})

	start := time.Now()
	for b := 0; b < batches; b++ {
		spawnBatch(batch)
	}
	el := time.Since(start)
	var sum uint64
	for _, r := range results {
		sum ^= r
	}
	fmt.Fprintf(os.Stderr, "gospawn goroutines=%d batch=%d work=%d elapsed_ns=%d goroutines_per_s=%.0f sum=%x\n",
		n, batch, work, el.Nanoseconds(), float64(n)/el.Seconds(), sum)
}
