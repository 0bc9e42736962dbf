// Package leaky: Go tests with known goroutine leaks, for weft check
// (tests/runtime/test_check.sh). Tests run in this order (source order);
// each site is marked SITE:tag on its `go` line.
//
//	TestCleanup      3 goroutines released at the end of the test; they exit
//	                 5 ms after it (asynchronous cleanup: never a leak at the
//	                 default grace; a leak at --leak-grace 1ms unless
//	                 --allow 'leaky.lateWorker<=50ms')
//	TestLeakTwo      2 goroutines blocked forever on a channel (SITE:two)
//	TestLeakOne      1 goroutine sleeping for an hour (SITE:one)
//	TestSubtests/a   1 goroutine blocked forever on a channel (SITE:sub)
//	TestSubtests/b   1 goroutine that exits within the subtest: clean
//	TestParallel1/2  t.Parallel; 1 goroutine each, exits within the test
//	TestClean        no goroutine
//
// => weft check exits 1, with 3 leak lines: TestLeakTwo (2, chan receive),
// TestLeakOne (1, sleep), TestSubtests/a (1, chan receive). Every test
// passes for `go test`.
package leaky

import (
	"sync"
	"testing"
	"time"
)

var forever = make(chan struct{}) // never closed

//go:noinline
func blockForever() { <-forever }

//go:noinline
func sleepLong() { time.Sleep(time.Hour) }

//go:noinline
func lateWorker(release chan struct{}, wg *sync.WaitGroup) {
	wg.Done()
	<-release
	time.Sleep(5 * time.Millisecond)
}

func TestCleanup(t *testing.T) {
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go lateWorker(release, &wg) /* SITE:late */
	}
	wg.Wait()
	t.Cleanup(func() { close(release) })
}

func TestLeakTwo(t *testing.T) {
	for i := 0; i < 2; i++ {
		go blockForever() /* SITE:two */
	}
}

func TestLeakOne(t *testing.T) {
	go sleepLong() /* SITE:one */
}

func TestSubtests(t *testing.T) {
	t.Run("a", func(t *testing.T) {
		go blockForever() /* SITE:sub */
	})
	t.Run("b", func(t *testing.T) {
		done := make(chan struct{})
		go func() { close(done) }() /* SITE:subok */
		<-done
	})
}

func parallelBody(t *testing.T) {
	t.Parallel()
	done := make(chan struct{})
	go func() { close(done) }() /* SITE:par */
	<-done
}

func TestParallel1(t *testing.T) { parallelBody(t) }
func TestParallel2(t *testing.T) { parallelBody(t) }

func TestClean(t *testing.T) {}

// Keeps the binary alive past the grace after the last leaking test, so
// weft judges every leak while the process runs.
func TestZZWait(t *testing.T) { time.Sleep(700 * time.Millisecond) }
