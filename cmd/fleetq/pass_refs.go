package main

import (
	"fmt"
	"strconv"

	"github.com/fleetq/fleetq/internal/store"
)

// Pass references as the history commands (diff, export) take them.

// isPassRef reports whether arg names a pass: an id (42), 0 for the newest,
// or -N for N passes before the newest as in name@-1 (write -- before a
// negative one so it is not read as a flag).
func isPassRef(arg string) bool {
	_, err := strconv.ParseInt(arg, 10, 64)
	return err == nil
}

// resolvePassRef turns a pass reference into an id, against the ids of
// every pass, oldest first.
func resolvePassRef(arg string, ids []int64) (int64, error) {
	n, err := strconv.ParseInt(arg, 10, 64)
	if err != nil {
		return 0, &usageError{fmt.Sprintf("%q is not a pass id", arg)}
	}
	if n > 0 {
		return n, nil
	}
	if int(-n) >= len(ids) {
		return 0, fmt.Errorf("pass %d: there are only %d passes: %w", n, len(ids), store.ErrNoPass)
	}
	return ids[len(ids)-1+int(n)], nil
}

func passIDs(tx *store.Tx) ([]int64, error) {
	ps, err := tx.Passes()
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids, nil
}

// passTitle is "pass 3 (2026-11-20T02:05:00Z, demo-3)".
func passTitle(p *store.PassInfo) string {
	s := fmt.Sprintf("pass %d (%s", p.ID, p.Created.Format("2006-01-02T15:04:05Z"))
	if p.Label != "" {
		s += ", " + p.Label
	}
	return s + ")"
}
