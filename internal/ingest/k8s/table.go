package k8s

// The `kubectl get nodes [-o wide] [--show-labels]` table. kubectl pads
// columns with a tabwriter (at least 3 spaces), so every cell starts at the
// column of its header; cells such as OS-IMAGE contain spaces, so rows are
// cut at the header positions, never split on spaces. The table has no
// taints, conditions or (without --show-labels) zone: JSON is preferred,
// and a warning says so.

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/store"
)

// tableHead is how every kubectl get nodes table starts.
var tableHead = []string{"NAME", "STATUS", "ROLES", "AGE", "VERSION"}

// looksLikeTable reports whether the first non-blank line is a kubectl
// get nodes header.
func looksLikeTable(data []byte) bool {
	for _, l := range source.Lines(data) {
		if strings.TrimSpace(l) == "" {
			continue
		}
		f := strings.Fields(l)
		return len(f) >= len(tableHead) && strings.Join(f[:len(tableHead)], " ") == strings.Join(tableHead, " ")
	}
	return false
}

// column is one header cell: its name and first rune position.
type column struct {
	name  string
	start int
}

func parseTable(file string, data []byte) (*store.SourceData, error) {
	lines := source.Lines(data)
	b := source.NewBuilder("k8s", "k8s")
	var cols []column
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if cols == nil {
			cols = headerColumns(l)
			continue
		}
		cells, err := cutCells(file, i+1, []rune(strings.TrimRightFunc(l, unicode.IsSpace)), cols)
		if err != nil {
			return nil, err
		}
		if err := tableRow(file, i+1, cells, b); err != nil {
			return nil, err
		}
	}
	b.Warn("k8s: read the kubectl get nodes table, which has no taints, conditions or zone (unless --show-labels); use -o json for full attributes")
	return b.Finish(file, data)
}

// headerColumns finds the header cells and where each starts.
func headerColumns(line string) []column {
	var cols []column
	r := []rune(line)
	for i := 0; i < len(r); i++ {
		if unicode.IsSpace(r[i]) || (i > 0 && !unicode.IsSpace(r[i-1])) {
			continue
		}
		j := i
		for j < len(r) && !unicode.IsSpace(r[j]) {
			j++
		}
		cols = append(cols, column{name: string(r[i:j]), start: i})
	}
	return cols
}

// cutCells cuts a row at the header positions. Each cell must start at its
// column (a space before it), or the row is not from the same table.
func cutCells(file string, n int, row []rune, cols []column) (map[string]string, error) {
	cells := make(map[string]string, len(cols))
	for c, col := range cols {
		if col.start >= len(row) {
			break // trailing empty cells
		}
		if col.start > 0 && !unicode.IsSpace(row[col.start-1]) || unicode.IsSpace(row[col.start]) {
			return nil, source.Errorf(file, n, "row does not line up with the header at column %s, expected kubectl get nodes table output", col.name)
		}
		end := len(row)
		if c+1 < len(cols) && cols[c+1].start < end {
			end = cols[c+1].start
		}
		cells[col.name] = strings.TrimSpace(string(row[col.start:end]))
	}
	return cells, nil
}

// tableStatus maps the first STATUS word to k8s.ready.
var tableStatus = map[string]bool{"Ready": true, "NotReady": false, "Unknown": false}

func tableRow(file string, n int, cells map[string]string, b *source.Builder) error {
	name := cells["NAME"]
	if !source.IsWord(name) {
		return source.Errorf(file, n, "bad node NAME %q, expected a node name", source.Clip(name))
	}
	status := strings.Split(cells["STATUS"], ",")
	ready, ok := tableStatus[status[0]]
	if !ok {
		return source.Errorf(file, n, "unknown STATUS %q, expected Ready, NotReady or Unknown (optionally ,SchedulingDisabled)", source.Clip(cells["STATUS"]))
	}
	b.Records(1)
	var alt []string
	if ip := cells["INTERNAL-IP"]; ip != "" && ip != "<none>" {
		alt = append(alt, ip)
	}
	i := b.Host(name, alt...)
	b.SetBool(i, "k8s.ready", ready)
	b.SetBool(i, "k8s.unschedulable", slices.Contains(status[1:], "SchedulingDisabled"))
	for _, kv := range [][2]string{
		{"ROLES", "k8s.roles"}, {"VERSION", "k8s.kubelet_version"}, {"INTERNAL-IP", "k8s.internal_ip"},
		{"OS-IMAGE", "k8s.os_image"}, {"KERNEL-VERSION", "k8s.kernel"}, {"CONTAINER-RUNTIME", "k8s.container_runtime"},
	} {
		if v := cells[kv[0]]; v != "" && v != "<none>" && v != "<unknown>" {
			b.SetString(i, kv[1], v)
		}
	}
	if v, ok := cells["LABELS"]; ok && v != "<none>" {
		labels, err := tableLabels(v)
		if err != nil {
			return source.Errorf(file, n, "%v", err)
		}
		setLabels(b, i, labels)
	}
	return nil
}

// tableLabels reads the --show-labels cell "k=v,k2=v2".
func tableLabels(s string) (map[string]string, error) {
	labels := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("bad LABELS entry %q, expected key=value", source.Clip(kv))
		}
		labels[k] = v
	}
	return labels, nil
}
