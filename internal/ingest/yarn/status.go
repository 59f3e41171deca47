package yarn

import (
	"strconv"
	"strings"

	"github.com/fleetq/fleetq/internal/ingest/source"
)

// detail reads one "Key : value" line of -list -showDetails output into
// the row above it.
func detail(file string, n int, line string, row *nodeRow) error {
	k, v, ok := source.KeyValue(line)
	if !ok {
		return source.Errorf(file, n, "unexpected line %q in Detailed Node Information, expected 'Key : value'", source.Clip(line))
	}
	switch k {
	case "Configured Resources":
		return resources(file, n, v, row, "yarn.memory_mb", "yarn.vcores")
	case "Allocated Resources":
		return resources(file, n, v, row, "yarn.memory_used_mb", "yarn.vcores_used")
	case "Node-Labels":
		if v != "" {
			row.str("yarn.labels", v)
		}
	}
	return nil
}

// resources reads "<memory:245760, vCores:48>" (more resource types
// may follow, e.g. "yarn.io/gpu: 2"; they are ignored).
func resources(file string, n int, v string, row *nodeRow, memAttr, cpuAttr string) error {
	inner, ok := strings.CutPrefix(v, "<")
	inner, ok2 := strings.CutSuffix(inner, ">")
	if !ok || !ok2 {
		return source.Errorf(file, n, "bad resources %q, expected '<memory:MB, vCores:N>'", source.Clip(v))
	}
	for _, part := range strings.Split(inner, ",") {
		k, val, _ := source.KeyValue(part)
		attr := map[string]string{"memory": memAttr, "vCores": cpuAttr}[k]
		if attr == "" {
			continue
		}
		x, err := strconv.ParseInt(val, 10, 64)
		if err != nil || x < 0 {
			return source.Errorf(file, n, "bad %s %q in resources, expected an integer", k, source.Clip(val))
		}
		row.num(attr, float64(x))
	}
	return nil
}

// statusReport is one `yarn node -status` report being read.
type statusReport struct {
	line   int // line of "Node Report :"
	fields map[string]source.Field
}

// readStatus reads one or more `yarn node -status` reports:
// "Node Report : " then TAB-indented "Key : value" lines.
func readStatus(file string, lines []string, start int) ([]*nodeRow, error) {
	var reports []*statusReport
	for i := start; i < len(lines); i++ {
		n, line := i+1, strings.TrimSpace(lines[i])
		if line == "" || source.LogLine(line) {
			continue
		}
		k, v, ok := source.KeyValue(line)
		switch {
		case !ok:
			return nil, source.Errorf(file, n, "unexpected line %q in node status report, expected 'Key : value'", source.Clip(line))
		case k == "Node Report":
			reports = append(reports, &statusReport{line: n, fields: map[string]source.Field{}})
		default:
			reports[len(reports)-1].fields[k] = source.Field{Value: v, Line: n}
		}
	}
	rows := make([]*nodeRow, 0, len(reports))
	for _, r := range reports {
		row, err := r.row(file)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// statusNumbers maps -status fields to attributes; the unit suffix is
// cut before parsing ("245760MB", "48 vcores").
var statusNumbers = []struct{ key, unit, attr string }{
	{"Containers", "", "yarn.containers"},
	{"Memory-Used", "MB", "yarn.memory_used_mb"},
	{"Memory-Capacity", "MB", "yarn.memory_mb"},
	{"CPU-Used", "vcores", "yarn.vcores_used"},
	{"CPU-Capacity", "vcores", "yarn.vcores"},
}

func (r *statusReport) row(file string) (*nodeRow, error) {
	for _, k := range []string{"Node-Id", "Node-State"} {
		if _, ok := r.fields[k]; !ok {
			return nil, source.Errorf(file, r.line, "node status report has no '%s :' line (truncated?)", k)
		}
	}
	row := &nodeRow{line: r.fields["Node-Id"].Line}
	if err := row.setID(file, row.line, r.fields["Node-Id"].Value); err != nil {
		return nil, err
	}
	state := r.fields["Node-State"]
	if err := row.setState(file, state.Line, state.Value); err != nil {
		return nil, err
	}
	if f, ok := r.fields["Node-Http-Address"]; ok {
		if err := row.setHTTP(file, f.Line, f.Value); err != nil {
			return nil, err
		}
	}
	for _, s := range []struct{ key, attr string }{{"Rack", "yarn.rack"}, {"Health-Report", "yarn.health_report"}, {"Node-Labels", "yarn.labels"}} {
		if f := r.fields[s.key]; f.Value != "" {
			row.str(s.attr, f.Value)
		}
	}
	for _, s := range statusNumbers {
		f, ok := r.fields[s.key]
		if !ok {
			continue
		}
		x, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(f.Value, s.unit)), 10, 64)
		if err != nil || x < 0 {
			return nil, source.Errorf(file, f.Line, "bad %s %q, expected an integer", s.key, source.Clip(f.Value))
		}
		row.num(s.attr, float64(x))
	}
	return row, nil
}
