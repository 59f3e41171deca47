package collect

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
)

// keyTypes is what each key of a sources file holds, as an error for a
// value of another type says it.
var keyTypes = map[string]string{
	"name":            `a string, name = "hdfs"`,
	"kind":            `a string, kind = "hdfs"`,
	"path":            `a string, path = "cmdb/inventory.csv"`,
	"command":         `a list of strings, command = ["hdfs", "dfsadmin", "-report"], run without a shell`,
	"dir":             `a string, dir = "/var/lib/fleetq"`,
	"env":             `a table of strings, env = { HADOOP_USER_NAME = "hdfs" }`,
	"url":             `a string, url = "http://prometheus:9090"`,
	"query":           `a string, query = "up"`,
	"queries":         `a list of strings, queries = ["up", "node_uname_info"]`,
	"headers":         `a table of strings, headers = { Accept = "application/json" }`,
	"token_file":      `a string, token_file = "netbox.token"`,
	"token_env":       `a string, token_env = "NETBOX_TOKEN"`,
	"token_scheme":    `a string, token_scheme = "Token"`,
	"ca_file":         `a string, ca_file = "ca.pem"`,
	"tls_skip_verify": `true or false`,
	"timeout":         `a duration in quotes, timeout = "10s"`,
	"allow_empty":     `true or false`,
}

// stringTable is a TOML table of strings (env, headers). The decoder
// drops a value of another type for a map without a word (env =
// "A=1" would run the command without A), so the value is taken here
// and what was found instead is kept for the error.
type stringTable struct {
	m     map[string]string
	found string // the type of a value that is not a table of strings
}

// UnmarshalTOML implements toml.Unmarshaler; it never fails, so that
// the error can name the source's own line (see Parse).
func (t *stringTable) UnmarshalTOML(v any) error {
	tab, ok := v.(map[string]any)
	if !ok {
		t.found = tomlTypeName(v)
		return nil
	}
	t.m = make(map[string]string, len(tab))
	for k, val := range tab {
		s, ok := val.(string)
		if !ok {
			t.found = fmt.Sprintf("%s = %s", k, tomlTypeName(val))
			return nil
		}
		t.m[k] = s
	}
	return nil
}

// set says whether the file gave the key at all.
func (t stringTable) set() bool { return t.m != nil || t.found != "" }

var mismatch = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\(last key "([^"]*)"\): incompatible types: TOML value has type ([^;]+);`)
})

// typeMismatch reads the decoder's error for a value of the wrong type:
// the key path's last key and the type found, in words.
func typeMismatch(err error) (key, found string, ok bool) {
	m := mismatch().FindStringSubmatch(err.Error())
	if m == nil {
		return "", "", false
	}
	path := strings.Split(m[1], ".")
	return path[len(path)-1], goTypeName(m[2]), true
}

// sourceTypeErr is the error for the i-th [[source]]'s value of the
// wrong type, at the key's line in that source.
func (p *parser) sourceTypeErr(md toml.MetaData, i int, prim toml.Primitive, err error) error {
	key, found, ok := typeMismatch(err)
	if !ok {
		return p.decodeErr(err)
	}
	line := p.idx.key(i, key)
	if line == 0 {
		line = p.idx.sourceLine(i)
	}
	// The decoder stops at the first wrong value, in no fixed order: the
	// name is decoded on its own.
	var named struct {
		Name string `toml:"name"`
	}
	who := "[[source]]"
	if md.PrimitiveDecode(prim, &named) == nil && named.Name != "" {
		who = "source " + named.Name
	}
	want, known := keyTypes[key]
	if !known {
		return p.decodeErr(err)
	}
	return p.errf(line, "%s: %s: expected %s (found %s)", who, key, want, found)
}

// tomlTypeName is a decoded TOML value's type in words.
func tomlTypeName(v any) string {
	return goTypeName(fmt.Sprintf("%T", v))
}

// goTypeName turns the Go type the decoder names into TOML's words.
func goTypeName(t string) string {
	switch {
	case t == "string":
		return "a string"
	case t == "int64":
		return "an integer"
	case t == "float64":
		return "a number"
	case t == "bool":
		return "a boolean"
	case strings.HasPrefix(t, "[]map["):
		return "an array of tables"
	case strings.HasPrefix(t, "["):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a table"
	case strings.Contains(t, "time.") || strings.Contains(t, "toml.Local"):
		return "a date or time"
	}
	return t
}
