// gotrace: a trace manager whose traces each own 2 goroutines: asynchronous
// cleanup on Release(), and a leak when a trace is never released (the shape
// of a real "trace module" known issue: pubsub forward() and the state worker).
//
//	gotrace [N [keep]]     (N traces, default 6; "keep": never exit)
//
// Build (in tests/go): GOPATH=$PWD GO111MODULE=off go build gotrace.go
// (the standard library and weft/testlib; `make go-targets` builds it with
// every installed Go, CGO_ENABLED=0).
//
// Startup (outside any transaction, before $WEFT_TEST_WAIT): the first log
// line, runtime.GC() (the GC's mark workers exist before any transaction).
// main creates no goroutine outside handleTrace (no orphans from main).
// Then main calls handleTrace(i) for i = 0..N-1, 20 ms apart, on the main
// goroutine (--txn main.handleTrace). Each handleTrace(i):
//
//	t := mgr.NewTrace(i) starts 2 goroutines, both `go` statements in
//	main.(*manager).NewTrace (SITE:forward, SITE:stateworker):
//	  (*PubSub).forward        `for range ps.in`: forwards events
//	  (*manager).startStateWorker `for range t.cmds`: applies commands
//	publishes 3 events and sends 3 commands (safeSend), then a sync command
//	  and a sync event, and waits for both acks: both goroutines have run
//	  inside the transaction;
//	if i%3 != 0: t.Release(): atomic flag -> cancel -> close(t.cmds) ->
//	  ps.Stop() (close(ps.in)). Both goroutines see their channel closed,
//	  "flush" for 150 ms, log and exit: ~150 ms AFTER handleTrace returned:
//	  asynchronous cleanup, not a leak with the default 500 ms grace, a leak
//	  with a grace well below 150 ms (e.g. 1ms: --go-lean reads the
//	  goroutines some ms after the grace, tens of ms on a busy machine).
//	if i%3 == 0: the trace is never released: its 2 goroutines block forever
//	  in `range` on open channels -> 2 LEAKED goroutines (one per site).
//
// Expected, N = 6 (traces 0 and 3 are never released):
//
//	6 handleTrace txns, 2 goroutine segments each (12), none outside them;
//	grace 500ms: leaks = 4: 2 x forward + 2 x startStateWorker (site
//	  main.(*manager).NewTrace, one line each), txn leaked 2,0,0,2,0,0;
//	grace 1ms: all 12 leak, txn leaked 2,2,2,2,2,2.
//	In general: N traces, ceil(N/3) unreleased, 2*ceil(N/3) leaked goroutines.
//
// Start functions (g.startpc): `go t.ps.forward()` and
// `go m.startStateWorker(t)` have a receiver/argument, so the compiler starts
// a wrapper that calls them: Go 1.19-1.21 main.(*manager).NewTrace.func1 /
// .func2, Go >= 1.22 main.(*manager).NewTrace.gowrap1 / .gowrap2. The
// goroutines' own frames are main.(*PubSub).forward and
// main.(*manager).startStateWorker.
//
// After the last trace main sleeps 700 ms (> the default grace), logs
// "gotrace idle goroutines=G" (G = 1 + 2*unreleased, 5 for N = 6), then
// exits, or with "keep" logs "gotrace tick=K" every 100 ms forever (no
// goroutines created).
//
// Log ($WEFT_TEST_LOG, appended, else stderr; never stdout):
//
//	gotrace main goid=1 pid=P
//	gotrace trace=I forward goid=G | stateworker goid=G      (goroutine start)
//	gotrace trace=I released | leaked                        (end of handleTrace)
//	gotrace trace=I forward-exit goid=G events=3 | stateworker-exit goid=G cmds=3
//	gotrace idle goroutines=G / gotrace tick=K
//
// $WEFT_TEST_STACKS=1: the idle line is followed by runtime.Stack(all).
package main

import (
	"context"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"weft/testlib"
)

const cleanupDelay = 150 * time.Millisecond

type event struct {
	seq int
	ack chan struct{} // non-nil: a sync event
}

// PubSub forwards a trace's events from its own goroutine.
type PubSub struct {
	trace int
	in    chan event
	n     int
}

