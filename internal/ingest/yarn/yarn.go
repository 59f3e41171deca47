package yarn

// The yarn ingester reads `yarn node -list -all` (also -showDetails, and
// `yarn node -status ID` reports, one or more). See fixtures/SOURCES.md §2.
//
// `node -list` prints "Total Nodes:N", a header and N rows of four
// TAB-separated, right-justified columns (Node-Id, Node-State,
// Node-Http-Address, Number-of-Running-Containers). Columns have minimum
// widths only, so rows are split on TAB and trimmed, never on spaces.

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/fleetq/fleetq/internal/hostkey"
	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/store"
)

// Parse parses `yarn node -list -all` output (log4j lines before or
// between the rows are skipped), `-list -showDetails` output, or one or
// more `yarn node -status` reports.
//
// The host key is the host part of the Node-Id (the NM port is ephemeral
// and changes across restarts); the Node-Http-Address host is an
// alternative identity when it differs. A host listed more than once
// (an excluded node shows as host:-1 next to its real registration) keeps
// the row with a real port over a host:-1 row, and a row in an active state
// (new, running, unhealthy, decommissioning) over an inactive one; among
// equals the first row wins, and a warning names the duplicate.
//
// Malformed input returns a *source.LineError. A listing with "Total Nodes:0"
// returns the empty source together with an error wrapping source.ErrEmpty; the
// caller accepts it with --allow-empty.
func Parse(file string, data []byte) (*store.SourceData, error) {
	if line, what := source.CheckText(data); line > 0 {
		return nil, source.Errorf(file, line, "%s, expected the text output of yarn node -list -all", what)
	}
	lines := source.Lines(source.TrimBOM(data))
	var rows []*nodeRow
	var err error
	switch start, form := findStart(lines); form {
	case "list":
		rows, err = readList(file, lines, start)
	case "status":
		rows, err = readStatus(file, lines, start)
	default:
		err = source.Errorf(file, 1, "not yarn node -list output: found no 'Total Nodes:N' line (or 'Node Report :' of yarn node -status)")
	}
	if err != nil {
		return nil, err
	}
	b := source.NewBuilder("yarn", "yarn")
	b.Records(len(rows))
	fill(pick(rows, b), b)
	src, err := b.Finish(file, data)
	if err != nil {
		return nil, err
	}
	if len(src.Hosts) == 0 {
		return src, fmt.Errorf("%s: %w (expected at least one NodeManager row after 'Total Nodes:')", file, source.ErrEmpty)
	}
	return src, nil
}

// Looks reports whether head (source.Head) starts like `yarn node -list` or
// `yarn node -status` output.
func Looks(head []byte) bool {
	s := string(head)
	if strings.Contains(s, "Total Nodes:") && strings.Contains(s, "Node-Id") && strings.Contains(s, "Node-State") {
		return true
	}
	return strings.Contains(s, "Node Report :") && strings.Contains(s, "Node-State :")
}

// states are the NodeState values (hadoop-yarn-api NodeState.java).
// Active states come from the RM's active node map, the others from its
// inactive map.
var states = map[string]bool{ // state → active
	"new": true, "running": true, "unhealthy": true, "decommissioning": true,
	"decommissioned": false, "lost": false, "shutdown": false, "rebooted": false,
}

// nodeRow is one node: a -list row (with its -showDetails lines) or a
// -status report.
type nodeRow struct {
	line     int    // line of the row (or of "Node-Id :")
	nodeID   string // host:port as printed
	host     string
	port     int
	state    string // lower-cased NodeState
	http     string // Node-Http-Address
	httpHost string
	set      []func(b *source.Builder, i int)
}

// findStart finds the first line of the listing ("Total Nodes:") or of
// a status report ("Node Report :"). Earlier lines are client log noise.
func findStart(lines []string) (int, string) {
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "Total Nodes:") {
			return i, "list"
		}
		if k, _, ok := source.KeyValue(l); ok && k == "Node Report" {
			return i, "status"
		}
	}
	return 0, ""
}

// readList reads "Total Nodes:N", the header and the rows.
func readList(file string, lines []string, start int) ([]*nodeRow, error) {
	total, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[start]), "Total Nodes:")))
	if err != nil || total < 0 {
		return nil, source.Errorf(file, start+1, "bad %q, expected 'Total Nodes:<count>'", source.Clip(lines[start]))
	}
	l := &listReader{file: file}
	for i := start + 1; i < len(lines); i++ {
		if err := l.line(i+1, lines[i]); err != nil {
			return nil, err
		}
	}
	if !l.header {
		return nil, source.Errorf(file, len(lines), "output ends before the header line (truncated?), expected 'Node-Id<TAB>Node-State<TAB>Node-Http-Address<TAB>Number-of-Running-Containers'")
	}
	if len(l.rows) != total {
		return nil, source.Errorf(file, len(lines), "'Total Nodes:%d' but %d node rows follow (truncated output?)", total, len(l.rows))
	}
	return l.rows, nil
}

// listHeader is the -list header, after splitting on TAB and trimming.
var listHeader = []string{"Node-Id", "Node-State", "Node-Http-Address", "Number-of-Running-Containers"}

// listReader is the state of reading the lines after "Total Nodes:".
type listReader struct {
	file    string
	header  bool
	details bool // inside the "Detailed Node Information :" lines of the last row
	rows    []*nodeRow
}

