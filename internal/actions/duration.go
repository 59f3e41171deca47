package actions

import (
	"fmt"
	"time"

	"github.com/fleetq/fleetq/internal/policy"
)

// Requested durations: `--duration 2h` on a verb asks for leases of that
// length instead of the verb's lease, bounded by the verb's max_duration
// (default: its lease). A forced lease keeps its force_lease cap.

// Span is a requested duration; it is written as Go writes durations
// (2h0m0s) in decisions and read back by audit replay.
type Span time.Duration

// MarshalText implements encoding.TextMarshaler.
func (s Span) MarshalText() ([]byte, error) { return []byte(time.Duration(s).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Span) UnmarshalText(b []byte) error {
	d, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: %w", b, err)
	}
	*s = Span(d)
	return nil
}

// text is the span as the audit entry and the lease record it ("" for none).
func (s Span) text() string {
	if s == 0 {
		return ""
	}
	return time.Duration(s).String()
}

// CheckDuration refuses a requested duration that is not positive or is
// longer than the verb's max_duration, naming the maximum. 0 is none.
func CheckDuration(pol *policy.Policy, verb string, d time.Duration) error {
	limit := pol.Rules(verb).MaxDuration
	switch {
	case d < 0:
		return fmt.Errorf("%w: --duration %s must be positive", ErrOverMaxDuration, d)
	case d > limit:
		return fmt.Errorf("%w: --duration %s is longer than %s's max_duration %s ([verb.%s] max_duration in the policy; default its lease); refused, nothing written",
			ErrOverMaxDuration, d, verb, limit, verb)
	}
	return nil
}

// leaseLength is how long a granted lease lasts: the requested duration,
// else the verb's lease (a forced lease is capped by force_lease after).
func leaseLength(pol *policy.Policy, verb string, requested time.Duration) time.Duration {
	if requested > 0 {
		return requested
	}
	return pol.Rules(verb).Lease
}
