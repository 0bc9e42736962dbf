// goshape: a net/http server whose request kinds have known CPU and blocking
// shapes, for the profiler (-F, --off-cpu); main drives it as a client.
//
//	goshape [N [MS]]   (N rounds, default 10; MS per request, default 20)
//
// Build (in tests/go): GOPATH=$PWD GO111MODULE=off go build goshape.go
// (the standard library and weft/testlib; `make go-targets` builds it with
// every installed Go, CGO_ENABLED=0).
//
// Startup (outside any transaction): the first log line, runtime.GC(), then
// listens on 127.0.0.1:0 and serves (`go srv.Serve(ln)`). Then main, as a
// client on one keep-alive connection, sends N rounds of GET /spin, /sleep,
// /wait, /block, one at a time, 5 ms apart. With no --txn, weft names each
// request "GET /spin" etc. The handlers (on the server's per-connection
// goroutine):
//
//	/spin   spinCPU(MS): MS of the process's CPU time (CLOCK_PROCESS_CPUTIME_ID,
//	        so preemption by other processes does not shorten it; nothing
//	        else in the process runs meanwhile: the client is parked), in
//	        the function's own loop. On-CPU MS, off-CPU ~0.
//	/sleep  time.Sleep(MS): the goroutine parks, its thread runs others or
//	        idles with no goroutine (g.m.curg nil). On-CPU ~0, and off-CPU
//	        ~0: a parked goroutine does not block a thread.
//	/wait   one goroutine (childWork, SITE:wait) that runs childSpin(MS/2)
//	        then syscall.Nanosleep(MS/2) (a blocking system call: its thread
//	        sleeps in the kernel with the goroutine on it); the handler waits
//	        on a channel (parks). On-CPU MS/2 and off-CPU MS/2, both the
//	        child's; 1 goroutine per request, ended inside it.
//	/block  syscall.Nanosleep(MS) in the handler: off-CPU MS, on-CPU ~0.
//	/exit   not used: main exits after the last response.
//
// Log ($WEFT_TEST_LOG, appended, else stderr; never stdout):
//
//	goshape main goid=1 pid=P
//	goshape listening 127.0.0.1:PORT
//	(then, with $WEFT_TEST_WAIT set, waits for that file: weft agent -p)
//	goshape req=I path=/spin cpu_ns=C          (the spin's measured CPU time)
//	goshape req=I path=/wait child_cpu_ns=C
//	goshape done N
package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"weft/testlib"
)

var (
	reqSeq int64 // requests numbered in arrival order
	sink   uint64
	ms     time.Duration
)

// processCPU: the process's CPU time (a raw system call: no scheduler
// hand-off, and the vDSO would fall back to the kernel for this clock anyway).
func processCPU() int64 {
	var ts syscall.Timespec
	const clockProcessCPUTimeID = 2
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockProcessCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

// spinCPU burns d of CPU in its own loop (the clock is read rarely), so a
// frame-pointer stack names it.
//
//go:noinline
func spinCPU(d time.Duration) int64 {
	start, x := processCPU(), uint64(1)
	for processCPU()-start < int64(d) {
		for i := 0; i < 20000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
		atomic.StoreUint64(&sink, x)
	}
	return processCPU() - start
}

//go:noinline
func childSpin(d time.Duration) int64 {
	start, x := processCPU(), uint64(3)
	for processCPU()-start < int64(d) {
		for i := 0; i < 20000; i++ {
			x = x*2862933555777941757 + 3037000493
		}
		atomic.StoreUint64(&sink, x)
	}
	return processCPU() - start
}

// blockFor sleeps d in a system call: the thread blocks with the goroutine on it.
//
//go:noinline
func blockFor(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}

//go:noinline
func childWork(done chan int64) {
	c := childSpin(ms / 2)
	blockFor(ms / 2)
	done <- c
}

//go:noinline
func handleSpin(w http.ResponseWriter, r *http.Request) {
	req := atomic.AddInt64(&reqSeq, 1) - 1
	c := spinCPU(ms)
	testlib.Log("goshape req=%d path=/spin cpu_ns=%d", req, c)
	io.WriteString(w, "spin\n")
}

//go:noinline
func handleSleep(w http.ResponseWriter, r *http.Request) {
	atomic.AddInt64(&reqSeq, 1)
	time.Sleep(ms)
	io.WriteString(w, "sleep\n")
}

//go:noinline
func handleWait(w http.ResponseWriter, r *http.Request) {
	req := atomic.AddInt64(&reqSeq, 1) - 1
	done := make(chan int64)
	go childWork(done) /* SITE:wait */
	c := <-done
	testlib.Log("goshape req=%d path=/wait child_cpu_ns=%d", req, c)
	io.WriteString(w, "wait\n")
}

//go:noinline
func handleBlock(w http.ResponseWriter, r *http.Request) {
	atomic.AddInt64(&reqSeq, 1)
	blockFor(ms)
	io.WriteString(w, "block\n")
}

func get(c *http.Client, base, path string) {
	resp, err := c.Get(base + path)
	if err != nil {
		testlib.Die("GET %s: %v", path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		testlib.Die("GET %s: status %d", path, resp.StatusCode)
	}
}

func main() {
	n := testlib.ArgInt(1, 10)
	ms = time.Duration(testlib.ArgInt(2, 20)) * time.Millisecond
	if len(os.Args) > 3 || ms == 0 {
		testlib.Die("usage: goshape [N [MS]]   (MS > 0)")
	}
	testlib.Log("goshape main goid=%d pid=%d", testlib.Goid(), os.Getpid())
	runtime.GC()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		testlib.Die("listen: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/spin", handleSpin)
	mux.HandleFunc("/sleep", handleSleep)
	mux.HandleFunc("/wait", handleWait)
	mux.HandleFunc("/block", handleBlock)
	go (&http.Server{Handler: mux}).Serve(ln)
	testlib.Log("goshape listening %s", ln.Addr())
	testlib.TargetWait()
	client := &http.Client{Transport: &http.Transport{}} // no proxy, own idle pool
	base := "http://" + ln.Addr().String()
	for i := 0; i < n; i++ {
		for _, p := range []string{"/spin", "/sleep", "/wait", "/block"} {
			get(client, base, p)
			time.Sleep(5 * time.Millisecond)
		}
	}
	client.CloseIdleConnections()
	testlib.Log("goshape done %d", n)
}
