package ansible

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/fleetq/fleetq/internal/excerpt"
	"github.com/fleetq/fleetq/internal/ingest/source"
)

// yamlBudget is how many group and host visits one YAML node may cost
// on average: aliases may repeat a group, but not make the walk
// exponential (a "billion laughs" document).
const yamlBudget = 4

var yamlLineRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`line (\d+)`) })

// yamlReader is the state of the YAML reader.
type yamlReader struct {
	file   string
	inv    *inventory
	budget int
}

// parseYAML reads a YAML inventory (the ansible-core yaml plugin
// layout): a mapping of group names to {hosts, children, vars}, where hosts
// maps host patterns to their vars and children maps group names to groups.
func parseYAML(file string, data []byte, maxExpand int) (*inventory, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 0
		if m := yamlLineRe().FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		return nil, source.Errorf(file, line, "invalid YAML: %v (expected %s)", err, expected)
	}
	p := &yamlReader{file: file, inv: newInventory(maxExpand), budget: 1024 + yamlBudget*countNodes(&doc)}
	p.inv.group("all").defined = true
	if len(doc.Content) == 0 {
		return p.inv, nil
	}
	root := deref(doc.Content[0])
	if isNull(root) {
		return p.inv, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, p.errf(root, "the document is a %s, not a mapping of group names", nodeKind(root))
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if err := p.group(root.Content[i].Value, root.Content[i+1], 0); err != nil {
			return nil, err
		}
	}
	return p.inv, nil
}

func (p *yamlReader) errf(n *yaml.Node, format string, args ...any) error {
	return source.NewLineError(p.file, n.Line, fmt.Sprintf(format, excerpt.Args(args)...)+" (expected "+expected+")")
}

// group reads one group entry (a mapping with hosts, children and vars, or
// null for an empty group).
func (p *yamlReader) group(name string, n *yaml.Node, depth int) error {
	if p.budget--; p.budget < 0 || depth > 100 {
		return p.errf(n, "group nesting too deep, or aliases repeat groups too often")
	}
	g := p.inv.group(name)
	g.defined = true
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "group %s is a %s, not a mapping with hosts, children or vars", name, nodeKind(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], deref(n.Content[i+1])
		if isNull(val) {
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

func (p *yamlReader) hosts(g *group, n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "hosts of group %s is a %s, not a mapping of host names", g.name, nodeKind(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if p.budget--; p.budget < 0 {
			return p.errf(n, "too many hosts")
		}
		names, port, err := p.inv.expand(p.file, n.Content[i].Line, n.Content[i].Value)
		if errors.Is(err, source.ErrTooManyExpansions) {
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
		if val := deref(n.Content[i+1]); !isNull(val) {
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

func (p *yamlReader) children(g *group, n *yaml.Node, depth int) error {
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "children of group %s is a %s, not a mapping of group names", g.name, nodeKind(n))
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
func (p *yamlReader) vars(m map[string]any, n *yaml.Node, what string) error {
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "%s is a %s, not a mapping", what, nodeKind(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		p.inv.setVar(m, n.Content[i].Value, scalar(deref(n.Content[i+1])))
	}
	return nil
}

// scalar converts a YAML node into string, float64, bool or nil;
// sequences and mappings come back as the node (a complex value).
func scalar(n *yaml.Node) any {
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

// countNodes counts the nodes of a document without following aliases.
func countNodes(n *yaml.Node) int {
	count := 1
	for _, c := range n.Content {
		count += countNodes(c)
	}
	return count
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func nodeKind(n *yaml.Node) string {
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
