// goroutes: a net/http server whose routes are ServeMux patterns (Go 1.22+),
// for transaction names by route. It makes its own requests, one at a time,
// from main, then exits.
//
//	GODEBUG=httpmuxgo121=0 goroutes   (the log: $WEFT_TEST_LOG, else stderr)
//
// A program built in GOPATH mode (as make go-targets builds) gets Go 1.20's
// GODEBUG defaults, hence Go 1.21's ServeMux without patterns, and 1.21
// refuses a //go:debug line it does not know: on 1.22+ it refuses to run
// without GODEBUG=httpmuxgo121=0.
//
// Routes, Go 1.22+ (ServeMux patterns):
//
//	GET /users/{id}        handleUser: answers          -> clean
//	POST /users/{id}/leak  handleLeak: 1 goroutine blocked for ever -> LEAK
//	/static/               handleStatic (any method, a subtree)
//
// Before Go 1.22 (no patterns: the same handlers on "/users/" and
// "/static/", dispatched by hand; a method the route lacks gets 405).
//
// Requests, in this order (10):
//
//	GET /users/1, GET /users/2, GET /users/3   (1.22+: route GET /users/{id})
//	HEAD /users/4            (a GET route serves HEAD too)
//	POST /users/5/leak, POST /users/6/leak     (route POST /users/{id}/leak)
//	GET /static/a.css, GET /static/b/c.js      (route /static/)
//	GET /nope                (404: no route)
//	DELETE /users/7          (405: no route for the method; 1.22+ sets no
//	                          pattern, before by hand)
//
// So by route (1.22+): GET /users/{id} x3, HEAD /users/{id}, POST
// /users/{id}/leak x2, GET /static/ x2, GET /nope, DELETE /users/7; by path
// (and before 1.22) each request's method and path. Each transaction
// creates no goroutine but the leaking ones' 1 (site main.handleLeak, start
// main.leakWorker). After the last request main closes its idle
// connection, sleeps 300 ms (past a --leak-grace of 100ms), logs
// "goroutes done" and exits.
package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"weft/testlib"
)

// Go 1.22 brought ServeMux patterns ("go1.22.3", "go1.27rc1")
func hasPatterns() bool {
	v := strings.TrimPrefix(runtime.Version(), "go1.")
	end := strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' })
	if end >= 0 {
		v = v[:end]
	}
	minor, err := strconv.Atoi(v)
	return err == nil && minor >= 22
}

func leakWorker(never chan struct{}) {
	<-never
}

func handleUser(w http.ResponseWriter, r *http.Request) {
	io.WriteString(w, "user\n")
}

func handleLeak(w http.ResponseWriter, r *http.Request) {
	never := make(chan struct{})
	go leakWorker(never) /* SITE:leak */
	io.WriteString(w, "leaked\n")
}

func handleStatic(w http.ResponseWriter, r *http.Request) {
	io.WriteString(w, "static\n")
}

// Before 1.22: /users/ID (GET, HEAD) and /users/ID/leak (POST) by hand
func handleUsersOld(w http.ResponseWriter, r *http.Request) {
	leak := strings.HasSuffix(r.URL.Path, "/leak")
	switch {
	case leak && r.Method == "POST":
		handleLeak(w, r)
	case !leak && (r.Method == "GET" || r.Method == "HEAD"):
		handleUser(w, r)
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func main() {
	if len(os.Args) > 1 {
		testlib.Die("usage: GODEBUG=httpmuxgo121=0 goroutes")
	}
	if hasPatterns() && !strings.Contains(os.Getenv("GODEBUG"), "httpmuxgo121=0") {
		testlib.Die("%s: run with GODEBUG=httpmuxgo121=0 (built in GOPATH mode, its ServeMux "+
			"would be Go 1.21's, without patterns)", runtime.Version())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		testlib.Die("listen: %v", err)
	}
	mux := http.NewServeMux()
	if hasPatterns() {
		mux.HandleFunc("GET /users/{id}", handleUser)
		mux.HandleFunc("POST /users/{id}/leak", handleLeak)
	} else {
		mux.HandleFunc("/users/", handleUsersOld)
	}
	mux.HandleFunc("/static/", handleStatic)
	go http.Serve(ln, mux) /* SITE:serve */
	client := &http.Client{Transport: &http.Transport{}} // no proxy, own idle pool
	base := "http://" + ln.Addr().String()
	for _, rq := range []struct{ method, path string }{
		{"GET", "/users/1"}, {"GET", "/users/2"}, {"GET", "/users/3"},
		{"HEAD", "/users/4"}, {"POST", "/users/5/leak"}, {"POST", "/users/6/leak"},
		{"GET", "/static/a.css"}, {"GET", "/static/b/c.js"}, {"GET", "/nope"},
		{"DELETE", "/users/7"},
	} {
		req, err := http.NewRequest(rq.method, base+rq.path, nil)
		if err != nil {
			testlib.Die("%s %s: %v", rq.method, rq.path, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			testlib.Die("%s %s: %v", rq.method, rq.path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		testlib.Log("goroutes %s %s status=%d", rq.method, rq.path, resp.StatusCode)
	}
	client.CloseIdleConnections()
	time.Sleep(300 * time.Millisecond)
	testlib.Log("goroutes done")
}
