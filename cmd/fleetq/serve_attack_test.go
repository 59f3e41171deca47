package main

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/auth"
	"github.com/fleetq/fleetq/internal/server"
)

// Every call fleetq serve runs builds a fresh command tree; none may stay
// in memory after it (cobra keeps each flag given completion candidates
// in a package map for good, which kept every tree: about 200 KB a
// request, gigabytes after a day of polling).
func TestServeExecDoesNotRetainCommandTrees(t *testing.T) {
	f := newActionFixture(t)
	x := &serveExec{db: f.db, policy: f.policy, lockWait: time.Second}
	op, ok := server.ForCommand([]string{"passes"}, nil)
	require.True(t, ok)
	call := server.Call{Op: op, Principal: auth.Principal{Name: "ann", Role: auth.Viewer}, Format: "json", Args: []string{"--"}}
	heap := func(calls int) uint64 {
		for i := 0; i < calls; i++ {
			res := x.Exec(context.Background(), call)
			require.Nil(t, res.Err, "%s", res.Stderr)
		}
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap(20)
	after := heap(200)
	grown := int64(after) - int64(before)
	require.Less(t, grown, int64(8<<20), "200 calls kept %d bytes of heap (%d a call)", grown, grown/200)
}