//go:noinline
func (ps *PubSub) forward() {
	testlib.Log("gotrace trace=%d forward goid=%d", ps.trace, testlib.Goid())
	for ev := range ps.in {
		if ev.ack != nil {
			close(ev.ack)
			continue
		}
		ps.n++
	}
	time.Sleep(cleanupDelay) // flush subscribers
	testlib.Log("gotrace trace=%d forward-exit goid=%d events=%d", ps.trace, testlib.Goid(), ps.n)
}

func (ps *PubSub) Publish(ev event) { ps.in <- ev }
func (ps *PubSub) Stop()            { close(ps.in) }

type command struct {
	op  int
	ack chan struct{} // non-nil: a sync command
}

type Trace struct {
	id     int
	ps     *PubSub
	cmds   chan command
	ctx    context.Context
	cancel context.CancelFunc
	closed int32 // atomic
	state  int
}

type manager struct {
	mu     sync.Mutex
	traces []*Trace // never-released traces stay here (and their goroutines block)
}

var mgr manager

//go:noinline
func (m *manager) startStateWorker(t *Trace) {
	testlib.Log("gotrace trace=%d stateworker goid=%d", t.id, testlib.Goid())
	n := 0
	for cmd := range t.cmds {
		if cmd.ack != nil {
			close(cmd.ack)
			continue
		}
		t.state += cmd.op
		n++
	}
	time.Sleep(cleanupDelay) // drain state
	testlib.Log("gotrace trace=%d stateworker-exit goid=%d cmds=%d", t.id, testlib.Goid(), n)
}

//go:noinline
func (m *manager) NewTrace(id int) *Trace {
	t := &Trace{id: id, cmds: make(chan command, 8)}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	t.ps = &PubSub{trace: id, in: make(chan event, 8)}
	go t.ps.forward()        /* SITE:forward */
	go m.startStateWorker(t) /* SITE:stateworker */
	m.mu.Lock()
	m.traces = append(m.traces, t)
	m.mu.Unlock()
	return t
}

// safeSend: no send once the trace is closed; an in-flight send unblocks on cancel.
func (t *Trace) safeSend(cmd command) bool {
	if atomic.LoadInt32(&t.closed) != 0 {
		return false
	}
	select {
	case t.cmds <- cmd:
		return true
	case <-t.ctx.Done():
		return false
	}
}

// Release: the three-step shutdown (flag -> cancel -> close). Both goroutines
// exit asynchronously, after Release returned.
//
//go:noinline
func (t *Trace) Release() {
	atomic.StoreInt32(&t.closed, 1)
	t.cancel()
	close(t.cmds)
	t.ps.Stop()
	mgr.mu.Lock()
	for k, x := range mgr.traces {
		if x == t {
			mgr.traces = append(mgr.traces[:k], mgr.traces[k+1:]...)
			break
		}
	}
	mgr.mu.Unlock()
}

//go:noinline
func handleTrace(i int) int {
	t := mgr.NewTrace(i)
	for k := 0; k < 3; k++ {
		t.ps.Publish(event{seq: k})
		t.safeSend(command{op: k})
	}
	evAck, cmdAck := make(chan struct{}), make(chan struct{})
	t.ps.Publish(event{ack: evAck})
	t.safeSend(command{ack: cmdAck})
	<-evAck
	<-cmdAck
	if i%3 != 0 {
		t.Release()
		testlib.Log("gotrace trace=%d released", i)
	} else {
		testlib.Log("gotrace trace=%d leaked", i)
	}
	return i
}

func main() {
	n := testlib.ArgInt(1, 6)
	keep := len(os.Args) > 2 && os.Args[2] == "keep"
	if len(os.Args) > 3 || (len(os.Args) > 2 && !keep) {
		testlib.Die("usage: gotrace [N [keep]]")
	}
	testlib.Log("gotrace main goid=%d pid=%d", testlib.Goid(), os.Getpid())
	runtime.GC()
	testlib.TargetWait()
	for i := 0; i < n; i++ {
		handleTrace(i)
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(700 * time.Millisecond)
	testlib.Log("gotrace idle goroutines=%d", runtime.NumGoroutine())
	testlib.DumpStacks()
	for k := 1; keep; k++ {
		time.Sleep(100 * time.Millisecond)
		testlib.Log("gotrace tick=%d", k)
	}
}
