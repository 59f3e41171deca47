package hdfs

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/fleetq/fleetq/internal/hostkey"
	"github.com/fleetq/fleetq/internal/ingest/source"
)

// record is one decoded datanode block.
type record struct {
	section *section
	name    string // "ip:port" from the Name line, the de-duplication key
	host    string // host key (Hostname)
	alts    []string
	admin   string // normal, decommissioning, ...
	set     []func(b *source.Builder, i int)
	notes   []string // warnings (zone assumptions)
}

// Numeric fields of a datanode block and the attributes they become. Sizes
// are "<bytes> (<human>)": only the integer is read.
var (
	byteFields = [][2]string{
		{"Configured Capacity", "hdfs.capacity_bytes"},
		{"DFS Used", "hdfs.used_bytes"},
		{"Non DFS Used", "hdfs.non_dfs_used_bytes"},
		{"DFS Remaining", "hdfs.remaining_bytes"},
		{"Configured Cache Capacity", "hdfs.cache_capacity_bytes"},
		{"Cache Used", "hdfs.cache_used_bytes"},
	}
	pctFields = [][2]string{
		{"DFS Used%", "hdfs.used_pct"},
		{"DFS Remaining%", "hdfs.remaining_pct"},
	}
	intFields = [][2]string{
		{"Xceivers", "hdfs.xceivers"},
		{"Num of Blocks", "hdfs.num_blocks"},
	}
	timeFields = [][2]string{
		{"Last contact", "hdfs.last_contact"},
		{"Last Block Report", "hdfs.last_block_report"},
	}
	// Fields every datanode block has since Hadoop 2; one missing means a
	// truncated or garbled block.
	required = []string{"Decommission Status", "Configured Capacity", "DFS Used%", "Last contact"}
)

// adminStates maps the "Decommission Status :" text (lower-cased) to
// hdfs.admin. "decommission inprogress" is the spelling of very old releases.
var adminStates = map[string]string{
	"normal":                   "normal",
	"decommission in progress": "decommissioning",
	"decommission inprogress":  "decommissioning",
	"decommissioned":           "decommissioned",
	"entering maintenance":     "entering_maintenance",
	"in maintenance":           "in_maintenance",
}

// decode checks one block and turns it into a record.
func decode(file string, blk *block) (*record, error) {
	for _, k := range required {
		if _, ok := blk.fields[k]; !ok {
			return nil, source.Errorf(file, blk.line, "datanode block has no '%s:' line (truncated or garbled report?)", k)
		}
	}
	rec := &record{section: blk.section}
	if err := rec.identity(file, blk); err != nil {
		return nil, err
	}
	if err := rec.adminState(file, blk.fields["Decommission Status"]); err != nil {
		return nil, err
	}
	rack := "/default-rack" // the Rack line is omitted for the default rack
	if f, ok := blk.fields["Rack"]; ok && f.Value != "" {
		rack = f.Value
	}
	rec.str("hdfs.rack", rack)
	if f, ok := blk.fields["Upgrade domain"]; ok && f.Value != "" {
		rec.str("hdfs.upgrade_domain", f.Value)
	}
	if err := rec.numbers(file, blk); err != nil {
		return nil, err
	}
	return rec, rec.times(file, blk)
}

// identity reads Name ("ip:port (rdns)") and Hostname.
func (rec *record) identity(file string, blk *block) error {
	f := blk.fields["Name"]
	addr, rdns, _ := strings.Cut(f.Value, " ")
	rdns = strings.TrimSpace(rdns)
	if rdns != "" {
		if !strings.HasPrefix(rdns, "(") || !strings.HasSuffix(rdns, ")") {
			return source.Errorf(file, f.Line, "bad Name %q, expected 'ip:port' or 'ip:port (hostname)'", source.Clip(f.Value))
		}
		rdns = strings.TrimSpace(rdns[1 : len(rdns)-1])
	}
	i := strings.LastIndexByte(addr, ':')
	port, err := strconv.Atoi(addr[i+1:])
	if i <= 0 || err != nil || port < 0 || port > 65535 {
		return source.Errorf(file, f.Line, "bad Name %q, expected 'ip:port' or 'ip:port (hostname)'", source.Clip(f.Value))
	}
	ip := strings.TrimSuffix(strings.TrimPrefix(addr[:i], "["), "]")
	rec.name = addr
	host, hostLine := blk.fields["Hostname"].Value, blk.fields["Hostname"].Line
	if _, ok := blk.fields["Hostname"]; !ok { // Hadoop 1 blocks have no Hostname line
		host, hostLine = rdns, f.Line
		if host == "" {
			host = ip
		}
	}
	if !source.IsWord(host) || !source.IsWord(ip) || (rdns != "" && !source.IsWord(rdns)) {
		return source.Errorf(file, hostLine, "bad host name %q, expected a name without spaces", source.Clip(host))
	}
	rec.host, rec.alts = host, []string{ip, rdns}
	rec.str("hdfs.ip", ip)
	rec.num("hdfs.xfer_port", float64(port))
	return nil
}

func (rec *record) adminState(file string, f source.Field) error {
	admin, ok := adminStates[strings.ToLower(strings.Join(strings.Fields(f.Value), " "))]
	if !ok {
		return source.Errorf(file, f.Line, "unknown Decommission Status %q, expected Normal, Decommission in progress, Decommissioned, Entering maintenance or In maintenance", source.Clip(f.Value))
	}
	rec.admin = admin
	return nil
}

