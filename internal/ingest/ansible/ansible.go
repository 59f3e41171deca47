// Package ansible reads Ansible inventories (kind "ansible"): INI, YAML,
// and the JSON of `ansible-inventory --list`, with host ranges expanded
// and variables resolved by Ansible's precedence.
package ansible

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/fleetq/fleetq/internal/excerpt"
	"github.com/fleetq/fleetq/internal/hostkey"
	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/store"
)

const expected = "an Ansible INI or YAML inventory, or `ansible-inventory --list` JSON"

// Parse reads an Ansible inventory (kind "ansible", host set
// "ansible"): INI, YAML, or the JSON of `ansible-inventory --list` (with or
// without --export). JSON is recognised by a leading '{', YAML by a first
// line of the form `key:`, anything else is INI.
//
// Hosts: every host the inventory names, host ranges expanded the way
// Ansible does (www[01:50].example.com, db-[a:f].example.com, with an
// optional :step); host keys are trimmed and lower-cased. A `host:port`
// sets ansible_port. ansible_host is also an alternative identity.
//
// Sets: one named set per group, inherited (a host of a child group is in
// every ancestor group). Names keep the group name, with characters outside
// [A-Za-z0-9_.-] replaced by '_'. `all` is not emitted (fleetq reserves
// it); `ungrouped` holds the hosts in no other group and is emitted only
// when non-empty; other empty groups exist as empty sets.
//
// Attributes: the variables that apply to each host, resolved with
// Ansible's precedence: `all` vars, then group vars by group depth (parents
// before children), then ansible_group_priority, then group name, then host
// vars. YAML and JSON scalars keep their type (integers become numbers;
// YAML timestamps stay strings as written). INI values are typed by
// fleetq's rule, not Python's literal_eval: true/false (any case) become
// bools, decimal numbers without leading zeros become numbers, quoted
// values stay strings. Lists, maps and nulls are skipped; complex values
// are counted in a Warn line. An attribute with different types on
// different hosts becomes a string attribute.
//
// Simplifications (documented): a group named in `:children` but never
// defined is kept as an empty group with a Warn line, where ansible-core
// refuses the whole file; vars plugins, group_vars/ directories and Jinja
// templates are not evaluated.
//
// Malformed input is a *source.LineError. An inventory without hosts returns the
// SourceData together with an error wrapping source.ErrEmpty (--allow-empty).
//
// The host ranges of the file expand to at most maxExpansions names, all
// patterns together (ingest --max-expansions); more is a
// source.ErrTooManyExpansions error.
func Parse(file string, data []byte, maxExpansions int) (*store.SourceData, error) {
	if line, what := source.CheckText(data); line > 0 {
		return nil, source.Errorf(file, line, "%s (expected %s)", what, expected)
	}
	data = bytes.TrimPrefix(data, source.BOM)
	var inv *inventory
	var err error
	switch {
	case bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("@all:")):
		return nil, source.Errorf(file, 1, "this is `ansible-inventory --graph` output, which drops types and nesting (expected %s; use --list)", expected)
	case bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")):
		inv, err = parseJSON(file, data)
	case isYAML(data):
		inv, err = parseYAML(file, data, maxExpansions)
	default:
		inv, err = parseINI(file, data, maxExpansions)
	}
	if err != nil {
		return nil, err
	}
	src, err := inv.build(file, data)
	if err != nil {
		return nil, err
	}
	if len(src.Hosts) == 0 {
		return src, fmt.Errorf("%s: %w (expected %s that names at least one host)", file, source.ErrEmpty, expected)
	}
	return src, nil
}

// Looks reports whether head (source.Head) looks like an Ansible inventory:
// --list JSON (a _meta key, or an all group), a YAML mapping of groups with
// hosts/children/vars, or INI with [group] sections that parses.
func Looks(head []byte) bool {
	if line, _ := source.CheckText(head); line > 0 {
		return false
	}
	if bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n"), []byte("{")) {
		var top map[string]json.RawMessage
		if json.Unmarshal(head, &top) != nil {
			return false
		}
		_, meta := top["_meta"]
		var all struct{ Children, Hosts []string }
		return meta || json.Unmarshal(top["all"], &all) == nil && (all.Children != nil || all.Hosts != nil)
	}
	if isYAML(head) {
		return looksLikeYAML(head)
	}
	if !sectionRe().Match(head) {
		return false
	}
	_, err := parseINI("", head, sniffExpansions)
	return err == nil || errors.Is(err, source.ErrTooManyExpansions)
}

// sniffExpansions bounds the expansions of a sniff: a file of range
// patterns is taken for an inventory as soon as they are many, and the
// parse then applies the real bound.
const sniffExpansions = 10_000

