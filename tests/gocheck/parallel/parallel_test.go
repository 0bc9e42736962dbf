// Package parallel: t.Parallel tests that end together, right before the
// test binary exits, for weft check's verdict at exit
// (tests/runtime/test_check_exit.sh). Each site is marked SITE:tag on its
// `go` line.
//
//	TestBlocked   1 goroutine blocked forever on a channel (SITE:blocked):
//	              a leak, blocked at exit
//	TestSleeper   1 goroutine in time.Sleep(time.Hour) (SITE:sleeper): a
//	              leak, its timer due past the grace
//	TestLate      1 goroutine that exits 50 ms after the test (SITE:late):
//	              cleanup: asleep at the exit, its timer due within the
//	              grace, or (the exit later than that) a late exit
//	TestBusy      1 goroutine computing for 300 ms after the test
//	              (SITE:busy): cleanup in flight, runnable at exit
//	TestClean     1 goroutine that exits within the test
//	TestGroup/a   parallel subtest: 1 goroutine blocked forever, made by a
//	              goroutine the subtest started (SITE:nested, SITE:outer)
//	TestGroup/b   parallel subtest: clean
//
// => weft check exits 1, with 3 leak lines (TestBlocked, TestSleeper,
// TestGroup/a), each with its creation stack. Every test passes for
// `go test`.
package parallel

import (
	"testing"
	"time"
)

var forever = make(chan struct{}) // never closed

//go:noinline
func blockForever() { <-forever }

//go:noinline
func sleepLong() { time.Sleep(time.Hour) }

//go:noinline
func exitSoon() { time.Sleep(50 * time.Millisecond) }

var sink uint64

//go:noinline
func crunch(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i := 0; i < 1000; i++ {
			sink += uint64(i)
		}
	}
}

//go:noinline
func startBlocked() { go blockForever() /* SITE:blocked */ }

func TestBlocked(t *testing.T) {
	t.Parallel()
	startBlocked()
	time.Sleep(20 * time.Millisecond)
}

func TestSleeper(t *testing.T) {
	t.Parallel()
	go sleepLong() /* SITE:sleeper */
	time.Sleep(20 * time.Millisecond)
}

func TestLate(t *testing.T) {
	t.Parallel()
	go exitSoon() /* SITE:late */
	time.Sleep(20 * time.Millisecond)
}

func TestBusy(t *testing.T) {
	t.Parallel()
	go crunch(300 * time.Millisecond) /* SITE:busy */
	time.Sleep(20 * time.Millisecond)
}

//go:noinline
func startNested(done chan struct{}) {
	go blockForever() /* SITE:nested */
	close(done)
}

func TestGroup(t *testing.T) {
	t.Run("a", func(t *testing.T) {
		t.Parallel()
		done := make(chan struct{})
		go startNested(done) /* SITE:outer */
		<-done
		time.Sleep(20 * time.Millisecond)
	})
	t.Run("b", func(t *testing.T) {
		t.Parallel()
		time.Sleep(20 * time.Millisecond)
	})
}

func TestClean(t *testing.T) {
	t.Parallel()
	done := make(chan struct{})
	go func() { close(done) }()
	<-done
	time.Sleep(20 * time.Millisecond)
}