func (rec *record) numbers(file string, blk *block) error {
	for _, group := range []struct {
		fields [][2]string
		parse  func(string) (float64, bool)
		want   string
	}{
		{byteFields, parseBytes, "'<bytes> (<size>)'"},
		{pctFields, parsePercent, "a percentage like '44.74%'"},
		{intFields, parseInt, "an integer"},
	} {
		for _, kv := range group.fields {
			f, ok := blk.fields[kv[0]]
			if !ok {
				continue
			}
			v, ok := group.parse(f.Value)
			if !ok {
				return source.Errorf(file, f.Line, "bad %s value %q, expected %s", kv[0], source.Clip(f.Value), group.want)
			}
			rec.num(kv[1], v)
		}
	}
	return nil
}

func (rec *record) times(file string, blk *block) error {
	for _, kv := range timeFields {
		f, ok := blk.fields[kv[0]]
		if !ok || f.Value == "Never" { // "Last Block Report: Never" for unregistered nodes
			continue
		}
		d, err := parseDate(f.Value)
		if err != nil {
			return source.Errorf(file, f.Line, "%s: %v", kv[0], err)
		}
		if d.note != "" {
			rec.notes = append(rec.notes, d.note)
		}
		name, unix := kv[1], d.unix
		rec.set = append(rec.set, func(b *source.Builder, i int) { b.SetTime(i, name, unix) })
	}
	return nil
}

func (rec *record) str(name, v string) {
	rec.set = append(rec.set, func(b *source.Builder, i int) { b.SetString(i, name, v) })
}

func (rec *record) num(name string, v float64) {
	rec.set = append(rec.set, func(b *source.Builder, i int) { b.SetNumber(i, name, v) })
}

// parseBytes reads "47999875072000 (43.66 TB)" as 47999875072000.
func parseBytes(s string) (float64, bool) {
	n, rest, _ := strings.Cut(s, " ")
	if rest != "" && !strings.HasPrefix(rest, "(") {
		return 0, false
	}
	return parseInt(n)
}

// parsePercent reads "44.74%" as 44.74.
func parsePercent(s string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	return v, err == nil && strings.HasSuffix(s, "%") && !math.IsNaN(v) && !math.IsInf(v, 0)
}

func parseInt(s string) (float64, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	return float64(v), err == nil && v >= 0
}

// resolve decodes every block, merges duplicates and fills b.
//
// A datanode listed twice (Live and Decommissioning, Dead and In
// maintenance) is merged by Name, and the Live/Dead listing wins because
// only it tells liveness. Two Names with one Hostname (a datanode that came
// back on a new IP while its old registration is dead) are one host: the
// live listing wins over one of unknown liveness, which wins over a dead
// one, and every IP becomes an alternative identity.
func resolve(file string, blocks []*block, b *source.Builder) error {
	var byName []*record
	names := map[string]int{}
	notes := map[string]bool{}
	for _, blk := range blocks {
		rec, err := decode(file, blk)
		if err != nil {
			return err
		}
		for _, n := range rec.notes {
			if !notes[n] {
				notes[n] = true
				b.Warn(n)
			}
		}
		j, seen := names[rec.name]
		switch {
		case !seen:
			names[rec.name] = len(byName)
			byName = append(byName, rec)
		case rec.section.knowsLiveness() && !byName[j].section.knowsLiveness():
			byName[j] = rec
		}
	}
	b.Records(len(blocks))
	fill(pickPerHost(byName, b), b)
	return nil
}

// rank orders listings of one host: live, then unknown, then dead.
func rank(s *section) int {
	switch s.kind {
	case "live":
		return 2
	case "dead":
		return 0
	}
	return 1
}

// pickPerHost keeps one record per host key, in first-seen order, with
// the alternative identities of all of the host's records.
func pickPerHost(recs []*record, b *source.Builder) []*record {
	var out []*record
	hosts := map[string]int{}
	for _, rec := range recs {
		key := hostkey.Normalize(rec.host)
		j, seen := hosts[key]
		if !seen {
			hosts[key] = len(out)
			out = append(out, rec)
			continue
		}
		b.Warn(fmt.Sprintf("hdfs: host %s is listed under two transfer addresses (%s, %s); the %s listing wins", key, out[j].name, rec.name, winner(out[j], rec).section.kind))
		alts := append(append([]string{}, out[j].alts...), rec.alts...)
		out[j] = winner(out[j], rec)
		out[j].alts = alts
	}
	return out
}

func winner(a, b *record) *record {
	if rank(b.section) > rank(a.section) {
		return b
	}
	return a
}

// fill writes the chosen records into the builder.
func fill(recs []*record, b *source.Builder) {
	unknown := 0
	for _, rec := range recs {
		i := b.Host(rec.host, rec.alts...)
		for _, set := range rec.set {
			set(b, i)
		}
		b.SetString(i, "hdfs.admin", rec.admin)
		b.SetString(i, "hdfs.state", state(rec))
		if rec.section.knowsLiveness() {
			b.SetBool(i, "hdfs.live", rec.section.kind == "live")
		} else {
			unknown++
		}
	}
	if unknown > 0 {
		b.Warn(fmt.Sprintf("hdfs: filtered report without a Live/Dead section: hdfs.live is unknown for %d datanodes", unknown))
	}
}

// state is hdfs.state: dead in the Dead section, in_service for a
// normal node, else the admin state.
func state(rec *record) string {
	switch {
	case rec.section.kind == "dead":
		return "dead"
	case rec.admin == "normal":
		return "in_service"
	}
	return rec.admin
}
