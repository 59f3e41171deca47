package netbox

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/fleetq/fleetq/internal/hostkey"
	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/store"
)

const expected = "a NetBox device CSV export or /api/dcim/devices/ JSON"

// Parse reads NetBox devices (kind "netbox", host set "inventory"):
// the device CSV export/import format (a header row naming fields, related
// objects by name), or the REST API device list JSON: a page
// {"count","next","previous","results":[...]}, a plain list of devices, or
// one device object. NetBox 2.x to 4.x shapes are accepted.
//
// The host key is the device name, trimmed and lower-cased. Devices without
// a name (null or empty) are skipped and counted in a Warn line; devices
// sharing a name are merged (later values win) with a Warn line.
//
// Attributes (strings unless noted): site, rack, role (device_role in old
// versions), status (the choice value, e.g. "active"; when the value is not
// a string, as in NetBox 2.x's {"value": true, "label": "Active"}, the
// lower-cased label), platform, serial (absent when empty), tenant,
// manufacturer (top-level or device_type.manufacturer), device_type (the
// model), primary_ip (primary_ip, else primary_ip4, else primary_ip6, with
// the /prefix stripped; also an alternative identity), position (number)
// and every scalar custom field as cf.<name> (CSV columns cf_<name>).
// Nested objects give their name (else display, model or slug). Null and
// empty values are absent; non-scalar custom fields are skipped and counted.
// Custom fields typed differently on different devices become strings.
//
// A page whose `next` is set is only part of the inventory; a Warn line
// says so. Malformed input is a *source.LineError; no named device returns the
// SourceData with an error wrapping source.ErrEmpty (--allow-empty).
func Parse(file string, data []byte) (*store.SourceData, error) {
	if line, what := source.CheckText(data); line > 0 {
		return nil, source.Errorf(file, line, "%s (expected %s)", what, expected)
	}
	data = bytes.TrimPrefix(data, source.BOM)
	nb := &reader{b: source.NewBuilder("netbox", "inventory"), seen: map[string]bool{}}
	var err error
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		err = nb.readJSON(file, data)
	} else {
		err = nb.readCSV(file, data)
	}
	if err != nil {
		return nil, err
	}
	src, err := nb.finish(file, data)
	if err != nil {
		return nil, err
	}
	if len(src.Hosts) == 0 {
		return src, fmt.Errorf("%s: %w (expected %s with at least one named device)", file, source.ErrEmpty, expected)
	}
	return src, nil
}

// Looks reports whether head (source.Head) looks like NetBox devices: JSON
// with device_type objects, or CSV whose header has name and at least two
// other device fields.
func Looks(head []byte) bool {
	t := bytes.TrimLeft(head, " \t\r\n")
	if len(t) == 0 {
		return false
	}
	if t[0] == '{' || t[0] == '[' {
		return bytes.Contains(t, []byte(`"device_type"`)) && json.Valid(t)
	}
	header, _, _ := strings.Cut(string(t), "\n")
	cols, n := map[string]bool{}, 0
	for _, c := range strings.Split(header, ",") {
		cols[strings.ToLower(strings.Trim(strings.TrimSpace(c), `"`))] = true
	}
	for _, c := range []string{"site", "rack", "role", "device_role", "device_type", "manufacturer", "status", "platform", "serial", "tenant"} {
		if cols[c] {
			n++
		}
	}
	return cols["name"] && n >= 2
}

// reader turns devices into hosts.
type reader struct {
	b                      *source.Builder
	vals                   source.Values
	seen                   map[string]bool
	unnamed, dups, complex int
}

// device adds one device: its name, primary IP and scalar attributes.
func (nb *reader) device(name, ip string, attrs map[string]any) {
	nb.b.Records(1)
	key := hostkey.Normalize(name)
	if key == "" {
		nb.unnamed++
		return
	}
	if nb.seen[key] {
		nb.dups++
	}
	nb.seen[key] = true
	h := nb.b.Host(key, ip)
	if ip != "" {
		attrs["primary_ip"] = ip
	}
	for k, v := range attrs {
		switch v := v.(type) {
		case string:
			if v != "" {
				nb.vals.Set(h, k, v)
			}
		case float64, bool:
			nb.vals.Set(h, k, v)
		}
	}
}

