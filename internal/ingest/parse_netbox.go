package ingest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/fleetq/fleetq/internal/store"
)

const nbExpected = "a NetBox device CSV export or /api/dcim/devices/ JSON"

// ParseNetBox reads NetBox devices (kind "netbox", host set "inventory"):
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
// says so. Malformed input is a *LineError; no named device returns the
// SourceData with an error wrapping ErrEmpty (--allow-empty).
func ParseNetBox(file string, data []byte) (*store.SourceData, error) {
	if err := srcCheckText(file, data, nbExpected); err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, srcBOM)
	nb := &nbReader{b: NewBuilder("netbox", "inventory"), seen: map[string]bool{}}
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
		return src, fmt.Errorf("%s: %w (expected %s with at least one named device)", file, ErrEmpty, nbExpected)
	}
	return src, nil
}

// LooksLikeNetBox reports whether data looks like NetBox devices: JSON
// with device_type objects, or CSV whose header has name and at least two
// other device fields.
func LooksLikeNetBox(data []byte) bool {
	data = bytes.TrimPrefix(data, srcBOM)
	t := bytes.TrimLeft(data, " \t\r\n")
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

// nbReader turns devices into hosts.
type nbReader struct {
	b                      *Builder
	vals                   srcValues
	seen                   map[string]bool
	unnamed, dups, complex int
}

// device adds one device: its name, primary IP and scalar attributes.
func (nb *nbReader) device(name, ip string, attrs map[string]any) {
	nb.b.Records(1)
	key := NormalizeHost(name)
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
				nb.vals.set(h, k, v)
			}
		case float64, bool:
			nb.vals.set(h, k, v)
		}
	}
}

func (nb *nbReader) finish(file string, data []byte) (*store.SourceData, error) {
	nb.vals.emit(nb.b)
	if nb.unnamed > 0 {
		nb.b.Warn(fmt.Sprintf("skipped %s without a name (unnamed devices have no host key)", srcPlural(nb.unnamed, "device")))
	}
	if nb.dups > 0 {
		nb.b.Warn(fmt.Sprintf("merged %s sharing a name with an earlier device (names are unique per site and tenant only)", srcPlural(nb.dups, "device")))
	}
	if nb.complex > 0 {
		nb.b.Warn(fmt.Sprintf("skipped %s (lists or objects)", srcPlural(nb.complex, "complex custom field value")))
	}
	return nb.b.Finish(file, data)
}

// nbStripPrefix turns "10.0.0.1/24" into "10.0.0.1".
func nbStripPrefix(ip string) string {
	ip, _, _ = strings.Cut(strings.TrimSpace(ip), "/")
	return ip
}

// nbCSVColumns maps CSV header names to attribute names.
var nbCSVColumns = map[string]string{
	"site": "site", "rack": "rack", "role": "role", "device_role": "role", "status": "status",
	"platform": "platform", "serial": "serial", "tenant": "tenant", "manufacturer": "manufacturer",
	"device_type": "device_type", "position": "position",
}

func (nb *nbReader) readCSV(file string, data []byte) error {
	r := csv.NewReader(bytes.NewReader(data))
	header, err := r.Read()
	if err != nil {
		return nbCSVErr(file, data, err)
	}
	for i := range header {
		header[i] = strings.ToLower(strings.TrimSpace(header[i]))
	}
	if !contains(header, "name") {
		return srcErrorf(file, 1, "CSV header has no name column (expected %s)", nbExpected)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return nbCSVErr(file, data, err)
		}
		line, _ := r.FieldPos(0)
		if err := nb.csvRow(file, line, header, rec); err != nil {
			return err
		}
	}
}

func (nb *nbReader) csvRow(file string, line int, header, rec []string) error {
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
				ip = nbStripPrefix(v)
			}
		case col == "position":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return srcErrorf(file, line, "position %q is not a number (expected %s)", v, nbExpected)
			}
			attrs["position"] = f
		case strings.HasPrefix(col, "cf_") && len(col) > 3:
			attrs["cf."+srcAttrName(col[3:])] = ansINIValue(v)
		case nbCSVColumns[col] != "":
			attrs[nbCSVColumns[col]] = v
		}
	}
	nb.device(name, ip, attrs)
	return nil
}

