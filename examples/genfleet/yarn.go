package main

import (
	"bufio"
	"strconv"
)

// yarnRow is one line of `yarn node -list -all`.
type yarnRow struct {
	host       string
	port       string // "45454", or "-1" for an excluded node
	state      string
	containers int
}

// yarnRow maps a hadoop-worker host to its NodeManager, if YARN lists it.
func (f *fleet) yarnRow(h *host, pass int) (yarnRow, bool) {
	if !f.isHadoop(h) {
		return yarnRow{}, false
	}
	row := yarnRow{host: h.name, port: "45454"}
	switch h.life {
	case lifeActive:
		switch {
		case f.hdfsDecommissioning(h):
			row.state, row.containers = "DECOMMISSIONING", int(h.salt%8)
		case !h.responsive && h.salt%2 == 0:
			row.state = "UNHEALTHY"
		case !h.responsive:
			row.state = "LOST"
		default:
			row.state, row.containers = "RUNNING", int((h.salt>>5+uint32(pass))%48)
		}
	case lifeProvisioning:
		switch h.salt % 4 {
		case 0:
			row.state = "RUNNING"
		case 2:
			row.state = "NEW"
		default:
			return yarnRow{}, false
		}
	case lifeDead:
		row.state = "LOST"
	case lifeRepair:
		row.state = "DECOMMISSIONED"
		if h.salt%2 == 0 {
			row.state = "SHUTDOWN"
		}
	case lifeDecommissioned:
		row.state, row.port = "DECOMMISSIONED", "-1"
	}
	return row, true
}

// inactive says whether the ResourceManager keeps the node in its inactive
// map, which `-list -all` prints after the active one.
func (r yarnRow) inactive() bool {
	switch r.state {
	case "DECOMMISSIONED", "LOST", "SHUTDOWN", "REBOOTED":
		return true
	}
	return false
}

// writeYARN writes `yarn node -list -all` for the hadoop-worker hosts and
// the hosts HDFS knows but the inventory does not.
func (f *fleet) writeYARN(path string, pass int) error {
	var active, inactive []yarnRow
	for _, id := range f.order {
		if r, ok := f.yarnRow(&f.hosts[id], pass); ok {
			if r.inactive() {
				inactive = append(inactive, r)
			} else {
				active = append(active, r)
			}
		}
	}
	for _, d := range f.unknownHosts() {
		active = append(active, yarnRow{host: d.h.name, port: "45454", state: "RUNNING", containers: 12})
	}
	return writeFile(path, func(w *bufio.Writer) error {
		w.WriteString("Total Nodes:" + strconv.Itoa(len(active)+len(inactive)) + "\n")
		w.WriteString("         Node-Id\t     Node-State\tNode-Http-Address\tNumber-of-Running-Containers\n")
		b := make([]byte, 0, 256)
		for _, rows := range [][]yarnRow{active, inactive} {
			for _, r := range rows {
				b = r.append(b[:0])
				if _, err := w.Write(b); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// append formats the row with NodeCLI's "%16s\t%15s\t%17s\t%28s".
func (r yarnRow) append(b []byte) []byte {
	httpPort := "8042"
	if r.port == "-1" {
		httpPort = "-1"
	}
	b = appendRight(b, 16, r.host, ":", r.port)
	b = appendRight(append(b, '\t'), 15, r.state, "", "")
	b = appendRight(append(b, '\t'), 17, r.host, ":", httpPort)
	b = appendRight(append(b, '\t'), 28, strconv.Itoa(r.containers), "", "")
	return append(b, '\n')
}

// appendRight right-justifies a+b+c to a minimum width, never truncating.
func appendRight(b []byte, width int, a, sep, c string) []byte {
	for n := len(a) + len(sep) + len(c); n < width; n++ {
		b = append(b, ' ')
	}
	return append(append(append(b, a...), sep...), c...)
}
