package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// The file names of `fleetq week export` (docs/windows.md, "Telling
// customers"). A customer's files are DIR/BASE.csv and DIR/BASE.ics:
//
//   - BASE is the customer's name as it is when the name is plain: 1 to
//     64 of A-Z a-z 0-9 . _ -, starting with a letter or digit, and no
//     other customer's name in the pass is the same but for case (a
//     case-insensitive file system would make them one file);
//   - otherwise BASE is the name with every other character as '_', a
//     leading '.' or '-' as '_', cut to 40 octets, then '~' and the first
//     12 hex digits of the name's sha256: "../x" is "_._x~" + hash. A
//     plain name holds no '~', so no plain name is ever a hashed one, and
//     two names that clean to the same text differ in their hash;
//   - names starting with '_' are fleetq's own: _unassigned (the hosts
//     with no customer value) and _index.csv. A plain name starts with a
//     letter or digit, so no customer takes them.
//
// No BASE holds '/', '\', NUL, a control character, or starts with '.',
// so none leaves DIR or hides in it.

// unassignedBase is the files of the hosts without a customer.
const unassignedBase = "_unassigned"

// indexFile lists every customer's files and counts.
const indexFile = "_index.csv"

var plainCustomer = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`) })

// customerBases maps each customer name ("" is unassigned) to its BASE,
// in the order of names. Case twins are looked for among all (every
// customer of the pass, so that a week with only one of two twins names
// it as the next week does). Two BASEs equal but for case is an error (a
// hash collision: never seen, but checked rather than overwritten).
func customerBases(names, all []string) ([]string, error) {
	folded := map[string]map[string]bool{}
	for _, l := range [][]string{all, names} {
		for _, n := range l {
			k := strings.ToLower(n)
			if folded[k] == nil {
				folded[k] = map[string]bool{}
			}
			folded[k][n] = true
		}
	}
	out := make([]string, len(names))
	seen := map[string]string{}
	for i, n := range names {
		out[i] = customerBase(n, len(folded[strings.ToLower(n)]) > 1)
		key := strings.ToLower(out[i])
		if other, dup := seen[key]; dup {
			return nil, fmt.Errorf("customers %q and %q would share the file name %s", other, n, out[i])
		}
		seen[key] = n
	}
	return out, nil
}

// customerBase is one customer's BASE; caseTwin says another customer's
// name is the same but for case.
func customerBase(name string, caseTwin bool) string {
	switch {
	case name == "":
		return unassignedBase
	case plainCustomer().MatchString(name) && !caseTwin:
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return cleanName(name) + "~" + hex.EncodeToString(sum[:6])
}

// cleanName is name with each character outside A-Z a-z 0-9 . _ - as
// '_', a leading '.' or '-' as '_', cut to 40 octets.
func cleanName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if b.Len() == 40 {
			break
		}
		ok := r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
		if !ok || b.Len() == 0 && (r == '.' || r == '-') {
			r = '_'
		}
		b.WriteRune(r)
	}
	return b.String()
}
