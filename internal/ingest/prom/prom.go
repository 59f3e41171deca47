package prom

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/store"
)

const expected = "a Prometheus /api/v1/query or /api/v1/query_range JSON response, or the text exposition format"

// Parse reads a metrics source (kind "prom", host set "metrics") in one
// of two forms, told apart by the first non-blank byte ('{' is JSON):
//
//   - A Prometheus HTTP API response of /api/v1/query or /api/v1/query_range
//     with resultType vector or matrix. The host of a series is its
//     `instance` label without the port ("10.0.0.1:9100" → "10.0.0.1",
//     "[::1]:9100" → "::1", "http://h:80/x" → "h"), else the first of the
//     `host`, `hostname`, `node`, `nodename` labels; the raw instance value
//     is kept as an alternative identity. A matrix keeps the newest sample
//     of each series, with its timestamp. status "error" is returned as an
//     error carrying errorType and error; scalar and string results name no
//     host and are rejected.
//   - The text exposition format (one /metrics scrape, e.g. node_exporter).
//     The scrape does not say which host it is from: the host key is the
//     `nodename` label of node_uname_info when present, else the file's base
//     name without its extension ("web01.prom" → "web01"); a Warn line says
//     which. Sample timestamps (milliseconds) are kept when given.
//
// Attributes: each metric becomes a number attribute named after the metric
// (characters outside [A-Za-z0-9_.-] become '_'). A metric with several
// series for one host (node_cpu_seconds_total{cpu,mode}, histogram buckets,
// two instances on one address) has no single value, so it is skipped and
// counted in a Warn line; nothing is summed or picked. Info metrics (name
// ending in _info) become string attributes instead, one per label:
// node_uname_info{release="6.1.0"} → node_uname.release = "6.1.0"; the
// __name__, instance and job labels and empty label values are left out.
// NaN, +Inf and -Inf are kept as float64 NaN and ±Inf.
//
// Malformed input is a *source.LineError. When no host is found the SourceData is
// returned together with an error wrapping source.ErrEmpty (an empty vector is a
// legal answer to "up == 0"), which --allow-empty accepts.
func Parse(file string, data []byte) (*store.SourceData, error) {
	if line, what := source.CheckText(data); line > 0 {
		return nil, source.Errorf(file, line, "%s (expected %s)", what, expected)
	}
	data = bytes.TrimPrefix(data, source.BOM)
	var src *store.SourceData
	var err error
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		src, err = parseAPI(file, data)
	} else {
		src, err = parseText(file, data)
	}
	if err != nil {
		return nil, err
	}
	if len(src.Hosts) == 0 {
		return src, fmt.Errorf("%s: %w (expected %s with at least one host)", file, source.ErrEmpty, expected)
	}
	return src, nil
}

// Looks reports whether head (source.Head) looks like a Prometheus API
// response (a top-level object with the keys "status" and "data" or
// "errorType", source.TopKeys) or text exposition (# HELP/# TYPE lines, or
// a first line that is a valid sample).
func Looks(head []byte) bool {
	t := bytes.TrimLeft(head, " \t\r\n")
	if len(t) == 0 {
		return false
	}
	if t[0] == '{' {
		keys := source.TopKeys(t)
		return slices.Contains(keys, "status") && (slices.Contains(keys, "data") || slices.Contains(keys, "errorType"))
	}
	for n, line := range strings.SplitN(string(t), "\n", 50) {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE "):
			return true
		case strings.HasPrefix(line, "#"):
			continue
		}
		_, err := parseSample(line)
		return err == nil && n < 49
	}
	return false
}

// aggregator gathers samples per (host, metric) and decides at the end which
// metrics have one series per host.
type aggregator struct {
	b       *source.Builder
	entries map[seriesKey]*entry
	order   []seriesKey
	// counts of skipped input, for Warn lines
	unnamed, hostless, histograms int
}

type seriesKey struct {
	host   int
	metric string
}

