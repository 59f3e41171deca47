package ansible

import (
	"encoding/json"

	"github.com/fleetq/fleetq/internal/ingest/source"
)

// listGroup is a group of `ansible-inventory --list` output.
type listGroup struct {
	Hosts    []string       `json:"hosts"`
	Children []string       `json:"children"`
	Vars     map[string]any `json:"vars"`
}

// parseJSON reads `ansible-inventory --list` JSON (and the dynamic
// inventory script format it follows): top-level keys are groups, each an
// object with hosts, children and vars (or a plain list of hosts), next to
// _meta.hostvars. Groups named only in a parent's children are empty
// groups, not errors: ansible-inventory drops empty groups as keys.
func parseJSON(file string, data []byte) (*inventory, error) {
	j := &source.JSON{File: file, Data: data, Expected: expected}
	raw, off, err := j.Top()
	if err != nil {
		return nil, err
	}
	members, err := j.Object(raw, off)
	if err != nil {
		return nil, err
	}
	inv := newInventory(0)
	inv.group("all")
	for _, m := range members {
		if m.Key == "_meta" {
			err = jsonMeta(j, inv, m)
		} else {
			err = jsonGroup(j, inv, m)
		}
		if err != nil {
			return nil, err
		}
	}
	for _, g := range inv.groups {
		g.defined = true
	}
	inv.records = len(inv.hostList) // --list names each host once per group
	return inv, nil
}

func jsonGroup(j *source.JSON, inv *inventory, m source.Item) error {
	var lg listGroup
	switch source.JSONKind(m.Raw) {
	case "an array":
		if err := json.Unmarshal(m.Raw, &lg.Hosts); err != nil {
			return j.ErrAt(m.Off, "group %s is a list, but not of host names", m.Key)
		}
	case "an object":
		if err := json.Unmarshal(m.Raw, &lg); err != nil {
			return j.DecodeErr(m.Off, err)
		}
	default:
		return j.ErrAt(m.Off, "group %s is %s, not an object with hosts, children and vars", m.Key, source.JSONKind(m.Raw))
	}
	g := inv.group(m.Key)
	for _, h := range lg.Hosts {
		inv.addHost(g, h, nil)
	}
	for _, c := range lg.Children {
		if c == m.Key {
			return j.ErrAt(m.Off, "group %s lists itself as a child", c)
		}
		inv.group(c)
		g.children = append(g.children, c)
	}
	for k, v := range lg.Vars {
		inv.setVar(g.vars, k, v)
	}
	return nil
}

// jsonMeta reads _meta.hostvars, in file order.
func jsonMeta(j *source.JSON, inv *inventory, m source.Item) error {
	meta, err := j.Object(m.Raw, m.Off)
	if err != nil {
		return err
	}
	for _, mm := range meta {
		if mm.Key != "hostvars" {
			continue
		}
		hosts, err := j.Object(mm.Raw, mm.Off)
		if err != nil {
			return err
		}
		for _, h := range hosts {
			var vars map[string]any
			if err := json.Unmarshal(h.Raw, &vars); err != nil {
				return j.ErrAt(h.Off, "hostvars of %s is %s, not an object", h.Key, source.JSONKind(h.Raw))
			}
			key := inv.host(h.Key)
			if key == "" {
				continue
			}
			inv.setHostVars(key, vars)
		}
	}
	return nil
}
