package actions

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Token names a dry-run plan: the audit entry that recorded it and the
// pass, ledger version, policy hash and seed it was computed from.
// `fleetq apply TOKEN` commits exactly that plan or refuses.
type Token struct {
	Audit  int64
	Pass   int64
	Ledger uint64
	Policy string // first 12 hex digits of the policy hash
	Seed   uint64
	// Seconds is the requested --duration in whole seconds (0: none),
	// written as a sixth part .d7200 only when set.
	Seconds uint64
}

// String renders a token: a17.p6.l12.3fa9c2e1b4d0.s42, and with a
// requested duration of 2h a17.p6.l12.3fa9c2e1b4d0.s42.d7200.
func (t Token) String() string {
	s := fmt.Sprintf("a%d.p%d.l%d.%s.s%d", t.Audit, t.Pass, t.Ledger, t.Policy, t.Seed)
	if t.Seconds > 0 {
		s += fmt.Sprintf(".d%d", t.Seconds)
	}
	return s
}

// ParseToken parses a token printed by String.
func ParseToken(s string) (Token, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) != 5 && len(parts) != 6 {
		return Token{}, fmt.Errorf("%w %q: expected a<audit>.p<pass>.l<ledger>.<policy>.s<seed>[.d<seconds>]", ErrBadToken, s)
	}
	var t Token
	var err error
	num := func(part, prefix string) uint64 {
		if err != nil {
			return 0
		}
		if !strings.HasPrefix(part, prefix) {
			err = fmt.Errorf("%w %q: %q should start with %q", ErrBadToken, s, part, prefix)
			return 0
		}
		n, e := strconv.ParseUint(part[len(prefix):], 10, 64)
		if e != nil {
			err = fmt.Errorf("%w %q: %q is not a number", ErrBadToken, s, part)
		}
		return n
	}
	t.Audit = int64(num(parts[0], "a"))
	t.Pass = int64(num(parts[1], "p"))
	t.Ledger = num(parts[2], "l")
	t.Policy = parts[3]
	t.Seed = num(parts[4], "s")
	if len(parts) == 6 {
		t.Seconds = num(parts[5], "d")
	}
	return t, err
}

func tokenOf(d *Decision, audit int64) Token {
	short := d.PolicyHash
	if len(short) > 12 {
		short = short[:12]
	}
	return Token{Audit: audit, Pass: d.Pass, Ledger: d.LedgerVersion, Policy: short, Seed: d.Seed,
		Seconds: uint64(time.Duration(d.Duration) / time.Second)}
}
