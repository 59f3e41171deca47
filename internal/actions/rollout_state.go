package actions

import (
	"fmt"
	"strings"
	"time"

	"github.com/fleetq/fleetq/internal/store"
)

// RecordVerdict keeps what a verdict means in the ledger: a halt halts an
// active rollout (its later waves are refused by invariant:rollout-halted
// until resumed), go on the last wave makes it done. Each change is
// audited as kind "rollout"; it reports whether anything changed.
func RecordVerdict(tx *store.Tx, r *store.Rollout, c *WaveCheck, requester string, now time.Time) (bool, error) {
	switch {
	case r.State != store.RolloutActive:
		return false, nil
	case c.Verdict == VerdictHalt:
		r.State = store.RolloutHalted
		r.Halt = &store.RolloutHalt{Wave: c.Wave, At: now, Requester: requester, Pass: c.Pass, Hosts: c.HostNames(), Reasons: c.Reasons}
	case c.Verdict == VerdictGo && c.Wave == len(r.Waves)-1:
		r.State = store.RolloutDone
	default:
		return false, nil
	}
	id, err := auditRollout(tx, r, requester, now, fmt.Sprintf("wave %d: %s: %s", c.Wave, c.Verdict, strings.Join(c.Reasons, "; ")), c.Pass, failedEntries(c))
	if err != nil {
		return false, err
	}
	if r.Halt != nil && r.State == store.RolloutHalted {
		r.Halt.Audit = id
	}
	return true, tx.UpdateRollout(r)
}

// ResumeRollout lifts a halt: the later waves may be acted on again.
func ResumeRollout(tx *store.Tx, ref, reason, requester string, now time.Time) (*store.Rollout, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, ErrNeedReason
	}
	r, err := tx.FindRollout(ref)
	if err != nil {
		return nil, err
	}
	if r.State != store.RolloutHalted {
		return nil, fmt.Errorf("rollout %s is %s, not halted: nothing to resume", r.Label(), r.State)
	}
	was := r.Halt
	r.State, r.Halt = store.RolloutActive, nil
	if _, err := auditRollout(tx, r, requester, now, fmt.Sprintf("resume after the halt of wave %d (audit %d): %s", was.Wave, was.Audit, reason), 0, []store.Denied{}); err != nil {
		return nil, err
	}
	return r, tx.UpdateRollout(r)
}

// RuleWaveFailed is what the audit entry of a halt records for each
// host of the wave that failed.
const RuleWaveFailed = "rollout:wave-failed"

func failedEntries(c *WaveCheck) []store.Denied {
	out := make([]store.Denied, len(c.Failed))
	for i, f := range c.Failed {
		out[i] = store.Denied{Host: f.Host, Rule: RuleWaveFailed, Detail: strings.Join(f.Failed, "; ")}
	}
	return out
}

func auditRollout(tx *store.Tx, r *store.Rollout, requester string, now time.Time, reason string, pass int64, failed []store.Denied) (int64, error) {
	return tx.AppendAudit(&store.AuditEntry{Time: now, Requester: requester, Kind: "rollout", Expr: store.RolloutSetPrefix + r.Ref(),
		Reason: r.Ref() + " " + r.State + ": " + reason, Pass: pass, Seed: r.Seed, LedgerVersion: tx.LedgerVersion(),
		Committed: true, Approved: []string{}, Denied: failed})
}
