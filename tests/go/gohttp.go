// gohttp: a net/http server whose /leak handler leaks a goroutine per request,
// and which makes its own requests (sequentially, from main, as a client).
//
//	gohttp [NOK [NLEAK [PORT [keep]]]]   (defaults 4, 2, 0 = an ephemeral port)
//
// Build (in tests/go): GOPATH=$PWD GO111MODULE=off go build gohttp.go
// (the standard library and weft/testlib; `make go-targets` builds it with
// every installed Go, CGO_ENABLED=0).
//
// Startup (outside any transaction, before $WEFT_TEST_WAIT): the first log
// line, runtime.GC() (the GC's mark workers exist before any transaction),
// then startServer(): listens on 127.0.0.1:PORT, logs
// "gohttp listening 127.0.0.1:PORT" (the port actually bound) and starts the
// server goroutine (`go srv.Serve(ln)`, SITE:serve; start function
// main.startServer.func1 up to Go 1.21, .gowrap1 from 1.22; it runs
// net/http.(*Server).Serve). That goroutine lives until exit: under
// `weft trace -- gohttp` an orphan, under `weft trace -p` (created before
// the attach) preattach.
//
// Then main requests, one at a time, 20 ms apart, with net/http's client:
// NOK x GET /ok, then NLEAK x GET /leak (body read, then closed). Handlers
// (the transactions: --txn main.handleOK, --txn main.handleLeak; both run
// on the server's per-connection goroutine, called by
// net/http.HandlerFunc.ServeHTTP):
//
//	handleOK:   1 goroutine (okWorker, sleeps 2 ms), waited (channel)    -> clean
//	            (SITE:ok; start main.handleOK.func1 (Go <= 1.21) / .gowrap1)
//	handleLeak: 1 goroutine (leakWorker) that blocks forever on a receive
//	            from a channel nobody sends on or closes                 -> LEAK
//	            (SITE:leak; start main.handleLeak.func1 (<= 1.21) / .gowrap1)
//
// Requests are numbered 0.. in the order they arrive (an atomic counter), so
// with the defaults /ok are req 0..3 and /leak req 4, 5.
//
// Expected, defaults (4 /ok, 2 /leak), handlers as transactions:
//
//	6 txns: 4 handleOK (1 goroutine segment each, ended inside it), 2
//	handleLeak (1 goroutine segment each, leaked); leaks = 2, site
//	main.handleLeak; txn leaked 0,0,0,0,1,1. No conflation: the client
//	(main goroutine) is never inside a handler.
//
// Goroutines outside any handler (net/http's own; not leaks):
//
//	server: per accepted connection 1 (the client keeps its connection
//	  alive, so 1 in all), created by net/http.(*Server).Serve, running
//	  (*conn).serve: it calls the handlers. Per request, before calling the
//	  handler, it starts 1 net/http.(*connReader).backgroundRead goroutine
//	  (site net/http.(*connReader).startBackgroundRead), which exits once
//	  the handler has returned;
//	client (main goroutine): for the first request only (the connection is
//	  reused), 1 dial goroutine (site net/http.(*Transport).queueForDial up
//	  to Go 1.22, .startDialConnForLocked in 1.23), which creates the
//	  connection's readLoop and writeLoop goroutines (2 x site
//	  net/http.(*Transport).dialConn); Go 1.23 also 1 short-lived
//	  net.(*netFD).connect goroutine while dialing.
//
// So besides the handlers' 6, a default run creates 6 backgroundRead + 1
// conn + 3 client (4 with Go 1.23) + 1 Serve goroutines (and the runtime's
// own: forcegchelper, bgsweep, bgscavenge, runfinq before main, the GC mark
// workers in runtime.GC(); Go 1.23 adds unique's map cleanup goroutine at
// package init, as net/netip uses unique).
//
// After the last request main closes the client's idle connection
// (CloseIdleConnections): readLoop, writeLoop and the server's connection
// goroutine exit. Then it sleeps 700 ms (> the default grace), logs
// "gohttp idle goroutines=G" (G = 2 + NLEAK: main, Serve, leaked; 4 with
// the defaults), then exits, or with "keep" keeps serving and logs
// "gohttp tick=K" every 100 ms (e.g. `gohttp 0 0 8080 keep` and curl).
//
// Log ($WEFT_TEST_LOG, appended, else stderr; never stdout):
//
//	gohttp main goid=1 pid=P
//	gohttp listening 127.0.0.1:PORT
//	gohttp req=I path=/ok goid=G | path=/leak goid=G     (handler, on the conn goroutine)
//	gohttp req=I ok-worker goid=G | leak-worker goid=G
//	gohttp client path=/ok status=200                    (main, after each request)
//	gohttp idle goroutines=G / gohttp tick=K
//
// $WEFT_TEST_STACKS=1: the idle line is followed by runtime.Stack(all).
package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"weft/testlib"
)

