package ingest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// hdfsRecord is one decoded datanode block.
type hdfsRecord struct {
	section *hdfsSection
	name    string // "ip:port" from the Name line, the de-duplication key
	host    string // host key (Hostname)
	alts    []string
	admin   string // normal, decommissioning, ...
	set     []func(b *Builder, i int)
	notes   []string // warnings (zone assumptions)
}

// Numeric fields of a datanode block and the attributes they become. Sizes
// are "<bytes> (<human>)": only the integer is read.
var (
	hdfsByteFields = [][2]string{
		{"Configured Capacity", "hdfs.capacity_bytes"},
		{"DFS Used", "hdfs.used_bytes"},
		{"Non DFS Used", "hdfs.non_dfs_used_bytes"},
		{"DFS Remaining", "hdfs.remaining_bytes"},
		{"Configured Cache Capacity", "hdfs.cache_capacity_bytes"},
		{"Cache Used", "hdfs.cache_used_bytes"},
	}
	hdfsPctFields = [][2]string{
		{"DFS Used%", "hdfs.used_pct"},
		{"DFS Remaining%", "hdfs.remaining_pct"},
	}
	hdfsIntFields = [][2]string{
		{"Xceivers", "hdfs.xceivers"},
		{"Num of Blocks", "hdfs.num_blocks"},
	}
	hdfsTimeFields = [][2]string{
		{"Last contact", "hdfs.last_contact"},
		{"Last Block Report", "hdfs.last_block_report"},
	}
	// Fields every datanode block has since Hadoop 2; one missing means a
	// truncated or garbled block.
	hdfsRequired = []string{"Decommission Status", "Configured Capacity", "DFS Used%", "Last contact"}
)

// hdfsAdminStates maps the "Decommission Status :" text (lower-cased) to
// hdfs.admin. "decommission inprogress" is the spelling of very old releases.
var hdfsAdminStates = map[string]string{
	"normal":                   "normal",
	"decommission in progress": "decommissioning",
	"decommission inprogress":  "decommissioning",
	"decommissioned":           "decommissioned",
	"entering maintenance":     "entering_maintenance",
	"in maintenance":           "in_maintenance",
}

// hdfsDecode checks one block and turns it into a record.
func hdfsDecode(file string, blk *hdfsBlock) (*hdfsRecord, error) {
	for _, k := range hdfsRequired {
		if _, ok := blk.fields[k]; !ok {
			return nil, Errorf(file, blk.line, "datanode block has no '%s:' line (truncated or garbled report?)", k)
		}
	}
	rec := &hdfsRecord{section: blk.section}
	if err := rec.identity(file, blk); err != nil {
		return nil, err
	}
	if err := rec.adminState(file, blk.fields["Decommission Status"]); err != nil {
		return nil, err
	}
	rack := "/default-rack" // the Rack line is omitted for the default rack
	if f, ok := blk.fields["Rack"]; ok && f.value != "" {
		rack = f.value
	}
	rec.str("hdfs.rack", rack)
	if f, ok := blk.fields["Upgrade domain"]; ok && f.value != "" {
		rec.str("hdfs.upgrade_domain", f.value)
	}
	if err := rec.numbers(file, blk); err != nil {
		return nil, err
	}
	return rec, rec.times(file, blk)
}

// identity reads Name ("ip:port (rdns)") and Hostname.
func (rec *hdfsRecord) identity(file string, blk *hdfsBlock) error {
	f := blk.fields["Name"]
	addr, rdns, _ := strings.Cut(f.value, " ")
	rdns = strings.TrimSpace(rdns)
	if rdns != "" {
		if !strings.HasPrefix(rdns, "(") || !strings.HasSuffix(rdns, ")") {
			return Errorf(file, f.line, "bad Name %q, expected 'ip:port' or 'ip:port (hostname)'", cpClip(f.value))
		}
		rdns = strings.TrimSpace(rdns[1 : len(rdns)-1])
	}
	i := strings.LastIndexByte(addr, ':')
	port, err := strconv.Atoi(addr[i+1:])
	if i <= 0 || err != nil || port < 0 || port > 65535 {
		return Errorf(file, f.line, "bad Name %q, expected 'ip:port' or 'ip:port (hostname)'", cpClip(f.value))
	}
	ip := strings.TrimSuffix(strings.TrimPrefix(addr[:i], "["), "]")
	rec.name = addr
	host, hostLine := blk.fields["Hostname"].value, blk.fields["Hostname"].line
	if _, ok := blk.fields["Hostname"]; !ok { // Hadoop 1 blocks have no Hostname line
		host, hostLine = rdns, f.line
		if host == "" {
			host = ip
		}
	}
	if !cpValidHost(host) || !cpValidHost(ip) || (rdns != "" && !cpValidHost(rdns)) {
		return Errorf(file, hostLine, "bad host name %q, expected a name without spaces", cpClip(host))
	}
	rec.host, rec.alts = host, []string{ip, rdns}
	rec.str("hdfs.ip", ip)
	rec.num("hdfs.xfer_port", float64(port))
	return nil
}

func (rec *hdfsRecord) adminState(file string, f hdfsField) error {
	admin, ok := hdfsAdminStates[strings.ToLower(strings.Join(strings.Fields(f.value), " "))]
	if !ok {
		return Errorf(file, f.line, "unknown Decommission Status %q, expected Normal, Decommission in progress, Decommissioned, Entering maintenance or In maintenance", cpClip(f.value))
	}
	rec.admin = admin
	return nil
}

