package prom

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/store"
)

// envelope is the body of every /api/v1 response.
type envelope struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Warnings  []string        `json:"warnings"`
}

type apiData struct {
	ResultType    *string         `json:"resultType"`
	Result        json.RawMessage `json:"result"`
	ActiveTargets json.RawMessage `json:"activeTargets"`
}

type apiSeries struct {
	Metric     map[string]string `json:"metric"`
	Value      json.RawMessage   `json:"value"`
	Values     json.RawMessage   `json:"values"`
	Histogram  json.RawMessage   `json:"histogram"`
	Histograms json.RawMessage   `json:"histograms"`
}

func parseAPI(file string, data []byte) (*store.SourceData, error) {
	j := &source.JSON{File: file, Data: data, Expected: expected}
	raw, off, topErr := j.Top()
	if raw == nil {
		return nil, topErr
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		if topErr != nil {
			return nil, topErr
		}
		return nil, j.DecodeErr(off, err)
	}
	switch env.Status {
	case "error":
		return nil, source.Errorf(file, source.LineAt(data, off), "prometheus returned an error: %s: %s", env.ErrorType, env.Error)
	case "success":
	default:
		return nil, j.ErrAt(off, "status is %q, not \"success\" or \"error\"", env.Status)
	}
	if topErr != nil {
		return nil, topErr
	}
	b := source.NewBuilder("prom", "metrics")
	for _, w := range env.Warnings {
		b.Warn("prometheus warning: " + w)
	}
	dataOff := off
	if members, err := j.Object(raw, off); err == nil {
		for _, m := range members {
			if m.Key == "data" {
				dataOff = m.Off
			}
		}
	}
	items, err := apiResult(j, env.Data, dataOff)
	if err != nil {
		return nil, err
	}
	agg := newAggregator(b)
	for _, it := range items {
		if err := addSeries(j, agg, it); err != nil {
			return nil, err
		}
	}
	agg.finish()
	return b.Finish(file, data)
}

// apiResult checks data's resultType and returns the series of a vector
// or matrix result.
func apiResult(j *source.JSON, raw json.RawMessage, off int) ([]source.Item, error) {
	members, err := j.Object(raw, off)
	if err != nil || len(raw) == 0 {
		return nil, j.ErrAt(off, "data is %s, not an object with resultType and result", source.JSONKind(raw))
	}
	var d apiData
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, j.DecodeErr(off, err)
	}
	resOff := off
	for _, m := range members {
		if m.Key == "result" {
			resOff = m.Off
		}
	}
	switch {
	case d.ActiveTargets != nil:
		return nil, j.ErrAt(off, "this is a /api/v1/targets response, not a query result")
	case d.ResultType == nil:
		return nil, j.ErrAt(off, "data has no resultType")
	case *d.ResultType == "scalar" || *d.ResultType == "string":
		return nil, j.ErrAt(off, "resultType %s carries no series labels, so it names no host; query per-host series (a vector or matrix)", *d.ResultType)
	case *d.ResultType != "vector" && *d.ResultType != "matrix":
		return nil, j.ErrAt(off, "unknown resultType %q", *d.ResultType)
	case d.Result == nil || string(d.Result) == "null":
		return nil, nil
	}
	return j.Array(d.Result, resOff)
}

func addSeries(j *source.JSON, agg *aggregator, it source.Item) error {
	var s apiSeries
	if err := json.Unmarshal(it.Raw, &s); err != nil {
		return j.DecodeErr(it.Off, err)
	}
	var samples []json.RawMessage
	switch {
	case s.Value != nil:
		samples = []json.RawMessage{s.Value}
	case s.Values != nil:
		if err := json.Unmarshal(s.Values, &samples); err != nil {
			return j.ErrAt(it.Off, "series values is %s, not an array of [time, \"value\"] pairs", source.JSONKind(s.Values))
		}
	case s.Histogram != nil || s.Histograms != nil:
		agg.histograms++
		return nil
	default:
		return j.ErrAt(it.Off, "series has no value or values")
	}
	agg.b.Records(len(samples))
	key, alt, ok := hostOf(s.Metric)
	switch {
	case !ok:
		agg.hostless++
		return nil
	case s.Metric["__name__"] == "":
		agg.b.Host(key, alt)
		agg.unnamed++
		return nil
	}
	h := agg.b.Host(key, alt)
	for _, raw := range samples {
		ts, v, err := parsePair(raw)
		if err != nil {
			return j.ErrAt(it.Off, "series %s: %v", s.Metric["__name__"], err)
		}
		agg.add(h, s.Metric, v, ts, true)
	}
	return nil
}

// parsePair parses a [time, "value"] pair: time in seconds with up to
// millisecond precision, value as a string (NaN, +Inf and -Inf included).
func parsePair(raw json.RawMessage) (int64, float64, error) {
	var pair []json.RawMessage
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return 0, 0, fmt.Errorf("sample is %s, not a [time, \"value\"] pair", source.JSONKind(raw))
	}
	ts, err := parseTS(string(pair[0]))
	if err != nil {
		return 0, 0, err
	}
	var s string
	if err := json.Unmarshal(pair[1], &s); err != nil {
		return 0, 0, fmt.Errorf("sample value is %s, not a string such as \"1\" or \"NaN\"", source.JSONKind(pair[1]))
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("sample value %q is not a number", s)
	}
	return ts, v, nil
}

// parseTS parses API time (seconds, JSON number) into milliseconds,
// exactly: "1435781451.781" is 1435781451781, never 1435781451780.
func parseTS(s string) (int64, error) {
	bad := fmt.Errorf("sample time %s is not a number of seconds", s)
	if strings.ContainsAny(s, "eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.Abs(f) > 9e15 {
			return 0, bad
		}
		return int64(math.Round(f * 1000)), nil
	}
	neg := strings.HasPrefix(s, "-")
	intPart, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	sec, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil || sec > math.MaxInt64/1000-1 || strings.Trim(frac, "0123456789") != "" {
		return 0, bad
	}
	ms, _ := strconv.Atoi((frac + "000")[:3])
	v := sec*1000 + int64(ms)
	if neg {
		v = -v
	}
	return v, nil
}

// hostOf finds the host of a series: the instance label without its
// port (or the host of a URL instance), else host, hostname, node or
// nodename. alt is the raw instance value.
func hostOf(labels map[string]string) (key, alt string, ok bool) {
	if inst := strings.TrimSpace(labels["instance"]); inst != "" {
		if k := stripPort(inst); k != "" {
			return k, inst, true
		}
	}
	for _, n := range []string{"host", "hostname", "node", "nodename"} {
		if v := strings.TrimSpace(labels[n]); v != "" {
			return v, "", true
		}
	}
	return "", "", false
}

// stripPort turns an instance label into a host: "h:9100" → "h",
// "[::1]:9100" → "::1", "::1" stays, "https://h:8443/x" → "h".
func stripPort(inst string) string {
	if strings.Contains(inst, "://") {
		if u, err := url.Parse(inst); err == nil && u.Hostname() != "" {
			return u.Hostname()
		}
	}
	if h, _, err := net.SplitHostPort(inst); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(inst, "["), "]")
}
