package ingest

// The `kubectl get nodes [-o wide] [--show-labels]` table. kubectl pads
// columns with a tabwriter (at least 3 spaces), so every cell starts at the
// column of its header; cells such as OS-IMAGE contain spaces, so rows are
// cut at the header positions, never split on spaces. The table has no
// taints, conditions or (without --show-labels) zone: JSON is preferred,
// and a warning says so.

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/fleetq/fleetq/internal/store"
)

// k8sTableHead is how every kubectl get nodes table starts.
var k8sTableHead = []string{"NAME", "STATUS", "ROLES", "AGE", "VERSION"}

// k8sLooksLikeTable reports whether the first non-blank line is a kubectl
// get nodes header.
func k8sLooksLikeTable(data []byte) bool {
	for _, l := range cpLines(data) {
		if strings.TrimSpace(l) == "" {
			continue
		}
		f := strings.Fields(l)
		return len(f) >= len(k8sTableHead) && strings.Join(f[:len(k8sTableHead)], " ") == strings.Join(k8sTableHead, " ")
	}
	return false
}

// k8sColumn is one header cell: its name and first rune position.
type k8sColumn struct {
	name  string
	start int
}

func k8sParseTable(file string, data []byte) (*store.SourceData, error) {
	lines := cpLines(data)
	b := NewBuilder("k8s", "k8s")
	var cols []k8sColumn
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if cols == nil {
			cols = k8sHeaderColumns(l)
			continue
		}
		cells, err := k8sCells(file, i+1, []rune(strings.TrimRightFunc(l, unicode.IsSpace)), cols)
		if err != nil {
			return nil, err
		}
		if err := k8sTableRow(file, i+1, cells, b); err != nil {
			return nil, err
		}
	}
	b.Warn("k8s: read the kubectl get nodes table, which has no taints, conditions or zone (unless --show-labels); use -o json for full attributes")
	return b.Finish(file, data)
}

// k8sHeaderColumns finds the header cells and where each starts.
func k8sHeaderColumns(line string) []k8sColumn {
	var cols []k8sColumn
	r := []rune(line)
	for i := 0; i < len(r); i++ {
		if unicode.IsSpace(r[i]) || (i > 0 && !unicode.IsSpace(r[i-1])) {
			continue
		}
		j := i
		for j < len(r) && !unicode.IsSpace(r[j]) {
			j++
		}
		cols = append(cols, k8sColumn{name: string(r[i:j]), start: i})
	}
	return cols
}

// k8sCells cuts a row at the header positions. Each cell must start at its
// column (a space before it), or the row is not from the same table.
func k8sCells(file string, n int, row []rune, cols []k8sColumn) (map[string]string, error) {
	cells := make(map[string]string, len(cols))
	for c, col := range cols {
		if col.start >= len(row) {
			break // trailing empty cells
		}
		if col.start > 0 && !unicode.IsSpace(row[col.start-1]) || unicode.IsSpace(row[col.start]) {
			return nil, Errorf(file, n, "row does not line up with the header at column %s, expected kubectl get nodes table output", col.name)
		}
		end := len(row)
		if c+1 < len(cols) && cols[c+1].start < end {
			end = cols[c+1].start
		}
		cells[col.name] = strings.TrimSpace(string(row[col.start:end]))
	}
	return cells, nil
}

// k8sTableStatus maps the first STATUS word to k8s.ready.
var k8sTableStatus = map[string]bool{"Ready": true, "NotReady": false, "Unknown": false}

func k8sTableRow(file string, n int, cells map[string]string, b *Builder) error {
	name := cells["NAME"]
	if !cpValidHost(name) {
		return Errorf(file, n, "bad node NAME %q, expected a node name", cpClip(name))
	}
	status := strings.Split(cells["STATUS"], ",")
	ready, ok := k8sTableStatus[status[0]]
	if !ok {
		return Errorf(file, n, "unknown STATUS %q, expected Ready, NotReady or Unknown (optionally ,SchedulingDisabled)", cpClip(cells["STATUS"]))
	}
	b.Records(1)
	var alt []string
	if ip := cells["INTERNAL-IP"]; ip != "" && ip != "<none>" {
		alt = append(alt, ip)
	}
	i := b.Host(name, alt...)
	b.SetBool(i, "k8s.ready", ready)
	b.SetBool(i, "k8s.unschedulable", contains(status[1:], "SchedulingDisabled"))
	for _, kv := range [][2]string{
		{"ROLES", "k8s.roles"}, {"VERSION", "k8s.kubelet_version"}, {"INTERNAL-IP", "k8s.internal_ip"},
		{"OS-IMAGE", "k8s.os_image"}, {"KERNEL-VERSION", "k8s.kernel"}, {"CONTAINER-RUNTIME", "k8s.container_runtime"},
	} {
		if v := cells[kv[0]]; v != "" && v != "<none>" && v != "<unknown>" {
			b.SetString(i, kv[1], v)
		}
	}
	if v, ok := cells["LABELS"]; ok && v != "<none>" {
		labels, err := k8sTableLabels(v)
		if err != nil {
			return Errorf(file, n, "%v", err)
		}
		k8sSetLabels(b, i, labels)
	}
	return nil
}

// k8sTableLabels reads the --show-labels cell "k=v,k2=v2".
func k8sTableLabels(s string) (map[string]string, error) {
	labels := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("bad LABELS entry %q, expected key=value", cpClip(kv))
		}
		labels[k] = v
	}
	return labels, nil
}
