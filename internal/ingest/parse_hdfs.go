package ingest

// The hdfs ingester reads `hdfs dfsadmin -report` (Hadoop 2.7 and 3.x, and
// the filtered forms -live, -dead, -decommissioning, -enteringmaintenance,
// -inmaintenance). See fixtures/SOURCES.md §1 for the format.
//
// Reading happens in two steps: hdfsReader cuts the text into sections and
// datanode blocks (syntax, line numbers, truncation checks), then
// hdfsDecode turns each block into typed attributes and hdfsResolve merges
// the blocks that describe the same datanode or host.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/fleetq/fleetq/internal/store"
)

// ParseHDFS parses `hdfs dfsadmin -report` output. The host key is the
// `Hostname:` field; the IP of `Name: ip:port (rdns)` and the reverse-DNS
// name are alternative identities.
//
// Liveness comes only from the section a block sits in (Live/Dead). A node
// listed again under Decommissioning/Entering maintenance/In maintenance is
// de-duplicated by Name, and the Live/Dead listing wins. In a filtered
// report that has no Live/Dead section (-decommissioning) hdfs.live is
// absent and hdfs.state is the admin state.
//
// Malformed input returns a *LineError. A well-formed report that lists no
// datanodes (for example `-report -dead` printing "Dead datanodes (0):")
// returns the empty source together with an error wrapping ErrEmpty; the
// caller accepts it with --allow-empty.
func ParseHDFS(file string, data []byte) (*store.SourceData, error) {
	if line, what := cpCheckText(data); line > 0 {
		return nil, Errorf(file, line, "%s, expected the text output of hdfs dfsadmin -report", what)
	}
	r := &hdfsReader{file: file}
	if err := r.read(cpLines(data)); err != nil {
		return nil, err
	}
	b := NewBuilder("hdfs", "hdfs")
	if err := hdfsResolve(file, r.blocks, b); err != nil {
		return nil, err
	}
	if err := r.checkCounts(); err != nil {
		return nil, err
	}
	src, err := b.Finish(file, data)
	if err != nil {
		return nil, err
	}
	if len(src.Hosts) == 0 {
		return src, fmt.Errorf("%s: %w (expected at least one datanode block in a 'Live datanodes (N):' or 'Dead datanodes (N):' section)", file, ErrEmpty)
	}
	return src, nil
}

// LooksLikeHDFS reports whether data starts like `hdfs dfsadmin -report`.
func LooksLikeHDFS(data []byte) bool {
	head := string(cpHead(data))
	if strings.Contains(head, "Decommission Status :") || hdfsSectionRE.MatchString(head) {
		return true
	}
	return strings.Contains(head, "Configured Capacity:") && strings.Contains(head, "DFS Used%:")
}

// hdfsSectionRE matches a section header such as "Live datanodes (5):".
var hdfsSectionRE = regexp.MustCompile(`(?m)^(Live|Dead|Decommissioning|Entering maintenance|In maintenance) datanodes \((\d+)\):[ \t]*$`)

// hdfsIsSection reports whether line is a section header (cheap test first).
func hdfsIsSection(line string) bool {
	return strings.Contains(line, " datanodes (") && hdfsSectionRE.MatchString(line)
}

// hdfsSection is one "<Kind> datanodes (N):" list.
type hdfsSection struct {
	kind string // live, dead, decommissioning, entering_maintenance, in_maintenance
	line int    // line of the header
	want int    // N from the header
	got  int    // blocks read
}

// knowsLiveness reports whether the section says if its nodes are alive.
func (s *hdfsSection) knowsLiveness() bool { return s.kind == "live" || s.kind == "dead" }

// hdfsField is one "Key: value" line of a datanode block.
type hdfsField struct {
	value string
	line  int
}

// hdfsBlock is one datanode block, from its "Name:" line to a blank line.
type hdfsBlock struct {
	section *hdfsSection
	line    int // line of "Name:"
	fields  map[string]hdfsField
}

