package store

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// WeekSetPrefix starts a reference to a maintenance week's hosts in the
// query language: week:w1 (every host with a slot), week:w1/s4 (step
// 4's), week:w1/unslotted (the scope's hosts the plan gave none); a
// week's name works in place of w1.
const WeekSetPrefix = "week:"

// weekSet resolves "week:REF[/sN|/unslotted]" to host names: ok is false
// when the name is not such a reference or names no recorded week or step.
func weekSet(btx *bolt.Tx, name string) (hosts []string, origin string, ok bool) {
	rest, isWeek := strings.CutPrefix(name, WeekSetPrefix)
	ref, part, hasPart := strings.Cut(rest, "/")
	if !isWeek || btx.Bucket(bucketWeeks) == nil || ref == "" {
		return nil, "", false
	}
	w, err := (&Tx{btx: btx}).FindWeek(ref)
	if err != nil {
		return nil, "", false
	}
	origin = fmt.Sprintf("week %s planned %s by %s on pass %d, %s", w.Label(), w.Created.UTC().Format(time.RFC3339), w.Requester, w.Pass, w.State)
	switch {
	case !hasPart:
		for _, st := range w.Steps {
			hosts = append(hosts, st.Hosts...)
		}
		return hosts, "every slotted host of " + origin, true
	case part == "unslotted":
		return w.Unslotted, "the unslotted hosts of " + origin, true
	}
	n, err := strconv.Atoi(strings.TrimPrefix(part, "s"))
	if err != nil || !strings.HasPrefix(part, "s") || n < 1 || n > len(w.Steps) {
		return nil, "", false
	}
	return w.Steps[n-1].Hosts, fmt.Sprintf("step %d of %s", n, origin), true
}
