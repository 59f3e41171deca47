package policy

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written as "30m", "24h" or "7d" in the file.
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler. A policy duration
// (lease, force_lease, cooldown, max_evidence_age, evidence_age) is never
// negative: "-30m" is a typo, not "no cooldown".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	if v < 0 || strings.Contains(string(b), "-") {
		return fmt.Errorf("duration %q: must not be negative", strings.TrimSpace(string(b)))
	}
	*d = Duration(v)
	return nil
}

// ParseDuration is time.ParseDuration plus days ("7d", "1d12h").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil {
			return 0, fmt.Errorf("duration %q: bad day count", s)
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: expected e.g. 30m, 24h, 7d", s)
	}
	return days + d, nil
}

// Rate is "N per sliding window": "20/1h" lets a verb start at most 20
// hosts of one cluster in any hour; "30%/10m" at most 30% of the
// cluster's size, rounded as a budget rounds (floor of pct × size, with
// integer arithmetic at 4 decimals) and raised to Floor (default 1, the
// verb's rate_floor), so a small cluster still gets maintained.
type Rate struct {
	N      int
	Window time.Duration
	// Pct is the percentage of a percentage rate (N is then unused);
	// IsPct tells a "0%" rate from a count.
	Pct   float64
	IsPct bool
	Floor int
}

// IsZero reports whether there is no rate limit.
func (r Rate) IsZero() bool { return r.Window == 0 }

func (r Rate) String() string {
	if r.IsPct {
		return fmt.Sprintf("%s%%/%s", strconv.FormatFloat(r.Pct, 'f', -1, 64), r.Window)
	}
	return fmt.Sprintf("%d/%s", r.N, r.Window)
}

// Limit is how many starts the rate allows in one window on a cluster
// of size hosts: N, or max(floor(pct × size), Floor).
func (r Rate) Limit(size int) int {
	if !r.IsPct {
		return r.N
	}
	return max(pctOf(r.Pct, size), r.Floor)
}

// Raw is floor(pct × size) of a percentage rate, before the floor.
func (r Rate) Raw(size int) int { return pctOf(r.Pct, size) }

// pctOf is floor(pct × n / 100) in integer arithmetic at 4 decimals.
func pctOf(pct float64, n int) int {
	ppm := int64(math.Round(pct * pctScale))
	return int(ppm * int64(n) / (100 * pctScale))
}

// ParseRate parses "N/DURATION" or "PCT%/DURATION" (floor 1).
func ParseRate(s string) (Rate, error) {
	n, w, ok := strings.Cut(s, "/")
	if !ok {
		return Rate{}, fmt.Errorf("%q: expected N/WINDOW or PCT%%/WINDOW, e.g. 20/1h or 30%%/10m", s)
	}
	win, err := ParseDuration(w)
	if err != nil || win <= 0 {
		return Rate{}, fmt.Errorf("%q: %q is not a positive duration", s, w)
	}
	if p, isPct := strings.CutSuffix(strings.TrimSpace(n), "%"); isPct {
		pct, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || validPct(pct) != nil {
			return Rate{}, fmt.Errorf("%q: %q is not a percentage between 0 and 100 with at most 4 decimals", s, n)
		}
		return Rate{Pct: pct, IsPct: true, Floor: 1, Window: win}, nil
	}
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || count < 0 {
		return Rate{}, fmt.Errorf("%q: %q is not a count or a percentage (30%%)", s, n)
	}
	return Rate{N: count, Window: win}, nil
}
