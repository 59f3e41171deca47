package main

import (
	"bufio"
	"slices"
	"strconv"
	"strings"
	"time"
)

// HDFS admin states, as `Decommission Status : <state>` prints them.
const (
	admNormal uint8 = iota
	admDecommissioning
	admDecommissioned
	admEnteringMaint
	admInMaint
)

var admNames = []string{"Normal", "Decommission in progress", "Decommissioned", "Entering maintenance", "In maintenance"}

// dnode is one datanode of the report: an inventory host, or one the CMDB
// does not know (h.name only, cluster -1).
type dnode struct {
	h        *host
	name     string // "ip:9866", the sort key within a section
	ip       uint32
	rack     string // "" when the node never registered
	rdns     bool
	live     bool
	adm      uint8
	never    bool // listed in the include file but never registered
	capacity int64
	fill     float64
}

// unknownHosts are datanodes HDFS reports that inventory.csv lacks (a
// host the CMDB lost): numbers from the top of the range, which new hosts
// never reach.
func (f *fleet) unknownHosts() []dnode {
	var out []dnode
	for i := range 5 {
		dc := datacenters[i%len(datacenters)].name
		num := 1
		for range f.width {
			num *= 10
		}
		h := &host{name: "dn" + pad(num-1-i, f.width) + "." + dc, salt: uint32(7919 * (i + 1))}
		d := dnode{h: h, ip: 10<<24 | 255<<16 | 255<<8 | uint32(10+i), rdns: i != 1, live: true,
			capacity: skus[0].disks * skus[0].diskBytes, fill: 0.6}
		if i != 3 {
			d.rack = "/" + dc + "-r9999"
		}
		out = append(out, d)
	}
	return out
}

// hdfsNode maps an inventory host to its datanode, if HDFS lists it.
func (f *fleet) hdfsNode(h *host) (dnode, bool) {
	c := &f.clusters[h.cluster]
	if kinds[c.kind].role != roleHadoop {
		return dnode{}, false
	}
	s := skus[h.sku]
	d := dnode{h: h, ip: f.ip(h), rack: "/" + f.racks[h.rack].name, rdns: h.salt%211 != 0,
		capacity: s.disks * s.diskBytes, fill: c.fill}
	switch h.life {
	case lifeActive:
		d.live = true
		switch {
		case h.exclude && h.salt%3 == 0:
			d.adm = admDecommissioning
		case h.salt%997 == 0:
			d.adm = admEnteringMaint
		}
	case lifeProvisioning:
		switch h.salt % 4 {
		case 0:
			d.live, d.fill = true, 0.0001
		case 1:
			d.never, d.rack, d.capacity = true, "", 0
		default:
			return dnode{}, false
		}
	case lifeRepair:
		if h.salt%2 == 0 {
			d.adm = admInMaint
		}
	case lifeDecommissioned:
		d.adm = admDecommissioned
	}
	return d, true
}

// hdfsDecommissioning says whether HDFS is draining the host, which
// YARN then shows as DECOMMISSIONING.
func (f *fleet) hdfsDecommissioning(h *host) bool {
	d, ok := f.hdfsNode(h)
	return ok && d.adm == admDecommissioning
}

// writeHDFS writes `hdfs dfsadmin -report` (Hadoop 3, unfiltered) for the
// hadoop-worker hosts plus the unknown ones, at pass time t.
func (f *fleet) writeHDFS(path string, t time.Time, pass int) error {
	var live, dead []dnode
	add := func(d dnode) {
		d.name = string(appendIP(nil, d.ip)) + ":9866"
		if d.live {
			live = append(live, d)
		} else {
			dead = append(dead, d)
		}
	}
	for _, id := range f.order {
		if d, ok := f.hdfsNode(&f.hosts[id]); ok {
			add(d)
		}
	}
	for _, d := range f.unknownHosts() {
		add(d)
	}
	byName := func(a, b dnode) int { return strings.Compare(a.name, b.name) }
	slices.SortFunc(live, byName)
	slices.SortFunc(dead, byName)
	rw := &reportWriter{t: t, pass: pass}
	return writeFile(path, func(w *bufio.Writer) error {
		rw.w = w
		rw.header(live, dead)
		rw.section("Live datanodes", live, func(dnode) bool { return true })
		rw.section("Dead datanodes", dead, func(dnode) bool { return true })
		rw.section("Decommissioning datanodes", live, func(d dnode) bool { return d.adm == admDecommissioning })
		rw.section("Entering maintenance datanodes", live, func(d dnode) bool { return d.adm == admEnteringMaint })
		rw.section("In maintenance datanodes", dead, func(d dnode) bool { return d.adm == admInMaint })
		return nil
	})
}

