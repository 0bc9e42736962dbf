// goseed: the seed's trace manager (pubsub forward() and the state worker)
// written the natural way, with no //go:noinline: from Go 1.22 the compiler
// inlines the started methods into their `go` wrappers (.gowrapN), so the
// wrapper's code is all there is of them. Go's traceback still names the
// methods; weft must name the goroutines the same way.
//
//	goseed [N [keep]]     (N traces, default 4; "keep": never exit)
//
// Build (in tests/go): GOPATH=$PWD GO111MODULE=off go build goseed.go
// (the standard library and weft/testlib; `make go-targets` builds it with
// every installed Go, CGO_ENABLED=0).
//
// Startup (outside any transaction, before $WEFT_TEST_WAIT): the first log
// line, runtime.GC(). Then main calls handleTrace(i) for i = 0..N-1, 20 ms
// apart (--txn main.handleTrace; it has a defer, so it is never inlined).
// Each handleTrace(i):
//
//	t := newTrace(i) starts 2 goroutines, `go` statements in main.newTrace:
//	  go t.ps.forward()         (SITE:forward)  main.(*pubsub).forward
//	  go t.startStateWorker()   (SITE:worker)   main.(*trace).startStateWorker
//	sends 2 events and 2 commands, then a sync one of each, waits for both
//	acks (both goroutines ran inside the transaction);
//	if i is odd: t.stop() closes both channels, both goroutines return;
//	if i is even: never stopped: 2 LEAKED goroutines, blocked in range.
//
// Expected, N = 4: 4 handleTrace txns, 2 goroutine segments each, leaked
// 2,0,2,0; leaks: 2 x main.(*pubsub).forward and 2 x
// main.(*trace).startStateWorker, sites main.newTrace at SITE:forward and
// SITE:worker.
//
// After the last trace main sleeps 700 ms (> the default grace), then, from
// main.spawnShapes, outside any transaction (orphans, not leaks), starts 5
// goroutines that block on one channel until the end, each a shape of `go`:
//
//	f := ps.forward; go f()        (SITE:methodvalue) a method value (-fm)
//	go park(hold, 1)               (SITE:small)  a small function, inlined into
//	                                             its wrapper from Go 1.22
//	go func() { park(hold, 2) }()  (SITE:closure) a closure wrapping one call:
//	                                             the traceback names the closure
//	go process[int](hold, 3)       (SITE:generic) a generic, inlinable
//	startParked(hold)              (SITE:helper)  a helper whose only statement is
//	                                             `go park(...)`: a function with a
//	                                             `go` statement is never inlined,
//	                                             so the site is main.startParked
//
// logs "goseed idle goroutines=G" (G = 1 + N + 5 with N/2 rounded up
// leaked traces: 1 + 4 + 5 = 10 for N = 4), then "goseed stacks begin", its
// own runtime.Stack(all) traceback, "goseed stacks end" (the reference for
// the names: every goroutine's bottom frame and its "created by"), then
// exits, or with "keep" logs "goseed tick=K" every 100 ms forever.
//
// Log ($WEFT_TEST_LOG, appended, else stderr; never stdout):
//
//	goseed main goid=1 pid=P
//	goseed trace=I stopped | leaked
//	goseed idle goroutines=G
//	goseed stacks begin / (the traceback) / goseed stacks end
//	goseed tick=K
package main

import (
	"os"
	"runtime"
	"time"

	"weft/testlib"
)

type event struct {
	seq int
	ack chan struct{} // non-nil: a sync event
}

// pubsub forwards a trace's events to its subscribers.
type pubsub struct {
	in chan event
	n  int
}

func (ps *pubsub) forward() {
	for ev := range ps.in {
		if ev.ack != nil {
			close(ev.ack)
		}
		ps.n++
	}
}

type command struct {
	op  int
	ack chan struct{} // non-nil: a sync command
}

type trace struct {
	id    int
	ps    *pubsub
	cmds  chan command
	state int
}

func (t *trace) startStateWorker() {
	for cmd := range t.cmds {
		if cmd.ack != nil {
			close(cmd.ack)
		}
		t.state += cmd.op
	}
}

func (t *trace) stop() {
	close(t.cmds)
	close(t.ps.in)
}

var traces []*trace // never-stopped traces stay reachable (and blocked)

func newTrace(id int) *trace {
	t := &trace{id: id, ps: &pubsub{in: make(chan event, 4)}, cmds: make(chan command, 4)}
	go t.ps.forward()        /* SITE:forward */
	go t.startStateWorker() /* SITE:worker */
	traces = append(traces, t)
	return t
}

func handleTrace(i int) {
	t := newTrace(i)
	defer testlib.Log("goseed trace=%d %s", i, map[bool]string{true: "stopped", false: "leaked"}[i%2 == 1])
	for k := 0; k < 2; k++ {
		t.ps.in <- event{seq: k}
		t.cmds <- command{op: k}
	}
	evAck, cmdAck := make(chan struct{}), make(chan struct{})
	t.ps.in <- event{ack: evAck}
	t.cmds <- command{ack: cmdAck}
	<-evAck
	<-cmdAck
	if i%2 == 1 {
		t.stop()
	}
}

var parked [8]bool

func park(hold <-chan struct{}, tag int) {
	<-hold
	parked[tag] = true
}

func process[T any](hold <-chan struct{}, v T) T {
	<-hold
	return v
}

func startParked(hold <-chan struct{}) {
	go park(hold, 4) /* SITE:helper */
}

// spawnShapes starts one goroutine of each shape of `go`; they block on
// hold (and ps.in) until main closes them.
func spawnShapes(hold chan struct{}, ps *pubsub) {
	f := ps.forward
	go f()                        /* SITE:methodvalue */
	go park(hold, 1)              /* SITE:small */
	go func() { park(hold, 2) }() /* SITE:closure */
	go process[int](hold, 3)      /* SITE:generic */
	startParked(hold)
}

func main() {
	n := testlib.ArgInt(1, 4)
	keep := len(os.Args) > 2 && os.Args[2] == "keep"
	if len(os.Args) > 3 || (len(os.Args) > 2 && !keep) {
		testlib.Die("usage: goseed [N [keep]]")
	}
	testlib.Log("goseed main goid=1 pid=%d", os.Getpid())
	runtime.GC()
	testlib.TargetWait()
	for i := 0; i < n; i++ {
		handleTrace(i)
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(700 * time.Millisecond)
	hold, ps := make(chan struct{}), &pubsub{in: make(chan event)}
	spawnShapes(hold, ps)
	time.Sleep(20 * time.Millisecond) // all 5 blocked
	testlib.Log("goseed idle goroutines=%d", runtime.NumGoroutine())
	buf := make([]byte, 1<<20)
	testlib.Log("goseed stacks begin\n%s\ngoseed stacks end", buf[:runtime.Stack(buf, true)])
	for k := 1; keep; k++ {
		time.Sleep(100 * time.Millisecond)
		testlib.Log("goseed tick=%d", k)
	}
	close(hold)
	close(ps.in)
}