func (nb *reader) finish(file string, data []byte) (*store.SourceData, error) {
	nb.vals.Emit(nb.b)
	if nb.unnamed > 0 {
		nb.b.Warn(fmt.Sprintf("skipped %s without a name (unnamed devices have no host key)", source.Plural(nb.unnamed, "device")))
	}
	if nb.dups > 0 {
		nb.b.Warn(fmt.Sprintf("merged %s sharing a name with an earlier device (names are unique per site and tenant only)", source.Plural(nb.dups, "device")))
	}
	if nb.complex > 0 {
		nb.b.Warn(fmt.Sprintf("skipped %s (lists or objects)", source.Plural(nb.complex, "complex custom field value")))
	}
	return nb.b.Finish(file, data)
}

// stripPrefix turns "10.0.0.1/24" into "10.0.0.1".
func stripPrefix(ip string) string {
	ip, _, _ = strings.Cut(strings.TrimSpace(ip), "/")
	return ip
}

// csvColumns maps CSV header names to attribute names.
var csvColumns = map[string]string{
	"site": "site", "rack": "rack", "role": "role", "device_role": "role", "status": "status",
	"platform": "platform", "serial": "serial", "tenant": "tenant", "manufacturer": "manufacturer",
	"device_type": "device_type", "position": "position",
}

func (nb *reader) readCSV(file string, data []byte) error {
	r := csv.NewReader(bytes.NewReader(data))
	header, err := r.Read()
	if err != nil {
		return csvErr(file, data, err)
	}
	for i := range header {
		header[i] = strings.ToLower(strings.TrimSpace(header[i]))
	}
	if !slices.Contains(header, "name") {
		return source.Errorf(file, 1, "CSV header has no name column (expected %s)", expected)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvErr(file, data, err)
		}
		line, _ := r.FieldPos(0)
		if err := nb.csvRow(file, line, header, rec); err != nil {
			return err
		}
	}
}

func (nb *reader) csvRow(file string, line int, header, rec []string) error {
	var name, ip string
	attrs := map[string]any{}
	for i, col := range header {
		v := strings.TrimSpace(rec[i])
		switch {
		case v == "":
		case col == "name":
			name = v
		case col == "primary_ip" || col == "primary_ip4" || col == "primary_ip6":
			if ip == "" {
				ip = stripPrefix(v)
			}
		case col == "position":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return source.Errorf(file, line, "position %q is not a number (expected %s)", v, expected)
			}
			attrs["position"] = f
		case strings.HasPrefix(col, "cf_") && len(col) > 3:
			attrs["cf."+source.AttrName(col[3:])] = source.TextValue(v)
		case csvColumns[col] != "":
			attrs[csvColumns[col]] = v
		}
	}
	nb.device(name, ip, attrs)
	return nil
}

func csvErr(file string, data []byte, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return source.Errorf(file, pe.Line, "invalid CSV: %v (expected %s)", pe.Err, expected)
	}
	if err == io.EOF {
		return source.Errorf(file, 0, "empty input (expected %s)", expected)
	}
	return source.Errorf(file, source.LastLine(data), "invalid CSV: %v (expected %s)", err, expected)
}

// readJSON reads a results page, a list of devices or one device.
func (nb *reader) readJSON(file string, data []byte) error {
	j := &source.JSON{File: file, Data: data, Expected: expected}
	raw, off, err := j.Top()
	if err != nil {
		return err
	}
	if source.JSONKind(raw) == "an array" {
		return nb.jsonDevices(j, raw, off)
	}
	members, err := j.Object(raw, off)
	if err != nil {
		return err
	}
	var page struct {
		Count   *int    `json:"count"`
		Next    *string `json:"next"`
		Results json.RawMessage
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return j.DecodeErr(off, err)
	}
	for _, m := range members {
		if m.Key == "results" {
			if err := nb.jsonDevices(j, m.Raw, m.Off); err != nil {
				return err
			}
			nb.pageWarn(page.Count, page.Next)
			return nil
		}
	}
	if _, ok := objectKeys(raw)["device_type"]; !ok {
		return j.ErrAt(off, "an object with neither results nor device fields")
	}
	return nb.jsonDevice(j, source.Item{Raw: raw, Off: off})
}