type reportWriter struct {
	w    *bufio.Writer
	b    []byte
	t    time.Time
	pass int
}

// usage is a node's DFS used, non-DFS used and remaining bytes.
func (rw *reportWriter) usage(d dnode) (used, nonDFS, remaining int64) {
	if d.capacity == 0 {
		return 0, 0, 0
	}
	fill := d.fill + float64(d.h.salt>>4%1000)/10000 - 0.05 + 0.0005*float64(rw.pass-1)
	fill = min(max(fill, 0), 0.95)
	if d.adm == admDecommissioned {
		fill = 0
	}
	nonDFS = int64(float64(d.capacity) * (0.02 + float64(d.h.salt>>14%100)/10000))
	used = int64(float64(d.capacity) * fill)
	return used, nonDFS, d.capacity - used - nonDFS
}

func (rw *reportWriter) header(live, dead []dnode) {
	var capacity, used, remaining, under int64
	for _, d := range live {
		u, _, r := rw.usage(d)
		capacity, used, remaining = capacity+d.capacity, used+u, remaining+r
	}
	for _, d := range dead {
		if d.adm != admDecommissioned {
			u, _, _ := rw.usage(d)
			under += u / 120795955
		}
	}
	b := rw.b[:0]
	b = appendSize(append(b, "Configured Capacity: "...), capacity)
	b = appendSize(append(b, "Present Capacity: "...), used+remaining)
	b = appendSize(append(b, "DFS Remaining: "...), remaining)
	b = appendSize(append(b, "DFS Used: "...), used)
	b = appendPercent(append(b, "DFS Used%: "...), used, used+remaining, 100)
	b = append(b, "Replicated Blocks:\n\tUnder replicated blocks: "...)
	b = strconv.AppendInt(b, under, 10)
	b = append(b, "\n\tBlocks with corrupt replicas: 0\n\tMissing blocks: 0\n\tMissing blocks (with replication factor 1): 0\n\tLow redundancy blocks with highest priority to recover: "...)
	b = strconv.AppendInt(b, under/1000, 10)
	b = append(b, "\n\tPending deletion blocks: 0\n"+
		"Erasure Coded Block Groups: \n"+
		"\tLow redundancy block groups: 0\n"+
		"\tBlock groups with corrupt internal blocks: 0\n"+
		"\tMissing block groups: 0\n"+
		"\tLow redundancy blocks with highest priority to recover: 0\n"+
		"\tPending deletion blocks: 0\n"+
		"\n-------------------------------------------------\n"...)
	rw.w.Write(b)
	rw.b = b
}

// section prints a section header and the nodes that match; nothing when
// none do (the unfiltered report omits empty sections).
func (rw *reportWriter) section(title string, nodes []dnode, keep func(dnode) bool) {
	n := 0
	for _, d := range nodes {
		n += b2i(keep(d))
	}
	if n == 0 {
		return
	}
	rw.w.WriteString(title + " (" + strconv.Itoa(n) + "):\n\n")
	for _, d := range nodes {
		if keep(d) {
			rw.node(d)
		}
	}
}

const noCache = "Configured Cache Capacity: 0 (0 B)\nCache Used: 0 (0 B)\nCache Remaining: 0 (0 B)\nCache Used%: 100.00%\nCache Remaining%: 0.00%\n"

