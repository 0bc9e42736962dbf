// goclient: a net/http server whose handlers call a second server (the
// backend, in the same process) with net/http's client, for outbound calls
// as continuations of the transaction that made them. It makes its own
// requests, one at a time, from main (outside any transaction), then exits.
//
//	goclient   (the log: $WEFT_TEST_LOG, else stderr)
//
// The handlers share one client with keep-alive (its own Transport):
//
//	GET /call    1 call, GET /b/ok, body read and closed  -> clean; the call
//	             dials the connection (A): its readLoop and writeLoop
//	             goroutines idle in the pool afterwards (pooled, not leaks)
//	GET /twice   2 calls on A, one after the other       -> clean, no dial
//	GET /nobody  1 call whose body is never read or closed -> the call LEAKS
//	             (done twice: the first on A, which stays busy; the second
//	             dials B, whose readLoop and writeLoop leak with it)
//
// The backend answers GET /b/ok with "ok\n" (a body: the connection is
// busy until it is read). Requests from main: /call, /twice, /nobody,
// /nobody; so 9 transactions in this order: GET /call, GET /b/ok, GET
// /twice, GET /b/ok, GET /b/ok, GET /nobody, GET /b/ok, GET /nobody, GET
// /b/ok (a backend request begins on bytes its caller's call wrote: a
// call to itself, a conflation with the caller). Calls are named by method and host:
// "GET 127.0.0.1:PORT" (the backend's port, logged as "goclient backend
// 127.0.0.1:PORT"). After the last request main sleeps 300 ms (past a
// --leak-grace of 100ms), logs "goclient done" and exits.
package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"weft/testlib"
)

var (
	backend string
	calls   = &http.Client{Transport: &http.Transport{}} // keep-alive, own pool
	held    []*http.Response                              // bodies never closed
)

func callOK() {
	resp, err := calls.Get(backend + "/b/ok")
	if err != nil {
		testlib.Die("call: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func handleCall(w http.ResponseWriter, r *http.Request) {
	callOK()
	io.WriteString(w, "called\n")
}

func handleTwice(w http.ResponseWriter, r *http.Request) {
	callOK()
	callOK()
	io.WriteString(w, "called twice\n")
}

func handleNobody(w http.ResponseWriter, r *http.Request) {
	resp, err := calls.Get(backend + "/b/ok") /* SITE:nobody */
	if err != nil {
		testlib.Die("call: %v", err)
	}
	held = append(held, resp) // the body is never read nor closed
	io.WriteString(w, "left open\n")
}

func serve(mux *http.ServeMux) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		testlib.Die("listen: %v", err)
	}
	go http.Serve(ln, mux)
	return ln.Addr().String()
}

func main() {
	if len(os.Args) > 1 {
		testlib.Die("usage: goclient")
	}
	b := http.NewServeMux()
	b.HandleFunc("/b/ok", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	backend = "http://" + serve(b)
	testlib.Log("goclient backend %s", backend[len("http://"):])
	f := http.NewServeMux()
	f.HandleFunc("/call", handleCall)
	f.HandleFunc("/twice", handleTwice)
	f.HandleFunc("/nobody", handleNobody)
	front := "http://" + serve(f)
	client := &http.Client{Transport: &http.Transport{}}
	for _, path := range []string{"/call", "/twice", "/nobody", "/nobody"} {
		resp, err := client.Get(front + path)
		if err != nil {
			testlib.Die("GET %s: %v", path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		testlib.Log("goclient %s status=%d", path, resp.StatusCode)
	}
	client.CloseIdleConnections()
	time.Sleep(300 * time.Millisecond)
	testlib.Log("goclient done")
}
