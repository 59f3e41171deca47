package hdfs

// The hdfs ingester reads `hdfs dfsadmin -report` (Hadoop 2.7 and 3.x, and
// the filtered forms -live, -dead, -decommissioning, -enteringmaintenance,
// -inmaintenance). See fixtures/SOURCES.md §1 for the format.
//
// Reading happens in two steps: reader cuts the text into sections and
// datanode blocks (syntax, line numbers, truncation checks), then
// decode turns each block into typed attributes and resolve merges
// the blocks that describe the same datanode or host.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/fleetq/fleetq/internal/ingest/source"
	"github.com/fleetq/fleetq/internal/store"
)

// Parse parses `hdfs dfsadmin -report` output. The host key is the
// `Hostname:` field; the IP of `Name: ip:port (rdns)` and the reverse-DNS
// name are alternative identities.
//
// Liveness comes only from the section a block sits in (Live/Dead). A node
// listed again under Decommissioning/Entering maintenance/In maintenance is
// de-duplicated by Name, and the Live/Dead listing wins. In a filtered
// report that has no Live/Dead section (-decommissioning) hdfs.live is
// absent and hdfs.state is the admin state.
//
// Malformed input returns a *source.LineError. A well-formed report that lists no
// datanodes (for example `-report -dead` printing "Dead datanodes (0):")
// returns the empty source together with an error wrapping source.ErrEmpty; the
// caller accepts it with --allow-empty.
func Parse(file string, data []byte) (*store.SourceData, error) {
	if line, what := source.CheckText(data); line > 0 {
		return nil, source.Errorf(file, line, "%s, expected the text output of hdfs dfsadmin -report", what)
	}
	r := &reader{file: file}
	if err := r.read(source.Lines(source.TrimBOM(data))); err != nil {
		return nil, err
	}
	b := source.NewBuilder("hdfs", "hdfs")
	if err := resolve(file, r.blocks, b); err != nil {
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
		return src, fmt.Errorf("%s: %w (expected at least one datanode block in a 'Live datanodes (N):' or 'Dead datanodes (N):' section)", file, source.ErrEmpty)
	}
	return src, nil
}

// Looks reports whether head (source.Head) starts like `hdfs dfsadmin -report`.
func Looks(head []byte) bool {
	s := string(head)
	if strings.Contains(s, "Decommission Status :") || sectionRE().MatchString(s) {
		return true
	}
	return strings.Contains(s, "Configured Capacity:") && strings.Contains(s, "DFS Used%:")
}

// sectionRE matches a section header such as "Live datanodes (5):".
var sectionRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?m)^(Live|Dead|Decommissioning|Entering maintenance|In maintenance) datanodes \((\d+)\):[ \t]*$`)
})

// isSection reports whether line is a section header (cheap test first).
func isSection(line string) bool {
	return strings.Contains(line, " datanodes (") && sectionRE().MatchString(line)
}

// section is one "<Kind> datanodes (N):" list.
type section struct {
	kind string // live, dead, decommissioning, entering_maintenance, in_maintenance
	line int    // line of the header
	want int    // N from the header
	got  int    // blocks read
}

// knowsLiveness reports whether the section says if its nodes are alive.
func (s *section) knowsLiveness() bool { return s.kind == "live" || s.kind == "dead" }

// block is one datanode block, from its "Name:" line to a blank line.
type block struct {
	section *section
	line    int // line of "Name:"
	fields  map[string]source.Field
}

// reader splits a report into sections and datanode blocks.
type reader struct {
	file     string
	sections []*section
	blocks   []*block
	cur      *block
	summary  int  // line of the summary's "Configured Capacity:", 0 if none
	ruler    bool // the "-----" line that ends the summary was seen
}

func (r *reader) read(lines []string) error {
	for i, raw := range lines {
		n, line := i+1, strings.TrimRightFunc(raw, unicode.IsSpace)
		if r.cur != nil && (line == "" || strings.HasPrefix(line, "Name:") || isSection(line)) {
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
func (r *reader) outside(n int, line string) error {
	switch {
	case line == "":
	case isSection(line):
		r.startSection(n, line)
	case strings.HasPrefix(line, "Name:"):
		return r.startBlock(n, line)
	case len(r.sections) > 0:
		if !source.LogLine(line) && line != "Safe mode is ON" {
			return source.Errorf(r.file, n, "unexpected line %q, expected a datanode block starting with 'Name: ip:port' or a section header like 'Live datanodes (N):'", source.Clip(line))
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

func (r *reader) startSection(n int, line string) {
	m := sectionRE().FindStringSubmatch(line)
	want, _ := strconv.Atoi(m[2]) // \d+; an absurd count only fails the count check
	kind := strings.ReplaceAll(strings.ToLower(m[1]), " ", "_")
	r.sections = append(r.sections, &section{kind: kind, line: n, want: want})
}

func (r *reader) startBlock(n int, line string) error {
	if len(r.sections) == 0 {
		return source.Errorf(r.file, n, "datanode block before any section header, expected a line like 'Live datanodes (N):' first")
	}
	r.cur = &block{section: r.sections[len(r.sections)-1], line: n, fields: map[string]source.Field{}}
	return r.field(n, line)
}

func (r *reader) field(n int, line string) error {
	k, v, ok := source.KeyValue(line)
	if !ok || k == "" {
		return source.Errorf(r.file, n, "unexpected line %q in the datanode block of line %d, expected 'Key: value'", source.Clip(line), r.cur.line)
	}
	r.cur.fields[k] = source.Field{Value: v, Line: n}
	return nil
}

func (r *reader) endBlock() {
	if r.cur == nil {
		return
	}
	r.cur.section.got++
	r.blocks = append(r.blocks, r.cur)
	r.cur = nil
}

// finish checks that the input was a report at all.
func (r *reader) finish(last int) error {
	if len(r.sections) == 0 {
		if r.summary == 0 {
			return source.Errorf(r.file, 1, "not hdfs dfsadmin -report output: found no 'Configured Capacity:' summary and no section header like 'Live datanodes (N):'")
		}
		if !r.ruler {
			return source.Errorf(r.file, last, "report ends inside the cluster summary (truncated?), expected a '-----' line and datanode sections")
		}
	}
	return nil
}

// checkCounts checks that every section holds as many blocks as its
// header promised. It runs after the blocks are decoded, so a block cut
// short is reported at its own line first.
func (r *reader) checkCounts() error {
	for _, s := range r.sections {
		if s.got != s.want {
			return source.Errorf(r.file, s.line, "section header promises %d datanode blocks but %d follow (truncated report?)", s.want, s.got)
		}
	}
	return nil
}