var reqSeq int64 // requests numbered in arrival order

//go:noinline
func okWorker(req int64, done chan struct{}) {
	testlib.Log("gohttp req=%d ok-worker goid=%d", req, testlib.Goid())
	time.Sleep(2 * time.Millisecond)
	close(done)
}

//go:noinline
func leakWorker(req int64, never chan struct{}) {
	testlib.Log("gohttp req=%d leak-worker goid=%d", req, testlib.Goid())
	<-never
}

//go:noinline
func handleOK(w http.ResponseWriter, r *http.Request) {
	req := atomic.AddInt64(&reqSeq, 1) - 1
	testlib.Log("gohttp req=%d path=/ok goid=%d", req, testlib.Goid())
	done := make(chan struct{})
	go okWorker(req, done) /* SITE:ok */
	<-done
	io.WriteString(w, "ok\n")
}

//go:noinline
func handleLeak(w http.ResponseWriter, r *http.Request) {
	req := atomic.AddInt64(&reqSeq, 1) - 1
	testlib.Log("gohttp req=%d path=/leak goid=%d", req, testlib.Goid())
	never := make(chan struct{})
	go leakWorker(req, never) /* SITE:leak */
	io.WriteString(w, "leaked\n")
}

//go:noinline
func startServer(port int) string {
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		testlib.Die("listen: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", handleOK)
	mux.HandleFunc("/leak", handleLeak)
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln) /* SITE:serve */
	return ln.Addr().String()
}

func get(c *http.Client, base, path string) {
	resp, err := c.Get(base + path)
	if err != nil {
		testlib.Die("GET %s: %v", path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	testlib.Log("gohttp client path=%s status=%d", path, resp.StatusCode)
}

func main() {
	nok, nleak, port := testlib.ArgInt(1, 4), testlib.ArgInt(2, 2), testlib.ArgInt(3, 0)
	keep := len(os.Args) > 4 && os.Args[4] == "keep"
	if len(os.Args) > 5 || (len(os.Args) > 4 && !keep) {
		testlib.Die("usage: gohttp [NOK [NLEAK [PORT [keep]]]]")
	}
	testlib.Log("gohttp main goid=%d pid=%d", testlib.Goid(), os.Getpid())
	runtime.GC()
	addr := startServer(port)
	testlib.Log("gohttp listening %s", addr)
	testlib.TargetWait()
	client := &http.Client{Transport: &http.Transport{}} // no proxy, own idle pool
	base := "http://" + addr
	for i := 0; i < nok; i++ {
		get(client, base, "/ok")
		time.Sleep(20 * time.Millisecond)
	}
	for i := 0; i < nleak; i++ {
		get(client, base, "/leak")
		time.Sleep(20 * time.Millisecond)
	}
	client.CloseIdleConnections()
	time.Sleep(700 * time.Millisecond)
	testlib.Log("gohttp idle goroutines=%d", runtime.NumGoroutine())
	testlib.DumpStacks()
	for k := 1; keep; k++ {
		time.Sleep(100 * time.Millisecond)
		testlib.Log("gohttp tick=%d", k)
	}
}