func (l *listReader) line(n int, raw string) error {
	raw = strings.TrimRightFunc(raw, unicode.IsSpace)
	trimmed := strings.TrimSpace(raw)
	switch {
	case trimmed == "" || source.LogLine(trimmed):
		return nil
	case !l.header:
		if !sameFields(strings.Split(raw, "\t"), listHeader) {
			return source.Errorf(l.file, n, "bad header %q, expected 'Node-Id<TAB>Node-State<TAB>Node-Http-Address<TAB>Number-of-Running-Containers'", source.Clip(trimmed))
		}
		l.header = true
	case trimmed == "Detailed Node Information :" && len(l.rows) > 0:
		l.details = true
	case l.details && strings.HasPrefix(raw, "\t"):
		return detail(l.file, n, trimmed, l.rows[len(l.rows)-1])
	default:
		l.details = false
		row, err := parseRow(l.file, n, raw)
		if err != nil {
			return err
		}
		l.rows = append(l.rows, row)
	}
	return nil
}

func sameFields(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if strings.TrimSpace(got[i]) != want[i] {
			return false
		}
	}
	return true
}

// parseRow reads "Node-Id<TAB>State<TAB>Http-Address<TAB>Containers".
func parseRow(file string, n int, raw string) (*nodeRow, error) {
	f := strings.Split(raw, "\t")
	if len(f) != 4 {
		return nil, source.Errorf(file, n, "node row has %d TAB-separated columns, expected 4 (Node-Id, Node-State, Node-Http-Address, Number-of-Running-Containers)", len(f))
	}
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	row := &nodeRow{line: n}
	if err := row.setID(file, n, f[0]); err != nil {
		return nil, err
	}
	if err := row.setState(file, n, f[1]); err != nil {
		return nil, err
	}
	if err := row.setHTTP(file, n, f[2]); err != nil {
		return nil, err
	}
	c, err := strconv.Atoi(f[3])
	if err != nil || c < 0 {
		return nil, source.Errorf(file, n, "bad Number-of-Running-Containers %q, expected a count", source.Clip(f[3]))
	}
	row.num("yarn.containers", float64(c))
	return row, nil
}

// setID reads a Node-Id, host:port (port -1 for excluded nodes).
func (row *nodeRow) setID(file string, n int, id string) error {
	host, port, ok := hostPort(id)
	if !ok || !source.IsWord(host) {
		return source.Errorf(file, n, "bad Node-Id %q, expected host:port", source.Clip(id))
	}
	row.nodeID, row.host, row.port = id, host, port
	return nil
}

func (row *nodeRow) setState(file string, n int, s string) error {
	st := strings.ToLower(s)
	if _, ok := states[st]; !ok {
		return source.Errorf(file, n, "unknown Node-State %q, expected one of NEW, RUNNING, UNHEALTHY, DECOMMISSIONING, DECOMMISSIONED, LOST, SHUTDOWN, REBOOTED", source.Clip(s))
	}
	row.state = st
	return nil
}

func (row *nodeRow) setHTTP(file string, n int, addr string) error {
	host, _, ok := hostPort(addr)
	if !ok || !source.IsWord(host) {
		return source.Errorf(file, n, "bad Node-Http-Address %q, expected host:port", source.Clip(addr))
	}
	row.http, row.httpHost = addr, host
	return nil
}

// hostPort splits "host:port" at the last colon; port may be -1.
// "[v6]:port" loses its brackets.
func hostPort(s string) (string, int, bool) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return "", 0, false
	}
	port, err := strconv.Atoi(s[i+1:])
	if err != nil || port < -1 || port > 65535 {
		return "", 0, false
	}
	host := strings.TrimSuffix(strings.TrimPrefix(s[:i], "["), "]")
	return host, port, host != ""
}

func (row *nodeRow) num(name string, v float64) {
	row.set = append(row.set, func(b *source.Builder, i int) { b.SetNumber(i, name, v) })
}

func (row *nodeRow) str(name, v string) {
	row.set = append(row.set, func(b *source.Builder, i int) { b.SetString(i, name, v) })
}

// rank orders duplicate rows of one host: a host:-1 placeholder, then
// inactive states, then active states.
func rank(r *nodeRow) int {
	switch {
	case r.port == -1:
		return 0
	case !states[r.state]:
		return 1
	}
	return 2
}

// pick keeps one row per host key, in first-seen order.
func pick(rows []*nodeRow, b *source.Builder) []*nodeRow {
	var out []*nodeRow
	index := map[string]int{}
	dups := map[string]int{}
	for _, r := range rows {
		key := hostkey.Normalize(r.host)
		j, seen := index[key]
		if !seen {
			index[key] = len(out)
			out = append(out, r)
			continue
		}
		dups[key]++
		if rank(r) > rank(out[j]) {
			out[j] = r
		}
	}
	for _, r := range out {
		if n := dups[hostkey.Normalize(r.host)]; n > 0 {
			b.Warn(fmt.Sprintf("yarn: host %s is listed %d times; using Node-Id %s (%s) from line %d", hostkey.Normalize(r.host), n+1, r.nodeID, r.state, r.line))
		}
	}
	return out
}

// fill writes the chosen rows into the builder.
func fill(rows []*nodeRow, b *source.Builder) {
	for _, r := range rows {
		var alt []string
		if r.httpHost != "" && !strings.EqualFold(r.httpHost, r.host) {
			alt = append(alt, r.httpHost)
		}
		i := b.Host(r.host, alt...)
		b.SetString(i, "yarn.state", r.state)
		b.SetString(i, "yarn.node_id", r.nodeID)
		if r.http != "" {
			b.SetString(i, "yarn.http_address", r.http)
		}
		for _, set := range r.set {
			set(b, i)
		}
	}
}
