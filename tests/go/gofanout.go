// gofanout: a goroutine tree four levels deep plus a worker pool, inside one
// transaction.
//
//	gofanout [REPS]        (REPS default 1)
//
// Build (in tests/go): GOPATH=$PWD GO111MODULE=off go build gofanout.go
// (the standard library and weft/testlib; `make go-targets` builds it with
// every installed Go, CGO_ENABLED=0).
//
// Startup (before $WEFT_TEST_WAIT, outside any transaction): the first log
// line, then runtime.GC(), so the GC's background mark workers (runtime
// goroutines, one per P) already exist: otherwise the first GC cycle creates
// them from whichever goroutine allocates, maybe inside a transaction. No
// goroutine is created by main outside runFanout (no orphans from main).
//
// main calls runFanout(rep) REPS times, rep = 0..REPS-1, on the main goroutine
// (trace it with --txn main.runFanout). Each runFanout(rep):
//
//	spawnLevel1: 2 goroutines (level1Main), waited (sync.WaitGroup);
//	  each level1Main calls spawnLevel2: 2 goroutines (level2Main), waited;
//	    each level2Main calls spawnLevel3: 2 goroutines (level3Main), waited;
//	      each level3Main calls spawnLevel4: 2 goroutines (level4Main, leaves:
//	      sleep 1 ms), waited;
//	spawnPool (after spawnLevel1 returned): 3 goroutines (poolWorker) fed 6
//	  jobs through a channel (`for range jobs`, 1 ms each), channel closed,
//	  waited.
//
// => per transaction 2 + 4 + 8 + 16 = 30 tree goroutines + 3 pool goroutines
// = 33 goroutine segments, all ended before runFanout returns: no leaks, no
// orphans. Creation sites (g.gopc's function; the SITE:tag comments mark the
// `go` lines): main.spawnLevel1 x2 (creator: the main goroutine, inside the
// txn), main.spawnLevel2 x4 (creator: a level-1 goroutine), main.spawnLevel3
// x8 (a level-2 goroutine), main.spawnLevel4 x16 (a level-3 goroutine),
// main.spawnPool x3 (the main goroutine). Each tree goroutine has exactly 2
// children except the 16 leaves; pool workers have none. Which worker runs
// which job is not deterministic; the total is 6 per rep.
//
// Goroutine bodies take no arguments (`go level1Main()`), so the start
// function (g.startpc) is the body itself in every Go version: main.level1Main
// .. main.level4Main, main.poolWorker (`go f(x)` would start a compiler
// wrapper: main.spawnLevel1.func1 up to Go 1.21, .gowrap1 from 1.22). Their
// argument is handed over in a locked slot that the new goroutine unlocks
// once it has read it.
//
// runtime.NumGoroutine() is 1 before and after every runFanout.
//
// Stdout: one line at the end, "levels 2R 4R 8R 16R jobs 6R" (R = REPS), the
// same with and without a tracer.
//
// Log ($WEFT_TEST_LOG, appended, else stderr; never stdout), goid = goroutine id:
//
//	gofanout main goid=1 pid=P
//	gofanout rep=R level=L goid=G pgoid=PG   (one per tree goroutine; PG: creator's goid)
//	gofanout rep=R pool goid=G pgoid=PG jobs=K
//	gofanout rep=R done goroutines=1
//	gofanout idle goroutines=1
//
// $WEFT_TEST_STACKS=1: the idle line is followed by runtime.Stack(all) (with
// GOTRACEBACK=system it includes the runtime's goroutines).
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"weft/testlib"
)

type node struct {
	rep, level, pgoid int
	wg                *sync.WaitGroup
	jobs              chan int
}

// slot hands a node to a goroutine that takes no arguments: put locks, the
// new goroutine's take unlocks.
type slot struct {
	mu sync.Mutex
	n  *node
}

func (s *slot) put(n *node) { s.mu.Lock(); s.n = n }
func (s *slot) take() *node { n := s.n; s.n = nil; s.mu.Unlock(); return n }

var level1Slot, level2Slot, level3Slot, level4Slot, poolSlot slot