var (
	yamlKeyRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[^\s\[#;{][^=]*:(\s|$)`) })
	sectionRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^\s*\[[^:\]\s]+(:\w+)?\]\s*(#.*)?$`) })
)

// isYAML reports whether the first significant line is a YAML key
// (`all:`) or a document marker.
func isYAML(data []byte) bool {
	for _, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' || t[0] == ';' {
			continue
		}
		return t == "---" || yamlKeyRe().MatchString(t)
	}
	return false
}

func looksLikeYAML(data []byte) bool {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return false
	}
	root := doc.Content[0]
	for i := 1; i < len(root.Content); i += 2 {
		g := root.Content[i]
		if g.Kind == yaml.ScalarNode && g.Tag == "!!null" {
			continue
		}
		if g.Kind != yaml.MappingNode {
			return false
		}
		for k := 0; k < len(g.Content); k += 2 {
			switch g.Content[k].Value {
			case "hosts", "children", "vars":
				return true
			}
		}
	}
	return false
}

// inventory is the format-independent inventory: groups with direct
// hosts, children and vars, and hosts with their own vars.
type inventory struct {
	groups    map[string]*group
	groupList []string
	hosts     map[string]*host
	hostList  []string
	records   int
	expanded  int            // names the host ranges of the file expanded to
	maxExpand int            // the bound on expanded (Limits.Expansions)
	complex   map[string]int // skipped complex values per var name
	ignored   []string       // Warn lines from the format parsers
}

type group struct {
	name     string
	hosts    []string
	children []string
	vars     map[string]any
	defined  bool
}

type host struct {
	vars map[string]any
}

func newInventory(maxExpand int) *inventory {
	return &inventory{groups: map[string]*group{}, hosts: map[string]*host{}, complex: map[string]int{}, maxExpand: maxExpand}
}

// expand expands a host pattern (hostPattern), charging the names of a
// range pattern against the file's bound: each pattern is bounded by
// maxRange, but thirty of them in a 414-byte file made three million
// hosts. The bound is an source.ErrTooManyExpansions *source.LineError at line.
func (inv *inventory) expand(file string, line int, pattern string) ([]string, string, error) {
	hosts, port, err := hostPattern(pattern)
	if err != nil || !strings.Contains(pattern, "[") {
		return hosts, port, err
	}
	if inv.expanded += len(hosts); inv.expanded > inv.maxExpand {
		what := fmt.Sprintf("the host ranges of the file expand to more than %d names (at %s)", inv.maxExpand, excerpt.Quote(pattern))
		return nil, "", source.BoundError(file, line, source.ErrTooManyExpansions, what, int64(inv.maxExpand), "--max-expansions")
	}
	return hosts, port, nil
}

func (inv *inventory) group(name string) *group {
	g := inv.groups[name]
	if g == nil {
		g = &group{name: name, vars: map[string]any{}}
		inv.groups[name] = g
		inv.groupList = append(inv.groupList, name)
	}
	return g
}

// host adds (or finds) a host by normalised name; "" for an empty name.
func (inv *inventory) host(name string) string {
	key := hostkey.Normalize(name)
	if key == "" {
		return ""
	}
	inv.records++
	if inv.hosts[key] == nil {
		inv.hosts[key] = &host{} // vars made by setHostVars: most hosts have none
		inv.hostList = append(inv.hostList, key)
	}
	return key
}

// addHost puts a host (by name) into group g, with vars.
func (inv *inventory) addHost(g *group, name string, vars map[string]any) {
	key := inv.host(name)
	if key == "" {
		return
	}
	g.hosts = append(g.hosts, key)
	inv.setHostVars(key, vars)
}

// setHostVars sets vars of the host key, making its map on first use.
func (inv *inventory) setHostVars(key string, vars map[string]any) {
	h := inv.hosts[key]
	if h.vars == nil && len(vars) > 0 {
		h.vars = make(map[string]any, len(vars))
	}
	for k, v := range vars {
		inv.setVar(h.vars, k, v)
	}
}

// setVar stores a scalar (string, float64, bool); nil removes nothing and
// complex values are counted.
func (inv *inventory) setVar(m map[string]any, name string, v any) {
	switch v := v.(type) {
	case string, float64, bool:
		m[name] = v
	case nil:
	case int:
		m[name] = float64(v)
	default:
		inv.complex[name]++
	}
}

// build resolves membership and variable precedence into a SourceData.
func (inv *inventory) build(file string, data []byte) (*store.SourceData, error) {
	depth, err := inv.depths(file)
	if err != nil {
		return nil, err
	}
	members := inv.members()
	b := source.NewBuilder("ansible", "ansible")
	idx := make(map[string]int, len(inv.hostList))
	for _, h := range inv.hostList {
		alt, _ := inv.hosts[h].vars["ansible_host"].(string)
		idx[h] = b.Host(h, alt)
	}
	b.Records(inv.records)
	hostGroups := inv.emitSets(b, members, idx)
	var vals source.Values
	for _, h := range inv.hostList {
		for name, v := range inv.resolveVars(h, hostGroups[h], depth) {
			if n := source.AttrName(name); n != "" {
				vals.Set(idx[h], n, v)
			}
		}
	}
	vals.Emit(b)
	inv.warn(b)
	return b.Finish(file, data)
}

