package ingest

import (
	"strconv"
	"strings"
)

// yarnDetail reads one "Key : value" line of -list -showDetails output into
// the row above it.
func yarnDetail(file string, n int, line string, row *yarnRow) error {
	k, v, ok := cpKeyValue(line)
	if !ok {
		return Errorf(file, n, "unexpected line %q in Detailed Node Information, expected 'Key : value'", cpClip(line))
	}
	switch k {
	case "Configured Resources":
		return yarnResources(file, n, v, row, "yarn.memory_mb", "yarn.vcores")
	case "Allocated Resources":
		return yarnResources(file, n, v, row, "yarn.memory_used_mb", "yarn.vcores_used")
	case "Node-Labels":
		if v != "" {
			row.str("yarn.labels", v)
		}
	}
	return nil
}

// yarnResources reads "<memory:245760, vCores:48>" (more resource types
// may follow, e.g. "yarn.io/gpu: 2"; they are ignored).
func yarnResources(file string, n int, v string, row *yarnRow, memAttr, cpuAttr string) error {
	inner, ok := strings.CutPrefix(v, "<")
	inner, ok2 := strings.CutSuffix(inner, ">")
	if !ok || !ok2 {
		return Errorf(file, n, "bad resources %q, expected '<memory:MB, vCores:N>'", cpClip(v))
	}
	for _, part := range strings.Split(inner, ",") {
		k, val, _ := cpKeyValue(part)
		attr := map[string]string{"memory": memAttr, "vCores": cpuAttr}[k]
		if attr == "" {
			continue
		}
		x, err := strconv.ParseInt(val, 10, 64)
		if err != nil || x < 0 {
			return Errorf(file, n, "bad %s %q in resources, expected an integer", k, cpClip(val))
		}
		row.num(attr, float64(x))
	}
	return nil
}

// yarnStatus is one `yarn node -status` report being read.
type yarnStatus struct {
	line   int // line of "Node Report :"
	fields map[string]hdfsField
}

// yarnReadStatus reads one or more `yarn node -status` reports:
// "Node Report : " then TAB-indented "Key : value" lines.
func yarnReadStatus(file string, lines []string, start int) ([]*yarnRow, error) {
	var reports []*yarnStatus
	for i := start; i < len(lines); i++ {
		n, line := i+1, strings.TrimSpace(lines[i])
		if line == "" || cpLogLine(line) {
			continue
		}
		k, v, ok := cpKeyValue(line)
		switch {
		case !ok:
			return nil, Errorf(file, n, "unexpected line %q in node status report, expected 'Key : value'", cpClip(line))
		case k == "Node Report":
			reports = append(reports, &yarnStatus{line: n, fields: map[string]hdfsField{}})
		default:
			reports[len(reports)-1].fields[k] = hdfsField{value: v, line: n}
		}
	}
	rows := make([]*yarnRow, 0, len(reports))
	for _, r := range reports {
		row, err := r.row(file)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// yarnStatusNumbers maps -status fields to attributes; the unit suffix is
// cut before parsing ("245760MB", "48 vcores").
var yarnStatusNumbers = []struct{ key, unit, attr string }{
	{"Containers", "", "yarn.containers"},
	{"Memory-Used", "MB", "yarn.memory_used_mb"},
	{"Memory-Capacity", "MB", "yarn.memory_mb"},
	{"CPU-Used", "vcores", "yarn.vcores_used"},
	{"CPU-Capacity", "vcores", "yarn.vcores"},
}

func (r *yarnStatus) row(file string) (*yarnRow, error) {
	for _, k := range []string{"Node-Id", "Node-State"} {
		if _, ok := r.fields[k]; !ok {
			return nil, Errorf(file, r.line, "node status report has no '%s :' line (truncated?)", k)
		}
	}
	row := &yarnRow{line: r.fields["Node-Id"].line}
	if err := row.setID(file, row.line, r.fields["Node-Id"].value); err != nil {
		return nil, err
	}
	state := r.fields["Node-State"]
	if err := row.setState(file, state.line, state.value); err != nil {
		return nil, err
	}
	if f, ok := r.fields["Node-Http-Address"]; ok {
		if err := row.setHTTP(file, f.line, f.value); err != nil {
			return nil, err
		}
	}
	for _, s := range []struct{ key, attr string }{{"Rack", "yarn.rack"}, {"Health-Report", "yarn.health_report"}, {"Node-Labels", "yarn.labels"}} {
		if f := r.fields[s.key]; f.value != "" {
			row.str(s.attr, f.value)
		}
	}
	for _, s := range yarnStatusNumbers {
		f, ok := r.fields[s.key]
		if !ok {
			continue
		}
		x, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(f.value, s.unit)), 10, 64)
		if err != nil || x < 0 {
			return nil, Errorf(file, f.line, "bad %s %q, expected an integer", s.key, cpClip(f.value))
		}
		row.num(s.attr, float64(x))
	}
	return row, nil
}