func start(n *node) {
	atomic.AddInt64(&levelSum[n.level], 1)
	testlib.Log("gofanout rep=%d level=%d goid=%d pgoid=%d", n.rep, n.level, testlib.Goid(), n.pgoid)
}

//go:noinline
func level4Main() {
	n := level4Slot.take()
	start(n)
	time.Sleep(time.Millisecond)
	n.wg.Done()
}

//go:noinline
func level3Main() {
	n := level3Slot.take()
	start(n)
	spawnLevel4(n.rep)
	n.wg.Done()
}

//go:noinline
func level2Main() {
	n := level2Slot.take()
	start(n)
	spawnLevel3(n.rep)
	n.wg.Done()
}

//go:noinline
func level1Main() {
	n := level1Slot.take()
	start(n)
	spawnLevel2(n.rep)
	n.wg.Done()
}

//go:noinline
func spawnLevel4(rep int) {
	var wg sync.WaitGroup
	for k := 0; k < 2; k++ {
		wg.Add(1)
		level4Slot.put(&node{rep: rep, level: 4, pgoid: testlib.Goid(), wg: &wg})
		go level4Main() /* SITE:level4 */
	}
	wg.Wait()
}

//go:noinline
func spawnLevel3(rep int) {
	var wg sync.WaitGroup
	for k := 0; k < 2; k++ {
		wg.Add(1)
		level3Slot.put(&node{rep: rep, level: 3, pgoid: testlib.Goid(), wg: &wg})
		go level3Main() /* SITE:level3 */
	}
	wg.Wait()
}

//go:noinline
func spawnLevel2(rep int) {
	var wg sync.WaitGroup
	for k := 0; k < 2; k++ {
		wg.Add(1)
		level2Slot.put(&node{rep: rep, level: 2, pgoid: testlib.Goid(), wg: &wg})
		go level2Main() /* SITE:level2 */
	}
	wg.Wait()
}

//go:noinline
func spawnLevel1(rep int) {
	var wg sync.WaitGroup
	for k := 0; k < 2; k++ {
		wg.Add(1)
		level1Slot.put(&node{rep: rep, level: 1, pgoid: testlib.Goid(), wg: &wg})
		go level1Main() /* SITE:level1 */
	}
	wg.Wait()
}

//go:noinline
func poolWorker() {
	n := poolSlot.take()
	k := 0
	for range n.jobs {
		time.Sleep(time.Millisecond)
		k++
	}
	atomic.AddInt64(&jobsDone, int64(k))
	testlib.Log("gofanout rep=%d pool goid=%d pgoid=%d jobs=%d", n.rep, testlib.Goid(), n.pgoid, k)
	n.wg.Done()
}

//go:noinline
func spawnPool(rep int) {
	var wg sync.WaitGroup
	jobs := make(chan int, 6)
	for k := 0; k < 3; k++ {
		wg.Add(1)
		poolSlot.put(&node{rep: rep, pgoid: testlib.Goid(), wg: &wg, jobs: jobs})
		go poolWorker() /* SITE:pool */
	}
	for j := 0; j < 6; j++ {
		jobs <- j
	}
	close(jobs)
	wg.Wait()
}

// goroutines started per level and pool jobs run: the stdout summary
var (
	levelSum [5]int64
	jobsDone int64
)

//go:noinline
func runFanout(rep int) int {
	spawnLevel1(rep)
	spawnPool(rep)
	return rep
}

func main() {
	reps := testlib.ArgInt(1, 1)
	if len(os.Args) > 2 {
		testlib.Die("usage: gofanout [REPS]")
	}
	testlib.Log("gofanout main goid=%d pid=%d", testlib.Goid(), os.Getpid())
	runtime.GC()
	testlib.TargetWait()
	for rep := 0; rep < reps; rep++ {
		runFanout(rep)
		testlib.Log("gofanout rep=%d done goroutines=%d", rep, runtime.NumGoroutine())
	}
	testlib.Log("gofanout idle goroutines=%d", runtime.NumGoroutine())
	fmt.Printf("levels %d %d %d %d jobs %d\n", levelSum[1], levelSum[2], levelSum[3],
		levelSum[4], jobsDone)
	testlib.DumpStacks()
}