// depths gives each group Ansible's depth: all is 0, a group is one deeper
// than its deepest parent, top-level groups are 1. A :children loop is an
// error, as in Ansible.
func (inv *inventory) depths(file string) (map[string]int, error) {
	parents := map[string][]string{}
	for _, g := range inv.groupList {
		for _, c := range inv.groups[g].children {
			parents[c] = append(parents[c], g)
		}
	}
	depth := map[string]int{"all": 0}
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(g string) error
	visit = func(g string) error {
		if state[g] == 2 || g == "all" {
			return nil
		}
		if state[g] == 1 {
			return source.Errorf(file, 0, "group %s is its own ancestor (a children loop)", g)
		}
		state[g] = 1
		d := 1
		for _, p := range parents[g] {
			if err := visit(p); err != nil {
				return err
			}
			d = max(d, depth[p]+1)
		}
		depth[g], state[g] = d, 2
		return nil
	}
	for _, g := range inv.groupList {
		if err := visit(g); err != nil {
			return nil, err
		}
	}
	return depth, nil
}

// members lists every group's hosts, children's hosts included.
func (inv *inventory) members() map[string]map[string]bool {
	out := map[string]map[string]bool{}
	var visit func(g string) map[string]bool
	visit = func(g string) map[string]bool {
		if m, ok := out[g]; ok {
			return m
		}
		m := map[string]bool{}
		out[g] = m // loops were rejected by depths
		grp := inv.groups[g]
		for _, h := range grp.hosts {
			m[h] = true
		}
		for _, c := range grp.children {
			for h := range visit(c) {
				m[h] = true
			}
		}
		return m
	}
	for _, g := range inv.groupList {
		visit(g)
	}
	return out
}

// emitSets adds one set per group and returns each host's groups.
func (inv *inventory) emitSets(b *source.Builder, members map[string]map[string]bool, idx map[string]int) map[string][]string {
	hostGroups := map[string][]string{}
	names := append([]string(nil), inv.groupList...)
	sort.Strings(names)
	for _, g := range names {
		if g == "all" || g == "ungrouped" {
			continue
		}
		set := source.AttrName(g)
		b.DeclareSet(set)
		for h := range members[g] {
			b.AddToSet(set, idx[h])
			hostGroups[h] = append(hostGroups[h], g)
		}
	}
	for _, h := range inv.hostList {
		if len(hostGroups[h]) == 0 {
			b.AddToSet("ungrouped", idx[h])
		}
	}
	return hostGroups
}

// resolveVars applies all vars, then group vars by (depth, priority, name),
// then host vars.
func (inv *inventory) resolveVars(h string, groups []string, depth map[string]int) map[string]any {
	prio := func(g string) float64 {
		if p, ok := inv.groups[g].vars["ansible_group_priority"].(float64); ok {
			return p
		}
		return 1
	}
	sorted := append([]string(nil), groups...)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if depth[a] != depth[b] {
			return depth[a] < depth[b]
		}
		if prio(a) != prio(b) {
			return prio(a) < prio(b)
		}
		return a < b
	})
	out := map[string]any{}
	if all := inv.groups["all"]; all != nil {
		for k, v := range all.vars {
			out[k] = v
		}
	}
	for _, g := range sorted {
		for k, v := range inv.groups[g].vars {
			out[k] = v
		}
	}
	for k, v := range inv.hosts[h].vars {
		out[k] = v
	}
	return out
}

func (inv *inventory) warn(b *source.Builder) {
	var undefined []string
	for _, g := range inv.groupList {
		if !inv.groups[g].defined && g != "all" && g != "ungrouped" {
			undefined = append(undefined, g)
		}
	}
	sort.Strings(undefined)
	if len(undefined) > 0 {
		b.Warn(fmt.Sprintf("%s named as children but never defined, kept empty (ansible-core rejects such an INI file): %s",
			source.Plural(len(undefined), "group"), strings.Join(undefined, ", ")))
	}
	if len(inv.complex) > 0 {
		names, n := make([]string, 0, len(inv.complex)), 0
		for k, c := range inv.complex {
			names = append(names, k)
			n += c
		}
		sort.Strings(names)
		b.Warn(fmt.Sprintf("skipped %s (lists or maps) of %s", source.Plural(n, "complex value"), strings.Join(names, ", ")))
	}
	for _, w := range inv.ignored {
		b.Warn(w)
	}
}
