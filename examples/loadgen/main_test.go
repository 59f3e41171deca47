package main

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 200; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if got := pct(d, 50); got != 100*time.Millisecond {
		t.Errorf("p50 of 1..200ms = %v, expected 100ms", got)
	}
	if got := pct(d, 99); got != 198*time.Millisecond {
		t.Errorf("p99 of 1..200ms = %v, expected 198ms", got)
	}
	if got := pct(d[:1], 99); got != time.Millisecond {
		t.Errorf("p99 of one = %v, expected it", got)
	}
}

func TestMeasureRunsEveryClientAndStopsOnAFailure(t *testing.T) {
	var n atomic.Int64
	s, err := measure(8, 5, func() error { n.Add(1); return nil })
	if err != nil || n.Load() != 40 || s.rate <= 0 {
		t.Fatalf("8 clients of 5: %d calls, rate %v, err %v; expected 40 calls", n.Load(), s.rate, err)
	}
	boom := errors.New("boom")
	if _, err := measure(2, 3, func() error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("a failing call: err %v, expected boom", err)
	}
}
