package main

import (
	"testing"
	"time"
)

func TestParsePage(t *testing.T) {
	p, err := parsePage("overview|/?a=b|fleetq headroom --format json | wc -c")
	if err != nil || p.name != "overview" || p.path != "/?a=b" || p.peer != "fleetq headroom --format json | wc -c" {
		t.Fatalf("parsePage: %+v, %v; expected the peer to keep its own |", p, err)
	}
	if p, err := parsePage("floor|/healthz|"); err != nil || p.peer != "" {
		t.Fatalf("an empty peer: %+v, %v", p, err)
	}
	for _, bad := range []string{"overview", "overview|healthz|x", "|/|x"} {
		if _, err := parsePage(bad); err == nil {
			t.Errorf("parsePage(%q) accepted", bad)
		}
	}
}

func TestServerTimeIsTheNextLineOfThePath(t *testing.T) {
	log := make(chan logLine, 3)
	log <- logLine{Msg: "request", Path: "/healthz", DurationMS: 0.1}
	log <- logLine{Msg: "request", Path: "/query", DurationMS: 12.5}
	log <- logLine{Msg: "request", Path: "/", DurationMS: 3}
	d, err := serverTime(log, pathOnly("/query?expr=all"), time.Second)
	if err != nil || d != 12500*time.Microsecond {
		t.Fatalf("serverTime: %v, %v; expected 12.5ms, the /query line's", d, err)
	}
	close(log)
	if d, err := serverTime(log, "/", time.Second); err != nil || d != 3*time.Millisecond {
		t.Fatalf("serverTime of /: %v, %v; expected 3ms", d, err)
	}
	if _, err := serverTime(log, "/", time.Second); err == nil {
		t.Fatal("serverTime after the log ended: no error")
	}
}

func TestPercentileIsNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 20; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if pct(d, 50) != 10*time.Millisecond || pct(d, 99) != 20*time.Millisecond || pct(nil, 50) != 0 {
		t.Fatalf("pct: p50 %v, p99 %v of 1..20ms; expected 10ms and 20ms", pct(d, 50), pct(d, 99))
	}
}
