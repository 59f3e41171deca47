package store

import (
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// Maintenance weeks are ledger objects: `fleetq plan week FILE` records
// each step of a schedule with the hosts it was given, in the bucket
// "weeks" (id → Week, created by the first write that needs it). While a
// week runs, a host's slot is its maintenance window: the verbs the week
// gates approve it only inside the slot (docs/windows.md).
var bucketWeeks = []byte("weeks")

// Week states.
const (
	WeekPlanned   = "planned"
	WeekCancelled = "cancelled"
)

// Week is one maintenance week as `fleetq plan week` recorded it.
type Week struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name,omitempty"`
	File      string     `json:"file"`      // the schedule file as given
	Source    string     `json:"source"`    // its text, so the plan can be re-read
	Scope     string     `json:"scope"`     // the location: every host of it gets one slot
	Verbs     []string   `json:"verbs"`     // the verbs whose decisions the slots gate
	Zone      string     `json:"zone"`      // the zone the schedule's times are written in
	Customer  string     `json:"customer"`  // the attribute naming a host's customer (export)
	Created   time.Time  `json:"created"`   // when it was planned
	Requester string     `json:"requester"` // who planned it
	Pass      int64      `json:"pass"`      // the pass it was planned on
	Seed      uint64     `json:"seed"`
	Steps     []WeekStep `json:"steps"`
	// Unslotted are the hosts of the scope no step took: the cross-check
	// fails while any are listed.
	Unslotted []string `json:"unslotted"`
	State     string   `json:"state"` // planned, cancelled
	Audit     int64    `json:"audit"` // the audit entry that planned it
}

// WeekStep is one step of a week: a slot [Start, End) and its hosts.
type WeekStep struct {
	N     int        `json:"n"` // 1-based, in the file's order
	Name  string     `json:"name,omitempty"`
	Start time.Time  `json:"start"`
	End   time.Time  `json:"end"`
	Parts []WeekPart `json:"parts"`
	Hosts []string   `json:"hosts"` // sorted by name
}

// WeekPart is one selection of a step: an expression, the share of its
// hosts (not taken by an earlier step) the step takes, and the counts.
type WeekPart struct {
	Expr    string `json:"expr"`
	Limit   string `json:"limit,omitempty"` // "5%", "10", "": every host
	Matched int    `json:"matched"`         // hosts of the expression no earlier step took
	Taken   int    `json:"taken"`
}

// Ref is the week's reference: w2.
func (w *Week) Ref() string { return fmt.Sprintf("w%d", w.ID) }

// Label is the reference and the name: "w2 (2026-w50 kernel)".
func (w *Week) Label() string {
	if w.Name == "" {
		return w.Ref()
	}
	return w.Ref() + " (" + w.Name + ")"
}

// Span is the week's first slot start and last slot end.
func (w *Week) Span() (start, end time.Time) {
	for i, s := range w.Steps {
		if i == 0 || s.Start.Before(start) {
			start = s.Start
		}
		if s.End.After(end) {
			end = s.End
		}
	}
	return start, end
}

// Running reports whether a planned week's span holds t.
func (w *Week) Running(t time.Time) bool {
	start, end := w.Span()
	return w.State == WeekPlanned && !t.Before(start) && t.Before(end)
}

// CreateWeek records a new week with the next id (w.ID is set) and its
// audit entry, which audit builds once the id is known (w.Audit is set).
// Its slots change what verbs decide, so the ledger version is bumped.
func (t *Tx) CreateWeek(w *Week, audit func(w *Week) *AuditEntry) error {
	b, err := t.bucket(bucketWeeks)
	if err != nil {
		return err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	w.ID = int64(seq)
	if w.Audit, err = t.AppendAudit(audit(w)); err != nil {
		return err
	}
	if err := putJSONKey(b, u64(seq), w); err != nil {
		return err
	}
	return t.bumpLedger()
}

// UpdateWeek rewrites a week whose state changed (a cancel), bumping the
// ledger version.
func (t *Tx) UpdateWeek(w *Week) error {
	b, err := t.bucket(bucketWeeks)
	if err != nil {
		return err
	}
	if b.Get(u64(uint64(w.ID))) == nil {
		return fmt.Errorf("week w%d: %w", w.ID, ErrNoWeek)
	}
	if err := putJSONKey(b, u64(uint64(w.ID)), w); err != nil {
		return err
	}
	return t.bumpLedger()
}

// Weeks lists every week, oldest first.
func (t *Tx) Weeks() ([]Week, error) {
	var out []Week
	err := eachJSON(t.btx, bucketWeeks, func(_ []byte, w *Week) { out = append(out, *w) })
	return out, err
}

var weekIDPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^w?([0-9]+)$`) })

// FindWeek finds a week by reference (w2, or 2) or, failing that, by
// name (the newest of that name); "" is the newest week.
func (t *Tx) FindWeek(ref string) (*Week, error) {
	ws, err := t.Weeks()
	if err != nil {
		return nil, err
	}
	if m := weekIDPattern().FindStringSubmatch(ref); m != nil {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		for i := range ws {
			if ws[i].ID == id {
				return &ws[i], nil
			}
		}
		return nil, fmt.Errorf("%w: no week %s (fleetq week list shows them)", ErrNoWeek, ref)
	}
	for i := len(ws) - 1; i >= 0; i-- {
		if ref == "" || ws[i].Name == ref {
			return &ws[i], nil
		}
	}
	if ref == "" {
		return nil, fmt.Errorf("%w: no week planned yet (fleetq plan week FILE plans one)", ErrNoWeek)
	}
	return nil, fmt.Errorf("%w: no week %q (fleetq week list shows them)", ErrNoWeek, ref)
}

// plannedWeeks are the planned weeks whose last slot ends after since:
// the ones a decision at or after since may have to read.
func (t *Tx) plannedWeeks(since time.Time) ([]Week, error) {
	var out []Week
	err := eachJSON(t.btx, bucketWeeks, func(_ []byte, w *Week) {
		if _, end := w.Span(); w.State == WeekPlanned && end.After(since) {
			out = append(out, *w)
		}
	})
	return out, err
}
