package policy

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
)

// Loc is where a key of a policy is written.
type Loc struct {
	File string
	Line int // 0: not found (a default, or inside an inline table)
}

func (l Loc) String() string {
	if l.Line == 0 {
		return l.File
	}
	return l.File + ":" + strconv.Itoa(l.Line)
}

// merged is the TOML tree of every file of a policy, merged, with the
// file and line of each key (by its path: "cluster.x.drain.pct",
// "archetype[2].clusters").
type merged struct {
	tree   map[string]any
	origin map[string]Loc
	// inline holds the paths written as `key = { … }`: one value, so
	// a second file setting any of it is a conflict, not a merge.
	inline map[string]bool
	// fileInline reports whether a path of the file being merged is
	// written inline.
	fileInline func(local string) bool
}

// mergeFiles merges the files in order. Tables merge key by key; arrays
// of tables ([[x]], x = [{…}]) concatenate in file order; any other key
// set by two files is a conflict naming both. The keys of a
// DIR/ROLE/CLUSTER.toml file are those of [cluster."CLUSTER"].
func mergeFiles(files []srcFile) (*merged, error) {
	m := &merged{tree: map[string]any{}, origin: map[string]Loc{}, inline: map[string]bool{}}
	for _, f := range files {
		tree := map[string]any{}
		if _, err := toml.NewDecoder(bytes.NewReader(f.Text)).Decode(&tree); err != nil {
			return nil, fmt.Errorf("%s: %w: %v", f.Name, ErrInvalid, err)
		}
		lines, inline := lineIndex(string(f.Text))
		var base []string
		if c := f.Cluster(); c != "" {
			tree = map[string]any{"cluster": map[string]any{c: tree}}
			base = []string{"cluster", c}
		}
		src := func(local string) Loc { return Loc{f.Name, lookupLine(lines, local)} }
		m.fileInline = func(local string) bool { return inline[local] }
		if err := m.mergeTable(m.tree, tree, nil, len(base), src); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// mergeTable merges src into dst at path; skip is how many leading
// elements of path the file does not spell (a cluster file's
// cluster.NAME).
func (m *merged) mergeTable(dst, src map[string]any, at []string, skip int, loc func(string) Loc) error {
	for _, k := range slices.Sorted(maps.Keys(src)) {
		p := append(slices.Clip(at), k)
		if err := m.mergeKey(dst, k, src[k], p, skip, loc); err != nil {
			return err
		}
	}
	return nil
}

func (m *merged) mergeKey(dst map[string]any, k string, v any, p []string, skip int, loc func(string) Loc) error {
	local := func(p []string) string { return keyPath(p[min(skip, len(p)):]) }
	old, exists := dst[k]
	if !exists {
		dst[k] = v
		m.record(v, p, local, loc)
		return nil
	}
	ot, ok1 := old.(map[string]any)
	nt, ok2 := v.(map[string]any)
	if ok1 && ok2 && !m.inline[keyPath(p)] && !m.fileInline(local(p)) {
		return m.mergeTable(ot, nt, p, skip, loc)
	}
	oa, ok1 := tableArray(old)
	na, ok2 := tableArray(v)
	if ok1 && ok2 {
		start := len(oa)
		dst[k] = append(oa, na...)
		for i, e := range na {
			m.recordElem(e, p, start+i, i, skip, local, loc)
		}
		return nil
	}
	prev, here := m.origin[keyPath(p)], loc(local(p))
	return fmt.Errorf("%w: %s is set twice, in %s and in %s (a key is set by one file only; see docs/actions.md, policy directory)",
		ErrInvalid, keyPath(p), prev, here)
}

// record notes where v and every key below it are written.
func (m *merged) record(v any, p []string, local func([]string) string, loc func(string) Loc) {
	m.origin[keyPath(p)] = loc(local(p))
	if m.fileInline != nil && m.fileInline(local(p)) {
		m.inline[keyPath(p)] = true
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			m.record(e, append(slices.Clip(p), k), local, loc)
		}
	default:
		if arr, ok := tableArray(v); ok {
			for i, e := range arr {
				m.origin[keyPath(p)+"["+strconv.Itoa(i)+"]"] = loc(local(p) + "[" + strconv.Itoa(i) + "]")
				for k, ev := range e {
					q := append(slices.Clip(p), "["+strconv.Itoa(i)+"]", k)
					m.record(ev, q, local, loc)
				}
			}
		}
	}
}

// recordElem notes where element i of an appended array (element j of
// its file) is written.
func (m *merged) recordElem(e map[string]any, p []string, i, j, skip int, local func([]string) string, loc func(string) Loc) {
	elem := "[" + strconv.Itoa(i) + "]"
	fileElem := "[" + strconv.Itoa(j) + "]"
	m.origin[keyPath(p)+elem] = loc(local(p) + fileElem)
	for k, ev := range e {
		q := append(slices.Clip(p), fileElem, k)
		lq := local(q)
		m.recordSub(ev, keyPath(append(slices.Clip(p), elem, k)), lq, loc)
	}
}

// recordSub records v under merged path mp, written at local path lp.
func (m *merged) recordSub(v any, mp, lp string, loc func(string) Loc) {
	m.origin[mp] = loc(lp)
	if m.fileInline(lp) {
		m.inline[mp] = true
	}
	if t, ok := v.(map[string]any); ok {
		for k, e := range t {
			m.recordSub(e, mp+"."+k, lp+"."+k, loc)
		}
	}
}

// tableArray returns v as an array of tables.
func tableArray(v any) ([]map[string]any, bool) {
	switch x := v.(type) {
	case []map[string]any:
		return x, true
	case []any:
		out := make([]map[string]any, len(x))
		for i, e := range x {
			t, ok := e.(map[string]any)
			if !ok {
				return nil, false
			}
			out[i] = t
		}
		return out, len(x) > 0
	}
	return nil, false
}

// keyPath joins a key path: a.b.c, with array indexes as a[0].b.
func keyPath(p []string) string {
	var b strings.Builder
	for i, k := range p {
		if i > 0 && !strings.HasPrefix(k, "[") {
			b.WriteByte('.')
		}
		b.WriteString(k)
	}
	return b.String()
}

// build encodes the merged tree as one TOML text and parses it as a
// single file would be; errors are mapped back to the file and line
// of the key they name.
func (m *merged) build() (*Policy, error) {
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(m.tree); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	p, err := parseText(b.Bytes())
	if err != nil {
		return nil, m.locateErr(err)
	}
	return p, nil
}

func (m *merged) locateErr(err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) && pe.LastKey != "" {
		return fmt.Errorf("%s: %w: %s: %s", m.Locate(pe.LastKey), ErrInvalid, pe.LastKey, pe.Message)
	}
	var ke *keyError
	if errors.As(err, &ke) {
		if ke.bare {
			return fmt.Errorf("%s: %w", m.Locate(ke.path), err)
		}
		return fmt.Errorf("%s: %w: %s", m.Locate(ke.path), ErrInvalid, ke)
	}
	var uk *unknownKeys
	if errors.As(err, &uk) {
		locs := make([]string, len(uk.keys))
		for i, k := range uk.keys {
			locs[i] = m.Locate(k).String() + ": " + k
		}
		return fmt.Errorf("%w: unknown key %s", ErrInvalid, strings.Join(locs, ", "))
	}
	return err
}

// Locate returns where the key at path p (or its nearest enclosing
// table) is written.
func (m *merged) Locate(p string) Loc {
	if l, ok := m.unindexed(p); ok {
		return l
	}
	for {
		if l, ok := m.origin[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i <= 0 {
			return Loc{}
		}
		p = p[:i]
	}
}

var arrayIndex = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\[[0-9]+\]`) })

// unindexed finds a key that the decoder names without its array index
// ("archetype.clusters"): the first path that matches without indexes.
func (m *merged) unindexed(p string) (Loc, bool) {
	if _, ok := m.origin[p]; ok || strings.Contains(p, "[") {
		return m.origin[p], ok
	}
	for _, k := range slices.Sorted(maps.Keys(m.origin)) {
		if strings.Contains(k, "[") && arrayIndex().ReplaceAllString(k, "") == p {
			return m.origin[k], true
		}
	}
	return Loc{}, false
}

// exact returns where the key at p is written, or no Loc when no file
// sets it (it has its default).
func (m *merged) exact(p string) Loc { return m.origin[p] }
