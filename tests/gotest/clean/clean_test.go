// Package clean: Go tests that leak nothing, for weft check
// (tests/runtime/test_check.sh): every goroutine a test starts ends inside
// it. weft check exits 0.
package clean

import (
	"sync"
	"testing"
)

func TestFanout(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() { defer wg.Done() }()
	}
	wg.Wait()
}

func TestSub(t *testing.T) {
	t.Run("x", func(t *testing.T) {
		done := make(chan struct{})
		go close(done)
		<-done
	})
}
