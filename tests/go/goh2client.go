// goh2client: goclient's shapes over HTTP/2: a net/http server whose
// handlers call a backend (HTTPS, HTTP/2, in the same process) with
// net/http's client, for HTTP/2 calls as continuations of the transaction
// that made them. It makes its own requests, one at a time, from main
// (outside any transaction), then exits.
//
//	goh2client   (the log: $WEFT_TEST_LOG, else stderr)
//
// The handlers share the backend's client (one HTTP/2 connection):
//
//	GET /call    1 call, GET /b/ok, body read and closed -> clean; the
//	             call dials the connection, whose reader goroutine
//	             (readLoop) serves every later call: pooled, not a leak
//	GET /twice   2 calls on it, one after the other      -> clean
//	GET /nobody  1 call whose body is never read: the backend ended the
//	             stream, so the call is over              -> clean
//	GET /stream  1 call of GET /b/stream, a stream the backend never ends,
//	             its body never closed -> the call LEAKS, and its stream's
//	             goroutine (doRequest) with it
//
// The backend answers GET /b/ok with "ok\n"; GET /b/stream with "x\n",
// then waits for the process to exit (its transaction stays open).
// Requests from main: /call, /twice, /nobody, /stream; so 10 transactions
// in this order: GET /call, GET /b/ok, GET /twice, GET /b/ok, GET /b/ok,
// GET /nobody, GET /b/ok, GET /stream, GET /b/stream (a backend request
// begins on bytes its caller's call wrote: a call to itself). Calls are
// named by method and host: "GET 127.0.0.1:PORT" (logged as "goh2client
// backend 127.0.0.1:PORT"). Main pauses 50 ms between requests: a call's
// stream goroutine exits when the backend's END_STREAM is read, which can
// come after the response, and a call still open when the next request's
// backend request begins leaves that one's caller untold (two candidates).
// After the last request main sleeps 300 ms (past a --leak-grace of
// 100ms), logs "goh2client done" and exits.
package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"weft/testlib"
)

var (
	backend string
	calls   *http.Client
	held    []*http.Response // bodies never closed
)

func call(path string) *http.Response {
	resp, err := calls.Get(backend + path)
	if err != nil {
		testlib.Die("call: %v", err)
	}
	if resp.ProtoMajor != 2 {
		testlib.Die("call %s: %s, not HTTP/2", path, resp.Proto)
	}
	return resp
}

func callOK() {
	resp := call("/b/ok")
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
	held = append(held, call("/b/ok")) // ended by the backend, never read
	io.WriteString(w, "not read\n")
}

func handleStream(w http.ResponseWriter, r *http.Request) {
	resp := call("/b/stream") /* SITE:stream */
	buf := make([]byte, 2)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		testlib.Die("stream: %v", err)
	}
	held = append(held, resp) // never closed, never ended
	io.WriteString(w, "left open\n")
}

func main() {
	if len(os.Args) > 1 {
		testlib.Die("usage: goh2client")
	}
	b := http.NewServeMux()
	b.HandleFunc("/b/ok", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	b.HandleFunc("/b/stream", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "x\n")
		w.(http.Flusher).Flush()
		select {} // until the process exits
	})
	bs := httptest.NewUnstartedServer(b)
	bs.EnableHTTP2 = true
	bs.Config.ErrorLog = nil
	bs.StartTLS()
	backend, calls = bs.URL, bs.Client()
	testlib.Log("goh2client backend %s", strings.TrimPrefix(backend, "https://"))
	f := http.NewServeMux()
	f.HandleFunc("/call", handleCall)
	f.HandleFunc("/twice", handleTwice)
	f.HandleFunc("/nobody", handleNobody)
	f.HandleFunc("/stream", handleStream)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		testlib.Die("listen: %v", err)
	}
	go http.Serve(ln, f)
	client := &http.Client{Transport: &http.Transport{}}
	for _, path := range []string{"/call", "/twice", "/nobody", "/stream"} {
		time.Sleep(50 * time.Millisecond)
		resp, err := client.Get("http://" + ln.Addr().String() + path)
		if err != nil {
			testlib.Die("GET %s: %v", path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		testlib.Log("goh2client %s status=%d", path, resp.StatusCode)
	}
	client.CloseIdleConnections()
	time.Sleep(300 * time.Millisecond)
	testlib.Log("goh2client done")
}