func (nb *reader) pageWarn(count *int, next *string) {
	if next == nil || *next == "" {
		return
	}
	total := "an unknown number of"
	if count != nil {
		total = strconv.Itoa(*count)
	}
	nb.b.Warn(fmt.Sprintf("this is one page of %s devices; the next page (%s) was not read", total, *next))
}

func objectKeys(raw json.RawMessage) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	return m
}

func (nb *reader) jsonDevices(j *source.JSON, raw json.RawMessage, off int) error {
	if source.JSONKind(raw) == "null" {
		return nil
	}
	items, err := j.Array(raw, off)
	if err != nil {
		return err
	}
	for _, it := range items {
		if err := nb.jsonDevice(j, it); err != nil {
			return err
		}
	}
	return nil
}

// jsonDevice reads one device object.
func (nb *reader) jsonDevice(j *source.JSON, it source.Item) error {
	var d map[string]any
	if err := json.Unmarshal(it.Raw, &d); err != nil || d == nil {
		return j.ErrAt(it.Off, "device is %s, not an object", source.JSONKind(it.Raw))
	}
	name, ok := d["name"].(string)
	if d["name"] != nil && !ok {
		return j.ErrAt(it.Off, "device name is not a string")
	}
	attrs := map[string]any{
		"site": nameOf(d["site"]), "rack": nameOf(d["rack"]), "tenant": nameOf(d["tenant"]),
		"platform": nameOf(d["platform"]), "role": nameOf(first(d["role"], d["device_role"])),
		"status": choice(d["status"]), "device_type": nameOf(d["device_type"]),
		"manufacturer": nameOf(d["manufacturer"]), "serial": nameOf(d["serial"]),
	}
	if attrs["manufacturer"] == "" {
		if dt, ok := d["device_type"].(map[string]any); ok {
			attrs["manufacturer"] = nameOf(dt["manufacturer"])
		}
	}
	if p := number(d["position"]); p != nil {
		attrs["position"] = *p
	}
	nb.customFields(d["custom_fields"], attrs)
	ip := stripPrefix(address(first(d["primary_ip"], d["primary_ip4"], d["primary_ip6"])))
	nb.device(name, ip, attrs)
	return nil
}

func (nb *reader) customFields(v any, attrs map[string]any) {
	cf, _ := v.(map[string]any)
	names := make([]string, 0, len(cf))
	for k := range cf {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		switch v := cf[k].(type) {
		case string, float64, bool:
			attrs["cf."+source.AttrName(k)] = v
		case nil:
		default:
			nb.complex++
		}
	}
}

// first is the first non-null value.
func first(vs ...any) any {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}

// nameOf is a string, or a nested object's name, display, display_name,
// model or slug.
func nameOf(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		for _, k := range []string{"name", "model", "display", "display_name", "slug"} {
			if s, ok := v[k].(string); ok && s != "" {
				return s
			}
		}
	}
	return ""
}

// choice is a ChoiceField's value, or its lower-cased label when the
// value is not a string (NetBox 2.x).
func choice(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		s, _ := v.(string)
		return s
	}
	if s, ok := m["value"].(string); ok {
		return s
	}
	s, _ := m["label"].(string)
	return strings.ToLower(s)
}

func address(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		s, _ := v["address"].(string)
		return s
	}
	return ""
}

func number(v any) *float64 {
	switch v := v.(type) {
	case float64:
		return &v
	case string:
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return &f
		}
	}
	return nil
}