type entry struct {
	series    map[string]bool // canonical label sets seen
	instances map[string]bool
	labels    map[string]string
	v         float64
	ts        int64
	hasTS     bool
}

func newAggregator(b *source.Builder) *aggregator {
	return &aggregator{b: b, entries: map[seriesKey]*entry{}}
}

// add records one sample; the newest (or, on equal time, the later) sample
// of a (host, metric) wins.
func (a *aggregator) add(host int, labels map[string]string, v float64, ts int64, hasTS bool) {
	k := seriesKey{host, labels["__name__"]}
	e := a.entries[k]
	if e == nil {
		e = &entry{series: map[string]bool{}, instances: map[string]bool{}}
		a.entries[k] = e
		a.order = append(a.order, k)
	}
	e.series[seriesID(labels)] = true
	e.instances[labels["instance"]] = true
	if len(e.series) == 1 && e.labels != nil && e.hasTS && hasTS && ts < e.ts {
		return
	}
	e.labels, e.v, e.ts, e.hasTS = labels, v, ts, hasTS
}

// seriesID is a canonical form of a label set without __name__.
func seriesID(labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for n := range labels {
		if n != "__name__" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var sb strings.Builder
	for _, n := range names {
		fmt.Fprintf(&sb, "%q=%q,", n, labels[n])
	}
	return sb.String()
}

// finish writes the attributes and the Warn lines.
func (a *aggregator) finish() {
	multi, shared := map[string]bool{}, map[string]bool{}
	for _, k := range a.order {
		e := a.entries[k]
		if len(e.instances) > 1 {
			shared[k.metric] = true
			continue
		}
		if len(e.series) > 1 {
			multi[k.metric] = true
			continue
		}
		if base, ok := strings.CutSuffix(k.metric, "_info"); ok && base != "" {
			a.setInfo(k.host, base, e.labels)
			continue
		}
		name := source.AttrName(k.metric)
		if e.hasTS {
			a.b.SetSample(k.host, name, e.v, e.ts)
		} else {
			a.b.SetNumber(k.host, name, e.v)
		}
	}
	a.warnNames(multi, "with several series per host (no single value; filter the query by its labels or use a recording rule)")
	a.warnNames(shared, "scraped from several instances of one host (no single value; instance ports differ, filter the query by job)")
	a.warnCounts()
}

// infoSkip are labels of an info metric that are not attributes: the
// metric name and Prometheus' own target labels.
var infoSkip = map[string]bool{"__name__": true, "instance": true, "job": true}

func (a *aggregator) setInfo(host int, base string, labels map[string]string) {
	names := make([]string, 0, len(labels))
	for n, v := range labels {
		if !infoSkip[n] && v != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		a.b.SetString(host, source.AttrName(base)+"."+source.AttrName(n), labels[n])
	}
}

// warnNames adds one Warn line naming the skipped metrics.
func (a *aggregator) warnNames(metrics map[string]bool, why string) {
	if len(metrics) == 0 {
		return
	}
	names := make([]string, 0, len(metrics))
	for n := range metrics {
		names = append(names, n)
	}
	sort.Strings(names)
	list := strings.Join(names[:min(len(names), 8)], ", ")
	if len(names) > 8 {
		list += ", …"
	}
	a.b.Warn(fmt.Sprintf("skipped %s %s: %s", source.Plural(len(names), "metric"), why, list))
}

func (a *aggregator) warnCounts() {
	if a.unnamed > 0 {
		a.b.Warn(fmt.Sprintf("skipped %s without a metric name (__name__ is dropped by arithmetic; name the result with label_replace)", source.Plural(a.unnamed, "series")))
	}
	if a.hostless > 0 {
		a.b.Warn(fmt.Sprintf("skipped %s without an instance, host, hostname, node or nodename label", source.Plural(a.hostless, "series")))
	}
	if a.histograms > 0 {
		a.b.Warn(fmt.Sprintf("skipped %s of native histograms (no single number)", source.Plural(a.histograms, "series")))
	}
}
