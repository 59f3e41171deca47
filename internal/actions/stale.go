package actions

import (
	"fmt"
	"strings"

	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/store"
)

// ledgerChangers are the audit kinds whose entries change the ledger
// version a plan token names.
var ledgerChangers = map[string]bool{store.KindCommit: true, store.KindApply: true, store.KindRelease: true, store.KindCancel: true,
	store.KindFreeze: true, store.KindUnfreeze: true, store.KindIncidentStart: true, store.KindIncidentStop: true}

// maxChangesNamed is how many ledger-changing audit entries a stale
// refusal names.
const maxChangesNamed = 3

// stale says everything that changed since a plan: the newest pass, the
// ledger (naming the audit entries that changed it) and the policy.
func stale(tx *store.Tx, pol *policy.Policy, plan *store.AuditEntry) error {
	var changed []string
	if tx.LatestID() != plan.Pass {
		changed = append(changed, fmt.Sprintf("planned on pass %d, the newest pass is now %d", plan.Pass, tx.LatestID()))
	}
	if tx.LedgerVersion() != plan.LedgerVersion {
		by, err := ledgerChanges(tx, plan.ID)
		if err != nil {
			return err
		}
		changed = append(changed, fmt.Sprintf("the ledger changed since the plan (version %d, now %d%s)", plan.LedgerVersion, tx.LedgerVersion(), by))
	}
	if pol.Hash != plan.PolicyHash {
		changed = append(changed, fmt.Sprintf("the policy changed since the plan (%.12s, now %.12s)", plan.PolicyHash, pol.Hash))
	}
	if len(changed) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s; plan again", ErrStalePlan, strings.Join(changed, "; "))
}

// ledgerChanges names the audit entries after plan that changed the
// ledger: ": audit 5 commit drain by bob, audit 6 freeze smf1-dense-02 by ann".
func ledgerChanges(tx *store.Tx, plan int64) (string, error) {
	later, err := tx.AuditSince(plan)
	if err != nil {
		return "", err
	}
	var names []string
	n := 0
	for i := range later {
		e := &later[i]
		if !ledgerChangers[e.KindOf()] || !e.Committed || e.Refused != "" {
			continue
		}
		if n++; n <= maxChangesNamed {
			names = append(names, describeChange(e))
		}
	}
	if n > maxChangesNamed {
		names = append(names, fmt.Sprintf("%d more", n-maxChangesNamed))
	}
	if len(names) == 0 {
		return "", nil
	}
	return ": " + strings.Join(names, ", "), nil
}

func describeChange(e *store.AuditEntry) string {
	what := e.Verb
	if what == "" {
		what = e.Expr
	}
	s := fmt.Sprintf("audit %d %s", e.ID, e.KindOf())
	if what != "" {
		s += " " + what
	}
	return s + " by " + e.Requester
}