// node prints one getDatanodeReport() block and the two blank lines after it.
func (rw *reportWriter) node(d dnode) {
	h := d.h
	used, nonDFS, remaining := rw.usage(d)
	b := append(rw.b[:0], "Name: "...)
	b = append(b, d.name...)
	if d.rdns {
		b = append(append(append(b, " ("...), h.name...), ".example.net)"...)
	}
	b = append(append(append(b, "\nHostname: "...), h.name...), '\n')
	if d.rack != "" {
		b = append(append(append(b, "Rack: "...), d.rack...), '\n')
	}
	b = append(append(append(b, "Decommission Status : "...), admNames[d.adm]...), '\n')
	b = appendSize(append(b, "Configured Capacity: "...), d.capacity)
	b = appendSize(append(b, "DFS Used: "...), used)
	b = appendSize(append(b, "Non DFS Used: "...), nonDFS)
	b = appendSize(append(b, "DFS Remaining: "...), remaining)
	b = appendPercent(append(b, "DFS Used%: "...), used, d.capacity, 100)
	b = appendPercent(append(b, "DFS Remaining%: "...), remaining, d.capacity, 0)
	b = append(b, noCache...)
	b = append(b, "Xceivers: "...)
	xceivers := 0
	if d.live {
		xceivers = int((h.salt>>9 + uint32(rw.pass)*7) % 40)
	}
	b = strconv.AppendInt(b, int64(xceivers), 10)
	b = rw.appendTimes(b, d, used)
	rw.w.Write(b)
	rw.b = b
}

// appendTimes prints Last contact, Last Block Report and Num of Blocks.
func (rw *reportWriter) appendTimes(b []byte, d dnode, used int64) []byte {
	const javaDate = "Mon Jan 02 15:04:05 MST 2006"
	b = append(b, "\nLast contact: "...)
	if d.never {
		b = append(b, "Thu Jan 01 00:00:00 UTC 1970\nLast Block Report: Never\nNum of Blocks: 0\n\n\n"...)
		return b
	}
	s := d.h.salt
	contact := rw.t.Add(-time.Duration(s%10+1) * time.Second)
	if !d.live {
		contact = rw.t.Add(-time.Duration(s%72+1)*time.Hour - time.Duration(s>>7%3600)*time.Second)
	}
	b = contact.AppendFormat(b, javaDate)
	b = append(b, "\nLast Block Report: "...)
	b = contact.Add(-time.Duration(s>>3%21600)*time.Second).AppendFormat(b, javaDate)
	b = append(b, "\nNum of Blocks: "...)
	b = strconv.AppendInt(b, used/120795955, 10)
	return append(b, "\n\n\n"...)
}

// appendSize prints "<bytes> (<human>)\n" as StringUtils.byteDesc does:
// binary prefixes labelled KB..EB, two decimals unless exact.
func appendSize(b []byte, n int64) []byte {
	b = strconv.AppendInt(b, n, 10)
	b = append(b, " ("...)
	const symbols = "KMGTPE"
	if n < 1024 {
		b = strconv.AppendInt(b, n, 10)
		return append(b, " B)\n"...)
	}
	i := 0
	for i < len(symbols) && n>>(10*(i+1)) > 0 {
		i++
	}
	shift := uint(10 * i)
	if n&(1<<shift-1) == 0 {
		b = strconv.AppendInt(b, n>>shift, 10)
	} else {
		v := float64(n) / float64(int64(1)<<shift)
		s := strconv.FormatFloat(v, 'f', 2, 64)
		if strings.HasPrefix(s, "1024") && i < len(symbols) {
			i++
			s = strconv.FormatFloat(float64(n)/float64(int64(1)<<(10*i)), 'f', 2, 64)
		}
		b = append(b, s...)
	}
	b = append(b, ' ', symbols[i-1], 'B', ')', '\n')
	return b
}

// appendPercent prints part/whole as "%.2f%%\n", or ifZero when whole is 0
// (Hadoop prints used 100.00% and remaining 0.00% for a 0-byte node).
func appendPercent(b []byte, part, whole int64, ifZero float64) []byte {
	p := ifZero
	if whole > 0 {
		p = float64(part) * 100 / float64(whole)
	}
	b = strconv.AppendFloat(b, p, 'f', 2, 64)
	return append(b, "%\n"...)
}