// hdfsReader splits a report into sections and datanode blocks.
type hdfsReader struct {
	file     string
	sections []*hdfsSection
	blocks   []*hdfsBlock
	cur      *hdfsBlock
	summary  int  // line of the summary's "Configured Capacity:", 0 if none
	ruler    bool // the "-----" line that ends the summary was seen
}

func (r *hdfsReader) read(lines []string) error {
	for i, raw := range lines {
		n, line := i+1, strings.TrimRightFunc(raw, unicode.IsSpace)
		if r.cur != nil && (line == "" || strings.HasPrefix(line, "Name:") || hdfsIsSection(line)) {
			r.endBlock()
		}
		if r.cur != nil {
			if err := r.field(n, line); err != nil {
				return err
			}
			continue
		}
		if err := r.outside(n, line); err != nil {
			return err
		}
	}
	r.endBlock()
	return r.finish(len(lines))
}

// outside handles a line that is not inside a datanode block.
func (r *hdfsReader) outside(n int, line string) error {
	switch {
	case line == "":
	case hdfsIsSection(line):
		r.startSection(n, line)
	case strings.HasPrefix(line, "Name:"):
		return r.startBlock(n, line)
	case len(r.sections) > 0:
		if !cpLogLine(line) && line != "Safe mode is ON" {
			return Errorf(r.file, n, "unexpected line %q, expected a datanode block starting with 'Name: ip:port' or a section header like 'Live datanodes (N):'", cpClip(line))
		}
	case strings.HasPrefix(line, "Configured Capacity:") && r.summary == 0:
		r.summary = n
	case strings.HasPrefix(line, "-----") && r.summary > 0:
		r.ruler = true
	}
	// Anything else before the first section is the cluster summary or
	// noise around it (log4j lines, "Safe mode is ON", WARNING text).
	return nil
}

func (r *hdfsReader) startSection(n int, line string) {
	m := hdfsSectionRE.FindStringSubmatch(line)
	want, _ := strconv.Atoi(m[2]) // \d+; an absurd count only fails the count check
	kind := strings.ReplaceAll(strings.ToLower(m[1]), " ", "_")
	r.sections = append(r.sections, &hdfsSection{kind: kind, line: n, want: want})
}

func (r *hdfsReader) startBlock(n int, line string) error {
	if len(r.sections) == 0 {
		return Errorf(r.file, n, "datanode block before any section header, expected a line like 'Live datanodes (N):' first")
	}
	r.cur = &hdfsBlock{section: r.sections[len(r.sections)-1], line: n, fields: map[string]hdfsField{}}
	return r.field(n, line)
}

func (r *hdfsReader) field(n int, line string) error {
	k, v, ok := cpKeyValue(line)
	if !ok || k == "" {
		return Errorf(r.file, n, "unexpected line %q in the datanode block of line %d, expected 'Key: value'", cpClip(line), r.cur.line)
	}
	r.cur.fields[k] = hdfsField{value: v, line: n}
	return nil
}

func (r *hdfsReader) endBlock() {
	if r.cur == nil {
		return
	}
	r.cur.section.got++
	r.blocks = append(r.blocks, r.cur)
	r.cur = nil
}

// finish checks that the input was a report at all.
func (r *hdfsReader) finish(last int) error {
	if len(r.sections) == 0 {
		if r.summary == 0 {
			return Errorf(r.file, 1, "not hdfs dfsadmin -report output: found no 'Configured Capacity:' summary and no section header like 'Live datanodes (N):'")
		}
		if !r.ruler {
			return Errorf(r.file, last, "report ends inside the cluster summary (truncated?), expected a '-----' line and datanode sections")
		}
	}
	return nil
}

// checkCounts checks that every section holds as many blocks as its
// header promised. It runs after the blocks are decoded, so a block cut
// short is reported at its own line first.
func (r *hdfsReader) checkCounts() error {
	for _, s := range r.sections {
		if s.got != s.want {
			return Errorf(r.file, s.line, "section header promises %d datanode blocks but %d follow (truncated report?)", s.want, s.got)
		}
	}
	return nil
}
