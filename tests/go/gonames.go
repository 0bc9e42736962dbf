// gonames: transactions on Go functions named the way Go spells them: a
// closure, a generic function, a method on a value receiver.
//
//	gonames [N]        (N rounds, default 2)
//
// Build (in tests/go): GOPATH=$PWD GO111MODULE=off go build gonames.go
// (the standard library and weft/testlib; `make go-targets` builds it with
// every installed Go, CGO_ENABLED=0).
//
// Each round, on the main goroutine:
//
//	closure (main.main.func1):           starts 1 goroutine, waits for it
//	generic (main.process[go.shape.int],
//	         --txn 'main.process[...]'): starts 2 goroutines, waits for them
//	the same generic on a string (main.process[go.shape.string]): 4
//	method  (main.worker.run):           starts 3 goroutines, waits for them
//
// => per round 4 transactions with 1, 2, 4 and 3 goroutines; no leaks.
// Log ($WEFT_TEST_LOG, else stderr; never stdout): "gonames done" at the end.
package main

import (
	"os"
	"strconv"
	"sync"

	"weft/testlib"
)

func spawn(n int) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() { defer wg.Done() }()
	}
	wg.Wait()
}

//go:noinline
func process[T any](x T, n int) T {
	spawn(n)
	return x
}

//go:noinline
func call(f func(int), n int) { f(n) } // an indirect call: the closure is not inlined

type worker struct{ n int }

//go:noinline
func (w worker) run() { spawn(w.n) }

func main() {
	rounds := 2
	if len(os.Args) > 1 {
		if v, err := strconv.Atoi(os.Args[1]); err == nil {
			rounds = v
		}
	}
	closure := func(n int) { spawn(n) }
	for r := 0; r < rounds; r++ {
		call(closure, 1)
		process(r, 2)
		process("s", 4)
		worker{3}.run()
	}
	testlib.Log("gonames done")
}
