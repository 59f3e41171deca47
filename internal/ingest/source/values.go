package source

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// AttrName maps s to an attribute name: letters, digits, '_', '.' and
// '-' are kept, every other byte becomes '_'.
func AttrName(s string) string {
	out := []byte(s)
	for i := 0; i < len(out); i++ {
		c := out[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
		if !ok {
			out[i] = '_'
		}
	}
	return string(out)
}

var validName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_]([A-Za-z0-9_.\-]*[A-Za-z0-9_])?$`) })

// ValidName reports whether s can be written as a set or attribute name
// in the query language.
func ValidName(s string) bool { return validName().MatchString(s) }

// ValidSetName reports whether s can name a set a source gives (a host
// list's file name): a valid name, not "all", and not MANIFEST in any case,
// the name of the file export writes beside the set files.
func ValidSetName(s string) bool {
	return ValidName(s) && s != "all" && !strings.EqualFold(s, "MANIFEST")
}

var numberRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[-+]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)
})

// TextValue types a value written as text (an Ansible INI value, a NetBox
// CSV custom field) by fleetq's rule: "x"/'x' stay strings (unquoted),
// true/false (any case) are bools, plain decimal numbers without leading
// zeros are numbers, anything else is the string as written.
func TextValue(v string) any {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	switch strings.ToLower(v) {
	case "true":
		return true
	case "false":
		return false
	}
	if numberRe().MatchString(v) {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	}
	return v
}

// Values collects scalar attribute values (string, float64 or bool) per
// host and types each attribute once all hosts are read: an attribute whose
// values all have one type gets that type; mixed types become strings, so
// the result never depends on which host came first.
type Values struct {
	vals map[string]map[int]any
}

// Set records the value of attribute name for host index host.
func (t *Values) Set(host int, name string, v any) {
	if t.vals == nil {
		t.vals = map[string]map[int]any{}
	}
	m := t.vals[name]
	if m == nil {
		m = map[int]any{}
		t.vals[name] = m
	}
	m[host] = v
}

// Emit writes every attribute into b, in name order.
func (t *Values) Emit(b *Builder) {
	names := make([]string, 0, len(t.vals))
	for n := range t.vals {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		hosts := t.vals[name]
		ids := make([]int, 0, len(hosts))
		for h := range hosts {
			ids = append(ids, h)
		}
		sort.Ints(ids)
		kind := valuesKind(hosts)
		for _, h := range ids {
			switch v := hosts[h]; kind {
			case "bool":
				b.SetBool(h, name, v.(bool))
			case "number":
				b.SetNumber(h, name, v.(float64))
			default:
				b.SetString(h, name, Format(v))
			}
		}
	}
}

func valuesKind(hosts map[int]any) string {
	kind := ""
	for _, v := range hosts {
		k := "string"
		switch v.(type) {
		case bool:
			k = "bool"
		case float64:
			k = "number"
		}
		if kind != "" && kind != k {
			return "string"
		}
		kind = k
	}
	return kind
}

// Format renders a scalar as the string attribute value.
func Format(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

// Plural is "1 thing" or "2 things".
func Plural(n int, what string) string {
	if n == 1 || strings.HasSuffix(what, "s") {
		return fmt.Sprintf("%d %s", n, what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
