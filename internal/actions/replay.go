package actions

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/store"
)

// Replay is a logged decision recomputed from its recorded inputs.
type Replay struct {
	Entry      *store.AuditEntry `json:"entry"`
	Recomputed *Decision         `json:"recomputed"`
	Match      bool              `json:"match"`
	Diffs      []string          `json:"diffs,omitempty"`
}

// ReplayAudit recomputes audit entry id from its recorded pass, policy
// (kept by hash), seed, clock reading and ledger inputs, and says whether
// it comes out the same.
func ReplayAudit(ctx context.Context, tx *store.Tx, id int64) (*Replay, error) {
	e, err := tx.Audit(id)
	if err != nil {
		return nil, err
	}
	if len(e.Decision) == 0 {
		return nil, fmt.Errorf("audit %d is a %s, not a decision: nothing to replay", id, e.KindOf())
	}
	text, ok := tx.PolicyText(e.PolicyHash)
	if !ok {
		return nil, fmt.Errorf("audit %d: policy %.12s is not stored", id, e.PolicyHash)
	}
	pol, err := policy.Parse(text)
	if err != nil {
		return nil, err
	}
	var logged Decision
	var in inputs
	if err := json.Unmarshal(e.Decision, &logged); err != nil {
		return nil, fmt.Errorf("%w: audit %d decision: %v", store.ErrCorrupt, id, err)
	}
	if err := json.Unmarshal(e.Inputs, &in); err != nil || in.Ledger == nil {
		return nil, fmt.Errorf("%w: audit %d inputs", store.ErrCorrupt, id)
	}
	snap, err := tx.Snapshot(e.Pass)
	if err != nil {
		return nil, fmt.Errorf("audit %d was decided on pass %d: %w", id, e.Pass, err)
	}
	d, err := Decide(Input{Ctx: ctx, Snap: snap, Policy: pol, Ledger: in.Ledger}, logged.Request)
	if err != nil {
		return nil, err
	}
	r := &Replay{Entry: e, Recomputed: d, Diffs: compare(e, d)}
	r.Match = len(r.Diffs) == 0
	return r, nil
}

func compare(e *store.AuditEntry, d *Decision) []string {
	var diffs []string
	if e.Refused != d.Refused {
		diffs = append(diffs, fmt.Sprintf("refused: logged %q, now %q", e.Refused, d.Refused))
	}
	approved := e.Approved
	if e.Planned != nil { // an apply of a subset: the decision approved the whole plan
		approved = e.Planned
	}
	if !slices.Equal(approved, d.Approved) {
		diffs = append(diffs, fmt.Sprintf("approved: logged %d hosts %v, now %d hosts %v", len(approved), clip(approved), len(d.Approved), clip(d.Approved)))
	}
	logged := map[string]string{}
	for _, x := range e.Denied {
		logged[x.Host] = x.Rule
	}
	for _, x := range d.Denied {
		if logged[x.Host] != x.Rule {
			diffs = append(diffs, fmt.Sprintf("denied %s: logged %q, now %q", x.Host, logged[x.Host], x.Rule))
		}
		delete(logged, x.Host)
	}
	for _, h := range slices.Sorted(maps.Keys(logged)) {
		diffs = append(diffs, fmt.Sprintf("denied %s: logged %q, now not denied", h, logged[h]))
	}
	return diffs
}

func clip(s []string) []string {
	if len(s) > 5 {
		return append(slices.Clone(s[:5]), "…")
	}
	return s
}