func nbCSVErr(file string, data []byte, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return srcErrorf(file, pe.Line, "invalid CSV: %v (expected %s)", pe.Err, nbExpected)
	}
	if err == io.EOF {
		return srcErrorf(file, 0, "empty input (expected %s)", nbExpected)
	}
	return srcErrorf(file, srcLastLine(data), "invalid CSV: %v (expected %s)", err, nbExpected)
}

// readJSON reads a results page, a list of devices or one device.
func (nb *nbReader) readJSON(file string, data []byte) error {
	j := &srcJSON{file: file, data: data, expected: nbExpected}
	raw, off, err := j.top()
	if err != nil {
		return err
	}
	if srcJSONKind(raw) == "an array" {
		return nb.jsonDevices(j, raw, off)
	}
	members, err := j.object(raw, off)
	if err != nil {
		return err
	}
	var page struct {
		Count   *int    `json:"count"`
		Next    *string `json:"next"`
		Results json.RawMessage
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return j.decodeErr(off, err)
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
	if _, ok := nbObjectKeys(raw)["device_type"]; !ok {
		return j.errAt(off, "an object with neither results nor device fields")
	}
	return nb.jsonDevice(j, srcJSONItem{Raw: raw, Off: off})
}

func (nb *nbReader) pageWarn(count *int, next *string) {
	if next == nil || *next == "" {
		return
	}
	total := "an unknown number of"
	if count != nil {
		total = strconv.Itoa(*count)
	}
	nb.b.Warn(fmt.Sprintf("this is one page of %s devices; the next page (%s) was not read", total, *next))
}

func nbObjectKeys(raw json.RawMessage) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	return m
}

func (nb *nbReader) jsonDevices(j *srcJSON, raw json.RawMessage, off int) error {
	if srcJSONKind(raw) == "null" {
		return nil
	}
	items, err := j.array(raw, off)
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
func (nb *nbReader) jsonDevice(j *srcJSON, it srcJSONItem) error {
	var d map[string]any
	if err := json.Unmarshal(it.Raw, &d); err != nil || d == nil {
		return j.errAt(it.Off, "device is %s, not an object", srcJSONKind(it.Raw))
	}
	name, ok := d["name"].(string)
	if d["name"] != nil && !ok {
		return j.errAt(it.Off, "device name is not a string")
	}
	attrs := map[string]any{
		"site": nbName(d["site"]), "rack": nbName(d["rack"]), "tenant": nbName(d["tenant"]),
		"platform": nbName(d["platform"]), "role": nbName(nbFirst(d["role"], d["device_role"])),
		"status": nbChoice(d["status"]), "device_type": nbName(d["device_type"]),
		"manufacturer": nbName(d["manufacturer"]), "serial": nbName(d["serial"]),
	}
	if attrs["manufacturer"] == "" {
		if dt, ok := d["device_type"].(map[string]any); ok {
			attrs["manufacturer"] = nbName(dt["manufacturer"])
		}
	}
	if p := nbNumber(d["position"]); p != nil {
		attrs["position"] = *p
	}
	nb.customFields(d["custom_fields"], attrs)
	ip := nbStripPrefix(nbAddress(nbFirst(d["primary_ip"], d["primary_ip4"], d["primary_ip6"])))
	nb.device(name, ip, attrs)
	return nil
}

func (nb *nbReader) customFields(v any, attrs map[string]any) {
	cf, _ := v.(map[string]any)
	names := make([]string, 0, len(cf))
	for k := range cf {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		switch v := cf[k].(type) {
		case string, float64, bool:
			attrs["cf."+srcAttrName(k)] = v
		case nil:
		default:
			nb.complex++
		}
	}
}

// nbFirst is the first non-null value.
func nbFirst(vs ...any) any {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}

// nbName is a string, or a nested object's name, display, display_name,
// model or slug.
func nbName(v any) string {
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

// nbChoice is a ChoiceField's value, or its lower-cased label when the
// value is not a string (NetBox 2.x).
func nbChoice(v any) string {
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

func nbAddress(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		s, _ := v["address"].(string)
		return s
	}
	return ""
}

func nbNumber(v any) *float64 {
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