func (rec *hdfsRecord) numbers(file string, blk *hdfsBlock) error {
	for _, group := range []struct {
		fields [][2]string
		parse  func(string) (float64, bool)
		want   string
	}{
		{hdfsByteFields, hdfsBytes, "'<bytes> (<size>)'"},
		{hdfsPctFields, hdfsPercent, "a percentage like '44.74%'"},
		{hdfsIntFields, hdfsInt, "an integer"},
	} {
		for _, kv := range group.fields {
			f, ok := blk.fields[kv[0]]
			if !ok {
				continue
			}
			v, ok := group.parse(f.value)
			if !ok {
				return Errorf(file, f.line, "bad %s value %q, expected %s", kv[0], cpClip(f.value), group.want)
			}
			rec.num(kv[1], v)
		}
	}
	return nil
}

func (rec *hdfsRecord) times(file string, blk *hdfsBlock) error {
	for _, kv := range hdfsTimeFields {
		f, ok := blk.fields[kv[0]]
		if !ok || f.value == "Never" { // "Last Block Report: Never" for unregistered nodes
			continue
		}
		d, err := hdfsParseDate(f.value)
		if err != nil {
			return Errorf(file, f.line, "%s: %v", kv[0], err)
		}
		if d.note != "" {
			rec.notes = append(rec.notes, d.note)
		}
		name, unix := kv[1], d.unix
		rec.set = append(rec.set, func(b *Builder, i int) { b.SetTime(i, name, unix) })
	}
	return nil
}

func (rec *hdfsRecord) str(name, v string) {
	rec.set = append(rec.set, func(b *Builder, i int) { b.SetString(i, name, v) })
}

func (rec *hdfsRecord) num(name string, v float64) {
	rec.set = append(rec.set, func(b *Builder, i int) { b.SetNumber(i, name, v) })
}

// hdfsBytes reads "47999875072000 (43.66 TB)" as 47999875072000.
func hdfsBytes(s string) (float64, bool) {
	n, rest, _ := strings.Cut(s, " ")
	if rest != "" && !strings.HasPrefix(rest, "(") {
		return 0, false
	}
	return hdfsInt(n)
}

// hdfsPercent reads "44.74%" as 44.74.
func hdfsPercent(s string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	return v, err == nil && strings.HasSuffix(s, "%") && !math.IsNaN(v) && !math.IsInf(v, 0)
}

func hdfsInt(s string) (float64, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	return float64(v), err == nil && v >= 0
}

// hdfsResolve decodes every block, merges duplicates and fills b.
//
// A datanode listed twice (Live and Decommissioning, Dead and In
// maintenance) is merged by Name, and the Live/Dead listing wins because
// only it tells liveness. Two Names with one Hostname (a datanode that came
// back on a new IP while its old registration is dead) are one host: the
// live listing wins over one of unknown liveness, which wins over a dead
// one, and every IP becomes an alternative identity.
func hdfsResolve(file string, blocks []*hdfsBlock, b *Builder) error {
	var byName []*hdfsRecord
	names := map[string]int{}
	notes := map[string]bool{}
	for _, blk := range blocks {
		rec, err := hdfsDecode(file, blk)
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
	hdfsFill(hdfsPickPerHost(byName, b), b)
	return nil
}

// hdfsRank orders listings of one host: live, then unknown, then dead.
func hdfsRank(s *hdfsSection) int {
	switch s.kind {
	case "live":
		return 2
	case "dead":
		return 0
	}
	return 1
}

// hdfsPickPerHost keeps one record per host key, in first-seen order, with
// the alternative identities of all of the host's records.
func hdfsPickPerHost(recs []*hdfsRecord, b *Builder) []*hdfsRecord {
	var out []*hdfsRecord
	hosts := map[string]int{}
	for _, rec := range recs {
		key := NormalizeHost(rec.host)
		j, seen := hosts[key]
		if !seen {
			hosts[key] = len(out)
			out = append(out, rec)
			continue
		}
		b.Warn(fmt.Sprintf("hdfs: host %s is listed under two transfer addresses (%s, %s); the %s listing wins", key, out[j].name, rec.name, hdfsWinner(out[j], rec).section.kind))
		alts := append(append([]string{}, out[j].alts...), rec.alts...)
		out[j] = hdfsWinner(out[j], rec)
		out[j].alts = alts
	}
	return out
}

func hdfsWinner(a, b *hdfsRecord) *hdfsRecord {
	if hdfsRank(b.section) > hdfsRank(a.section) {
		return b
	}
	return a
}

// hdfsFill writes the chosen records into the builder.
func hdfsFill(recs []*hdfsRecord, b *Builder) {
	unknown := 0
	for _, rec := range recs {
		i := b.Host(rec.host, rec.alts...)
		for _, set := range rec.set {
			set(b, i)
		}
		b.SetString(i, "hdfs.admin", rec.admin)
		b.SetString(i, "hdfs.state", hdfsState(rec))
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

// hdfsState is hdfs.state: dead in the Dead section, in_service for a
// normal node, else the admin state.
func hdfsState(rec *hdfsRecord) string {
	switch {
	case rec.section.kind == "dead":
		return "dead"
	case rec.admin == "normal":
		return "in_service"
	}
	return rec.admin
}
