package ingest

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/fleetq/fleetq/internal/excerpt"
)

// ansYAMLBudget is how many group and host visits one YAML node may cost
// on average: aliases may repeat a group, but not make the walk
// exponential (a "billion laughs" document).
const ansYAMLBudget = 4

var ansYAMLLineRe = regexp.MustCompile(`line (\d+)`)

// ansYAML is the state of the YAML reader.
type ansYAML struct {
	file   string
	inv    *ansInventory
	budget int
}

// ansParseYAML reads a YAML inventory (the ansible-core yaml plugin
// layout): a mapping of group names to {hosts, children, vars}, where hosts
// maps host patterns to their vars and children maps group names to groups.
func ansParseYAML(file string, data []byte, maxExpand int) (*ansInventory, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 0
		if m := ansYAMLLineRe.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		return nil, srcErrorf(file, line, "invalid YAML: %v (expected %s)", err, ansExpected)
	}
	p := &ansYAML{file: file, inv: newAnsInventory(maxExpand), budget: 1024 + ansYAMLBudget*ansCountNodes(&doc)}
	p.inv.group("all").defined = true
	if len(doc.Content) == 0 {
		return p.inv, nil
	}
	root := ansDeref(doc.Content[0])
	if ansNull(root) {
		return p.inv, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, p.errf(root, "the document is a %s, not a mapping of group names", ansNodeKind(root))
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if err := p.group(root.Content[i].Value, root.Content[i+1], 0); err != nil {
			return nil, err
		}
	}
	return p.inv, nil
}

func (p *ansYAML) errf(n *yaml.Node, format string, args ...any) error {
	return srcLineError(p.file, n.Line, fmt.Sprintf(format, excerpt.Args(args)...)+" (expected "+ansExpected+")")
}

// group reads one group entry (a mapping with hosts, children and vars, or
// null for an empty group).
func (p *ansYAML) group(name string, n *yaml.Node, depth int) error {
	if p.budget--; p.budget < 0 || depth > 100 {
		return p.errf(n, "group nesting too deep, or aliases repeat groups too often")
	}
	g := p.inv.group(name)
	g.defined = true
	n = ansDeref(n)
	if ansNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "group %s is a %s, not a mapping with hosts, children or vars", name, ansNodeKind(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], ansDeref(n.Content[i+1])
		if ansNull(val) {
			continue
		}
		var err error
		switch key.Value {
		case "hosts":
			err = p.hosts(g, val)
		case "children":
			err = p.children(g, val, depth)
		case "vars":
			err = p.vars(g.vars, val, "vars of group "+name)
		default:
			p.inv.ignored = append(p.inv.ignored, fmt.Sprintf("line %d: ignored unexpected key %q in group %s", key.Line, key.Value, name))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (p *ansYAML) hosts(g *ansGroup, n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "hosts of group %s is a %s, not a mapping of host names", g.name, ansNodeKind(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if p.budget--; p.budget < 0 {
			return p.errf(n, "too many hosts")
		}
		names, port, err := p.inv.expand(p.file, n.Content[i].Line, n.Content[i].Value)
		if errors.Is(err, ErrTooManyExpansions) {
			return err
		}
		if err != nil {
			return p.errf(n.Content[i], "%v", err)
		}
		vars := map[string]any{}
		if port != "" {
			v, _ := strconv.ParseFloat(port, 64)
			vars["ansible_port"] = v
		}
		if val := ansDeref(n.Content[i+1]); !ansNull(val) {
			if err := p.vars(vars, val, "vars of host "+n.Content[i].Value); err != nil {
				return err
			}
		}
		for _, h := range names {
			p.inv.addHost(g, h, vars)
		}
	}
	return nil
}

func (p *ansYAML) children(g *ansGroup, n *yaml.Node, depth int) error {
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "children of group %s is a %s, not a mapping of group names", g.name, ansNodeKind(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		child := n.Content[i].Value
		if child == g.name {
			return p.errf(n.Content[i], "group %s lists itself as a child", child)
		}
		g.children = append(g.children, child)
		if err := p.group(child, n.Content[i+1], depth+1); err != nil {
			return err
		}
	}
	return nil
}

// vars reads a mapping of variables into m, keeping scalars typed.
func (p *ansYAML) vars(m map[string]any, n *yaml.Node, what string) error {
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "%s is a %s, not a mapping", what, ansNodeKind(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		p.inv.setVar(m, n.Content[i].Value, ansScalar(ansDeref(n.Content[i+1])))
	}
	return nil
}

// ansScalar converts a YAML node into string, float64, bool or nil;
// sequences and mappings come back as the node (a complex value).
func ansScalar(n *yaml.Node) any {
	if n.Kind != yaml.ScalarNode {
		return n
	}
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int", "!!float":
		var f float64
		if n.Decode(&f) == nil {
			return f
		}
	}
	return n.Value
}

// ansCountNodes counts the nodes of a document without following aliases.
func ansCountNodes(n *yaml.Node) int {
	count := 1
	for _, c := range n.Content {
		count += ansCountNodes(c)
	}
	return count
}

func ansDeref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func ansNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func ansNodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.ScalarNode:
		return "scalar " + strconv.Quote(n.Value)
	}
	return "node"
}
