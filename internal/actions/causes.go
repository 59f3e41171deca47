package actions

import (
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
	"github.com/fleetq/fleetq/internal/query"
)

// cause is one named reason hosts are already out, for the arithmetic.
type cause struct {
	name  string
	hosts *roaring.Bitmap
}

// controlPlaneOut are the HDFS and YARN states that count as unavailable
// by default: decommissioning or decommissioned, dead (YARN: lost, or shut
// down), or in maintenance. An unhealthy NodeManager still serves HDFS
// and is not counted.
var controlPlaneOut = []struct {
	attr, plane string
	states      []string
}{
	{"hdfs.state", "hdfs", []string{"decommissioning", "decommissioned", "dead", "entering_maintenance", "in_maintenance"}},
	{"yarn.state", "yarn", []string{"decommissioning", "decommissioned", "lost", "shutdown"}},
}

// unavailableCauses evaluates the policy's unavailable expression and
// splits it into named causes: a top-level union is split into its terms,
// `ATTR in (a, b)` into one cause per value, `ATTR = v` is named v, any
// other term by its canonical text. Each host is counted under the first
// cause that holds it. Control-plane states follow when counted.
func unavailableCauses(env *query.Env, expr string, controlPlane bool) ([]cause, error) {
	var out []cause
	covered := roaring.New()
	add := func(name string, hosts *roaring.Bitmap) {
		fresh := roaring.AndNot(hosts, covered)
		if fresh.IsEmpty() {
			return
		}
		covered.Or(fresh)
		for i := range out {
			if out[i].name == name {
				out[i].hosts.Or(fresh)
				return
			}
		}
		out = append(out, cause{name, fresh})
	}
	if expr != "" {
		if err := exprCauses(env, expr, add); err != nil {
			return nil, err
		}
	}
	if controlPlane {
		if err := planeCauses(env.Snap.Current(), add); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func exprCauses(env *query.Env, expr string, add func(string, *roaring.Bitmap)) error {
	st, err := query.Parse(expr)
	if err == nil {
		err = query.Resolve(env.Snap.Current(), st)
	}
	if err != nil {
		return fmt.Errorf("policy unavailable = %q: %w", expr, err)
	}
	r, err := query.Run(env, st)
	if err != nil {
		return fmt.Errorf("policy unavailable = %q: %w", expr, err)
	}
	if r.Kind != query.HostsResult {
		return fmt.Errorf("policy unavailable = %q: %w", expr, ErrNotHostSet)
	}
	if st.Bind != "" || len(st.Pipeline.Stages) > 0 {
		add("unavailable", r.Hosts)
		return nil
	}
	for _, term := range unionTerms(st.Pipeline.Expr) {
		for _, named := range splitTerm(term) {
			hosts, err := query.Eval(env, named.node, expr)
			if err != nil {
				return err
			}
			add(named.name, hosts)
		}
	}
	return nil
}

// unionTerms flattens a left-associated chain of + (and `or`).
func unionTerms(n query.Node) []query.Node {
	if b, ok := n.(*query.Binary); ok && b.Op == '+' {
		return append(unionTerms(b.L), b.R)
	}
	return []query.Node{n}
}

type namedNode struct {
	name string
	node query.Node
}

func splitTerm(n query.Node) []namedNode {
	switch n := n.(type) {
	case *query.In:
		if n.Negate || n.Left.Age {
			break
		}
		out := make([]namedNode, len(n.Values))
		for i, v := range n.Values {
			out[i] = namedNode{literalName(v), &query.In{P: n.P, Left: n.Left, Values: []query.Literal{v}}}
		}
		return out
	case *query.Compare:
		if (n.Op == "=" || n.Op == "==") && !n.Left.Age && n.Right.Attr == "" {
			return []namedNode{{literalName(n.Right), n}}
		}
	}
	return []namedNode{{n.String(), n}}
}

func literalName(l query.Literal) string {
	if l.Kind == fleet.String {
		return l.Str
	}
	return l.Text
}

func planeCauses(pass fleet.Pass, add func(string, *roaring.Bitmap)) error {
	for _, cp := range controlPlaneOut {
		a, ok, err := pass.Attr(cp.attr)
		if err != nil {
			return err
		}
		if !ok || a.Type() != fleet.String {
			continue
		}
		for _, s := range cp.states {
			add(cp.plane+" "+s, a.Filter(func(v fleet.Value) bool { return v.Str == s }))
		}
	}
	return nil
}
