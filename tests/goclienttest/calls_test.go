// Package calls: tests that make outbound HTTP calls to an httptest server
// with one keep-alive client, for weft check (tests/runtime/test_go_client.sh):
//
//	TestClosed    1 call, body read and closed: the call ends and its
//	              connection (dialed here: readLoop, writeLoop) idles in the
//	              pool: pooled, no leak
//	TestOpenBody  1 call on that connection whose body is never closed:
//	              1 leaked call (at the line marked SITE), nothing else
//	TestZWait     sleeps 300 ms, so the leak is judged (--leak-grace 100ms)
//
// weft check: exit 1, one LEAK line (TestOpenBody: 1 call ... -> GET
// 127.0.0.1:PORT), "3 transactions, 1 leaked continuation at 1 site".
package calls

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

var (
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello\n")
	}))
	client = &http.Client{Transport: &http.Transport{}}
	held   *http.Response
)

func TestClosed(t *testing.T) {
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func TestOpenBody(t *testing.T) {
	resp, err := client.Get(srv.URL + "/open") /* SITE:open */
	if err != nil {
		t.Fatal(err)
	}
	held = resp // never read, never closed
}

func TestZWait(t *testing.T) {
	time.Sleep(300 * time.Millisecond)
}
