package main

import (
	"testing"
	"time"
)

func TestParseSetupAndSelfTimed(t *testing.T) {
	bs, err := parse([]string{"a=cp x y ::: run y", "@floor=prog", "b=echo a=b"})
	if err != nil {
		t.Fatal(err)
	}
	if bs[0].setup != "cp x y" || bs[0].shell != "run y" || bs[0].self {
		t.Fatalf("setup: %+v", bs[0])
	}
	if bs[1].name != "floor (in-process)" || !bs[1].self || bs[1].setup != "" {
		t.Fatalf("self-timed: %+v", bs[1])
	}
	if bs[2].shell != "echo a=b" {
		t.Fatalf("= in a command: %+v", bs[2])
	}
	if _, err := parse([]string{"no command"}); err == nil {
		t.Fatal("an argument without = parsed")
	}
}

func TestElapsedIsTheLastLine(t *testing.T) {
	var tl tail
	_, _ = tl.Write([]byte("elapsed: 1ms\nnoise\nelapsed: 2.5ms\n"))
	if d, err := tl.elapsed(); err != nil || d != 2500*time.Microsecond {
		t.Fatalf("elapsed = %v, %v", d, err)
	}
	var none tail
	_, _ = none.Write([]byte("no timing\n"))
	if _, err := none.elapsed(); err == nil {
		t.Fatal("no elapsed line accepted")
	}
}

func TestFailedCommandDoesNotStopTheOthers(t *testing.T) {
	bs, _ := parse([]string{"ok=true", "bad=exit 3", "setup=false ::: true"})
	for _, b := range bs {
		if err := b.once(); err != nil {
			b.failed = err.Error()
		}
	}
	if bs[0].failed != "" || len(bs[0].walls) != 1 {
		t.Fatalf("ok: %+v", bs[0])
	}
	if bs[1].failed == "" || bs[2].failed == "" {
		t.Fatalf("a failing command or setup passed: %+v %+v", bs[1], bs[2])
	}
}
