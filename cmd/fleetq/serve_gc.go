package main

import (
	"os"
	"runtime/debug"
)

// serveGCPercent is the garbage collector's target for a long-running
// fleetq serve, unless $GOGC says otherwise. A page or an API answer at
// 1,000,000 hosts allocates tens of megabytes that are garbage once it is
// written (the overview's headroom JSON is 3–4 MB, encoded then decoded),
// over a live heap of about 40 MB, so at Go's default of 100 the server
// spends a fifth of its time collecting. Measured on the bench's 1M-host
// fleet (make bench, the dashboard rows), the overview at 100/200/400:
// 144/122/112 ms p50, 189/193/150 ms p99, 200/158/139 ms CPU a request;
// the peak RSS went from 80 MB to 170 MB at 400. $GOGC and $GOMEMLIMIT
// still rule when set (docs/serve.md, Performance).
const serveGCPercent = 400

// tuneServeGC sets serveGCPercent when the environment does not set GOGC.
func tuneServeGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(serveGCPercent)
	}
}
