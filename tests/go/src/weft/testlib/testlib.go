// Package testlib holds the helpers the test programs of tests/go share
// (found through GOPATH=tests/go). Nothing here starts a goroutine or makes
// a call the runtime tests assert on: those stay in the programs, at the
// lines their SITE: comments mark.
package testlib

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

var (
	logMu   sync.Mutex
	logFile *os.File
)

// Log writes a line to $WEFT_TEST_LOG (appended), else stderr: never stdout.
func Log(format string, args ...interface{}) {
	logMu.Lock()
	defer logMu.Unlock()
	if logFile == nil {
		logFile = os.Stderr
		if p := os.Getenv("WEFT_TEST_LOG"); p != "" {
			if f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err == nil {
				logFile = f
			}
		}
	}
	fmt.Fprintf(logFile, format+"\n", args...)
}

func Die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "target: "+format+"\n", args...)
	os.Exit(2)
}

// TargetWait holds until $WEFT_TEST_WAIT exists (if set): polls every 10 ms, up to 10 s.
func TargetWait() {
	p := os.Getenv("WEFT_TEST_WAIT")
	if p == "" {
		return
	}
	for i := 0; i < 1000; i++ {
		if _, err := os.Stat(p); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	Die("WEFT_TEST_WAIT: %s did not appear within 10 s", p)
}

// ArgInt: os.Args[i] as a number >= 0, def if absent.
func ArgInt(i, def int) int {
	if len(os.Args) <= i {
		return def
	}
	v, err := strconv.Atoi(os.Args[i])
	if err != nil || v < 0 {
		Die("bad argument '%s'", os.Args[i])
	}
	return v
}

// Goid: the current goroutine's id, from the "goroutine N [" header of its stack.
func Goid() int {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	n, _ := strconv.Atoi(string(b))
	return n
}

// DumpStacks logs every goroutine's stack if $WEFT_TEST_STACKS is set.
func DumpStacks() {
	if os.Getenv("WEFT_TEST_STACKS") == "" {
		return
	}
	buf := make([]byte, 1<<20)
	Log("%s", buf[:runtime.Stack(buf, true)])
}
