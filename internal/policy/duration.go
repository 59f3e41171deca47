package policy

import (
	"fmt"
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
// hosts of one cluster in any hour.
type Rate struct {
	N      int
	Window time.Duration
}

// IsZero reports whether there is no rate limit.
func (r Rate) IsZero() bool { return r.Window == 0 }

func (r Rate) String() string {
	return fmt.Sprintf("%d/%s", r.N, r.Window)
}

// ParseRate parses "N/DURATION".
func ParseRate(s string) (Rate, error) {
	n, w, ok := strings.Cut(s, "/")
	if !ok {
		return Rate{}, fmt.Errorf("%q: expected N/WINDOW, e.g. 20/1h", s)
	}
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || count < 0 {
		return Rate{}, fmt.Errorf("%q: %q is not a count", s, n)
	}
	win, err := ParseDuration(w)
	if err != nil || win <= 0 {
		return Rate{}, fmt.Errorf("%q: %q is not a positive duration", s, w)
	}
	return Rate{N: count, Window: win}, nil
}
