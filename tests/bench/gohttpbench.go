// gohttpbench: a request-shaped Go workload for weft's overhead benchmark
// (tools/bench/4b-gohttp.sh, section 4b): a net/http server and its own load
// generator in one process.
//
//	gohttpbench [REQS [CLIENTS [FANOUT [ITERS]]]]
//	gohttpbench calibrate [US]
//
//	REQS     timed requests in all (default 4000)
//	CLIENTS  concurrent clients, one keep-alive connection each (default 4)
//	FANOUT   goroutines each request's handler starts (default 3)
//	ITERS    xorshift iterations of CPU work per request (default 50000),
//	         split evenly between the handler's goroutines
//	calibrate: prints the ITERS that take about US microseconds (default
//	         100) on this machine, then exits:
//	           gohttpbench calibrate us=US iters=ITERS ns_per_iter=X
//
// Build: go build -o gohttpbench gohttpbench.go (GO111MODULE=off,
// CGO_ENABLED=0, standard library only; tools/bench/ builds it with the
// newest installed Go).
//
// Startup: runtime.GC() (the GC's mark workers exist before any request),
// then the server listens on 127.0.0.1:0 (an ephemeral port) and serves
// with net/http (`go srv.Serve(ln)`). Every request's handler
// (main.handleWork, under net/http.serverHandler.ServeHTTP: with no --txn
// weft makes every request a transaction, "GET /work") starts FANOUT
// goroutines (`go part(...)`), each running ITERS/FANOUT iterations, waits
// for them (sync.WaitGroup) and writes a short body: every goroutine ends
// inside its request.
//
// The load: CLIENTS goroutines, each with its own http.Transport (keep-alive,
// so one connection each), first send 1 untimed warm-up request each (the
// connections are set up), then together REQS timed requests (a shared
// counter hands them out), reading each body to the end. So the server
// handles REQS + CLIENTS requests (transactions) in all.
//
// $GOHTTPBENCH_RATE=R: the timed requests are paced, R per second in all
// (timed request k, counted from 0, is sent no earlier than k/R s after the
// first): a server under a steady load instead of flat out, for a capture of
// a known length (tools/bench/7c-record.sh, section 7: REQS = 60 * R is one minute).
//
// $GOHTTPBENCH_WAIT=FILE: after the warm-up, the timed requests wait until
// FILE exists (a tracer attaching with -p first: tools/bench/10-agent.sh).
//
// $GOHTTPBENCH_TRACE=FILE: runtime/trace.Start(FILE) before the server
// starts, trace.Stop() after the last request (Go's own execution tracer,
// for comparison).
//
// Prints one line to stderr after the last request, timed from the first
// timed request to the last response (time.Now, monotonic):
//
//	gohttpbench reqs=N clients=C fanout=F iters=K elapsed_ns=E req_per_s=R
//
// Nothing goes to stdout: under `weft trace -- CMD` that is the report's.
// A run that has not finished after 120 s exits with status 3 (a timer: no
// goroutine exists for it unless it fires).
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/trace"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

var (
	fanout  int
	iters   int
	results [64]uint64 // per-goroutine slots, just so the work is not dead code
)

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "gohttpbench: "+format+"\n", args...)
	os.Exit(2)
}

func argInt(i, def int) int {
	if len(os.Args) <= i {
		return def
	}
	v, err := strconv.Atoi(os.Args[i])
	if err != nil || v <= 0 {
		die("bad argument '%s'", os.Args[i])
	}
	return v
}

//go:noinline
func xorshift(seed uint64, n int) uint64 {
	x := seed | 1
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

//go:noinline
func part(wg *sync.WaitGroup, slot, n int) {
	results[slot%len(results)] = xorshift(uint64(slot), n)
	wg.Done()
}

var reqSeq int64

//go:noinline
func handleWork(w http.ResponseWriter, r *http.Request) {
	req := int(atomic.AddInt64(&reqSeq, 1))
	var wg sync.WaitGroup
	wg.Add(fanout)
	for i := 0; i < fanout; i++ {
		go part(&wg, req*fanout+i, iters/fanout) /* SITE:part */
	}
	wg.Wait()
	io.WriteString(w, "ok\n")
}

func calibrate(us int) {
	// the fastest of 7 runs of ~2 ms: ns per iteration
	n := 200000
	best := time.Duration(1 << 62)
	for i := 0; i < 7; i++ {
		t := time.Now()
		results[0] = xorshift(uint64(i), n)
		if d := time.Since(t); d < best {
			best = d
		}
	}
	per := float64(best.Nanoseconds()) / float64(n)
	fmt.Fprintf(os.Stderr, "gohttpbench calibrate us=%d iters=%d ns_per_iter=%.3f\n",
		us, int(float64(us)*1000/per), per)
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "calibrate" {
		us := 100
		if len(os.Args) > 2 {
			us = argInt(2, 100)
		}
		calibrate(us)
		return
	}
	reqs := argInt(1, 4000)
	clients := argInt(2, 4)
	fanout = argInt(3, 3)
	iters = argInt(4, 50000)
	runtime.GC()
	time.AfterFunc(120*time.Second, func() {
		fmt.Fprintf(os.Stderr, "gohttpbench: not done after 120 s\n")
		os.Exit(3)
	})

	if p := os.Getenv("GOHTTPBENCH_TRACE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			die("%v", err)
		}
		if err := trace.Start(f); err != nil {
			die("trace.Start: %v", err)
		}
		defer func() {
			trace.Stop()
			f.Close()
		}()
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		die("listen: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/work", handleWork)
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	url := "http://" + ln.Addr().String() + "/work"

	get := func(c *http.Client) {
		resp, err := c.Get(url)
		if err != nil {
			die("GET: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			die("GET: status %d", resp.StatusCode)
		}
	}
	rate := 0
	if v := os.Getenv("GOHTTPBENCH_RATE"); v != "" {
		if rate, err = strconv.Atoi(v); err != nil || rate <= 0 {
			die("bad GOHTTPBENCH_RATE '%s'", v)
		}
	}
	var left int64 = int64(reqs)
	var start time.Time // set before startc is closed
	var ready, done sync.WaitGroup
	startc := make(chan struct{})
	cls := make([]*http.Client, clients)
	ready.Add(clients)
	done.Add(clients)
	for i := 0; i < clients; i++ {
		tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
		cls[i] = &http.Client{Transport: tr}
		go func(c *http.Client) {
			get(c) // warm-up: the connection
			ready.Done()
			<-startc
			for {
				k := int64(reqs) - 1 - atomic.AddInt64(&left, -1)
				if k >= int64(reqs) {
					break
				}
				if rate > 0 {
					time.Sleep(time.Until(start.Add(time.Duration(k) * time.Second / time.Duration(rate))))
				}
				get(c)
			}
			done.Done()
		}(cls[i])
	}
	ready.Wait()
	if p := os.Getenv("GOHTTPBENCH_WAIT"); p != "" {
		for _, err := os.Stat(p); err != nil; _, err = os.Stat(p) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	start = time.Now()
	close(startc)
	done.Wait()
	el := time.Since(start)
	fmt.Fprintf(os.Stderr, "gohttpbench reqs=%d clients=%d fanout=%d iters=%d elapsed_ns=%d req_per_s=%.0f\n",
		reqs, clients, fanout, iters, el.Nanoseconds(), float64(reqs)/el.Seconds())
	for _, c := range cls {
		c.Transport.(*http.Transport).CloseIdleConnections()
	}
	srv.Close()
}
