package schedule

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/fleetq/fleetq/internal/policy"
)

// ErrInvalid marks a schedule file that cannot be planned.
var ErrInvalid = errors.New("invalid schedule")

// DefaultVerbs are the verbs a week's slots gate when the file names
// none: the verbs that take a host down (reboot, rekick, firmware,
// burnin; drain and undrain only move work).
var DefaultVerbs = []string{"reboot", "rekick", "firmware", "burnin"}

// Defaults of the file's keys.
const (
	DefaultLength   = 4 * time.Hour
	DefaultCustomer = "customer"
	DefaultZone     = "UTC"
)

// Schedule is a schedule file, resolved to one week.
type Schedule struct {
	File     string
	Name     string
	Week     time.Time // Monday 00:00 in Zone
	Zone     *time.Location
	Scope    string
	Verbs    []string
	Length   time.Duration
	Customer string
	Steps    []Step
}

// End is the end of the week: the next Monday 00:00 in Zone.
func (s *Schedule) End() time.Time { return s.Week.AddDate(0, 0, 7) }

// Step is one step: a slot [Start, End) in UTC and its selections.
type Step struct {
	N          int // 1-based, in the file's order
	Name       string
	Start, End time.Time
	Takes      []Take
	Line       int
}

// Take is one selection of a step: the hosts of Expr (of the scope, not
// taken by an earlier step or selection), of which Max takes a share.
type Take struct {
	Expr string
	Max  Limit
	Line int
}

// Limit is a selection's share: every host (the zero Limit), a
// percentage, or a count.
type Limit struct {
	Pct   float64 // > 0: a percentage
	Count int     // > 0: a count
}

// String is how the file writes it: "5%", "10", "" for every host.
func (l Limit) String() string {
	switch {
	case l.Pct > 0:
		return strconv.FormatFloat(l.Pct, 'f', -1, 64) + "%"
	case l.Count > 0:
		return strconv.Itoa(l.Count)
	}
	return ""
}

// Of is how many of n matching hosts the limit takes: a percentage is
// rounded up (setops.PercentCount), so any share above 0 of a non-empty
// set takes at least one host; a count takes at most n.
func (l Limit) Of(n int) int {
	switch {
	case l.Pct > 0:
		x := l.Pct * float64(n) / 100
		if r := math.Round(x); math.Abs(x-r) <= 1e-9*math.Max(1, x) {
			x = r
		}
		return int(min(math.Ceil(x), float64(n)))
	case l.Count > 0:
		return min(l.Count, n)
	}
	return n
}

// raw is the file as decoded.
type raw struct {
	Name     string    `toml:"name"`
	Week     string    `toml:"week"`
	Zone     string    `toml:"zone"`
	Scope    string    `toml:"scope"`
	Verbs    *[]string `toml:"verbs"`
	Length   string    `toml:"length"`
	Customer string    `toml:"customer"`
	Steps    []rawStep `toml:"step"`
}

type rawStep struct {
	Start  string    `toml:"start"`
	Name   string    `toml:"name"`
	Length string    `toml:"length"`
	Expr   string    `toml:"expr"`
	Max    any       `toml:"max"`
	Takes  []rawTake `toml:"take"`
}

type rawTake struct {
	Expr string `toml:"expr"`
	Max  any    `toml:"max"`
}

// Parse reads a schedule file's text. now decides the week when the file
// names none: the first Monday after now in the file's zone.
func Parse(file string, text []byte, now time.Time) (*Schedule, error) {
	p := &parser{file: file, lines: lineIndex(string(text))}
	var r raw
	md, err := toml.NewDecoder(bytes.NewReader(text)).Decode(&r)
	if err != nil {
		return nil, p.decodeErr(err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, p.errf(p.lineOfKey(und[0]), "unknown key %q (expected %s)", und[0].String(), knownKeys(und[0]))
	}
	return p.build(&r, now)
}

type parser struct {
	file  string
	lines map[string]int
}

func (p *parser) errf(line int, format string, args ...any) error {
	where := p.file
	if line > 0 {
		where += ":" + strconv.Itoa(line)
	}
	return fmt.Errorf("%w: %s: %s", ErrInvalid, where, fmt.Sprintf(format, args...))
}

var tomlLine = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^toml: line (\d+)(?: \(last key "([^"]*)"\))?: (.*)$`)
})

// decodeErr turns the decoder's error into FILE:LINE: message.
func (p *parser) decodeErr(err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		msg := pe.Message
		if pe.LastKey != "" {
			msg = pe.LastKey + ": " + msg
		}
		return p.errf(pe.Position.Line, "%s", msg)
	}
	if m := tomlLine().FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		if m[2] != "" {
			return p.errf(n, "%s: %s", m[2], m[3])
		}
		return p.errf(n, "%s", m[3])
	}
	return p.errf(0, "%v", err)
}

func knownKeys(k toml.Key) string {
	switch {
	case len(k) >= 3 && k[0] == "step" && k[1] == "take":
		return "expr, max"
	case len(k) >= 2 && k[0] == "step":
		return "start, name, length, expr, max, [[step.take]]"
	}
	return "name, week, zone, scope, verbs, length, customer, [[step]]"
}

func (p *parser) build(r *raw, now time.Time) (*Schedule, error) {
	s := &Schedule{File: p.file, Name: r.Name, Scope: strings.TrimSpace(r.Scope), Customer: r.Customer, Length: DefaultLength}
	if err := p.header(s, r, now); err != nil {
		return nil, err
	}
	if len(r.Steps) == 0 {
		return nil, p.errf(0, "no [[step]]: a week needs at least one step")
	}
	for i := range r.Steps {
		st, err := p.step(s, i, &r.Steps[i])
		if err != nil {
			return nil, err
		}
		s.Steps = append(s.Steps, st)
	}
	return s, p.order(s)
}

var namePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.\-]*$`) })
var idPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^w?[0-9]+$`) })

func (p *parser) header(s *Schedule, r *raw, now time.Time) error {
	if s.Name != "" && (!namePattern().MatchString(s.Name) || idPattern().MatchString(s.Name)) {
		return p.errf(p.lines["name"], "name %q: expected a word of letters, digits, _ . - that is not a week id (w3)", s.Name)
	}
	if s.Scope == "" {
		return p.errf(p.lines["scope"], "scope: expected the expression of the location every host of which gets a slot (scope = 'dc = \"smf1\"')")
	}
	zone := r.Zone
	if zone == "" {
		zone = DefaultZone
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "Local" {
		return p.errf(p.lines["zone"], "zone %q: expected an IANA zone name such as Europe/Berlin, or UTC", zone)
	}
	s.Zone = loc
	if s.Week, err = parseWeek(r.Week, loc, now); err != nil {
		return p.errf(p.lines["week"], "%v", err)
	}
	if r.Length != "" {
		if s.Length, err = parseLength(r.Length); err != nil {
			return p.errf(p.lines["length"], "%v", err)
		}
	}
	if s.Customer == "" {
		s.Customer = DefaultCustomer
	}
	return p.verbs(s, r)
}

func (p *parser) verbs(s *Schedule, r *raw) error {
	if r.Verbs == nil {
		s.Verbs = slices.Clone(DefaultVerbs)
		return nil
	}
	if len(*r.Verbs) == 0 {
		return p.errf(p.lines["verbs"], "verbs = []: expected the verbs the slots gate (default %s)", strings.Join(DefaultVerbs, ", "))
	}
	for _, v := range *r.Verbs {
		if !slices.Contains(policy.Verbs, v) {
			return p.errf(p.lines["verbs"], "verbs: unknown verb %q (expected some of %s)", v, strings.Join(policy.Verbs, ", "))
		}
	}
	for _, v := range *r.Verbs {
		if !slices.Contains(s.Verbs, v) {
			s.Verbs = append(s.Verbs, v)
		}
	}
	return nil
}

// parseWeek reads "2026-12-07" (a Monday) or "2026-W50"; "" is the first
// Monday after now in loc.
func parseWeek(w string, loc *time.Location, now time.Time) (time.Time, error) {
	w = strings.TrimSpace(w)
	if w == "" {
		t := now.In(loc)
		d := (8 - int(t.Weekday())) % 7 // days to the next Monday
		if d == 0 {
			d = 7
		}
		return time.Date(t.Year(), t.Month(), t.Day()+d, 0, 0, 0, 0, loc), nil
	}
	var y, n int
	if _, err := fmt.Sscanf(strings.ToUpper(w), "%4d-W%2d", &y, &n); err == nil && len(w) == 8 {
		// ISO 8601: week 1 holds the year's first Thursday.
		jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, loc)
		mon := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
		t := mon.AddDate(0, 0, 7*(n-1))
		if ty, tn := t.AddDate(0, 0, 3).ISOWeek(); n < 1 || ty != y || tn != n {
			return time.Time{}, fmt.Errorf("week %q: %d has no ISO week %d", w, y, n)
		}
		return t, nil
	}
	d, err := time.ParseInLocation("2006-01-02", w, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("week %q: expected the week's Monday (2026-12-07) or an ISO week (2026-W50)", w)
	}
	if d.Weekday() != time.Monday {
		return time.Time{}, fmt.Errorf("week %q: %s is a %s; expected the week's Monday", w, w, d.Weekday())
	}
	return d, nil
}

func parseLength(s string) (time.Duration, error) {
	d, err := policy.ParseDuration(s)
	if err != nil || d <= 0 || d%time.Minute != 0 {
		return 0, fmt.Errorf("length %q: expected a positive duration in whole minutes (4h, 90m)", s)
	}
	return d, nil
}

var days = map[string]int{"Mon": 0, "Tue": 1, "Wed": 2, "Thu": 3, "Fri": 4, "Sat": 5, "Sun": 6}

var startPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([01][0-9]|2[0-3]):([0-5][0-9])$`)
})

func (p *parser) step(s *Schedule, i int, r *rawStep) (Step, error) {
	key := fmt.Sprintf("step[%d]", i)
	line := p.lines[key]
	st := Step{N: i + 1, Name: strings.TrimSpace(r.Name), Line: line}
	m := startPattern().FindStringSubmatch(strings.TrimSpace(r.Start))
	if m == nil {
		return st, p.errf(p.at(key+".start", line), "step %d: start %q: expected a day and a time of the week, like \"Mon 09:00\"", st.N, r.Start)
	}
	h, _ := strconv.Atoi(m[2])
	mi, _ := strconv.Atoi(m[3])
	start := time.Date(s.Week.Year(), s.Week.Month(), s.Week.Day()+days[m[1]], h, mi, 0, 0, s.Zone)
	length := s.Length
	if r.Length != "" {
		var err error
		if length, err = parseLength(r.Length); err != nil {
			return st, p.errf(p.at(key+".length", line), "step %d: %v", st.N, err)
		}
	}
	st.Start, st.End = start.UTC(), start.Add(length).UTC()
	if st.End.After(s.End()) {
		return st, p.errf(p.at(key+".length", line), "step %d: %s plus %s ends after the week (%s)", st.N, r.Start, length, s.End().Format("Mon 2006-01-02 15:04 MST"))
	}
	takes, err := p.takes(key, st.N, line, r)
	st.Takes = takes
	return st, err
}

func (p *parser) at(key string, fallback int) int {
	if l, ok := p.lines[key]; ok {
		return l
	}
	return fallback
}

func (p *parser) takes(key string, n, line int, r *rawStep) ([]Take, error) {
	if strings.TrimSpace(r.Expr) != "" || r.Max != nil {
		if len(r.Takes) > 0 {
			return nil, p.errf(p.at(key+".expr", line), "step %d: expr/max on the step and [[step.take]]: use one or the other", n)
		}
		r.Takes = []rawTake{{Expr: r.Expr, Max: r.Max}}
		return p.takeList(key, n, line, r.Takes, true)
	}
	if len(r.Takes) == 0 {
		return nil, p.errf(line, "step %d: expected expr (and max) or [[step.take]] selections", n)
	}
	return p.takeList(key, n, line, r.Takes, false)
}

func (p *parser) takeList(key string, n, line int, rs []rawTake, short bool) ([]Take, error) {
	var out []Take
	for j, r := range rs {
		k := fmt.Sprintf("%s.take[%d]", key, j)
		if short {
			k = key
		}
		tl := p.at(k, line)
		t := Take{Expr: strings.TrimSpace(r.Expr), Line: p.at(k+".expr", tl)}
		if t.Expr == "" {
			return nil, p.errf(tl, "step %d: selection %d: expected expr, the hosts it takes from", n, j+1)
		}
		var err error
		if t.Max, err = parseLimit(r.Max); err != nil {
			return nil, p.errf(p.at(k+".max", tl), "step %d: %v", n, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// parseLimit reads max: a count (5 or "5") or a percentage ("5%"); nil
// is every host.
func parseLimit(v any) (Limit, error) {
	switch v := v.(type) {
	case nil:
		return Limit{}, nil
	case int64:
		if v < 1 || v > math.MaxInt32 {
			return Limit{}, fmt.Errorf("max = %d: expected a count of at least 1, or a percentage such as \"5%%\"", v)
		}
		return Limit{Count: int(v)}, nil
	case string:
		s := strings.TrimSpace(v)
		if num, ok := strings.CutSuffix(s, "%"); ok {
			pct, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
			if err != nil || !(pct > 0 && pct <= 100) {
				return Limit{}, fmt.Errorf("max = %q: expected a percentage above 0 and at most 100", v)
			}
			return Limit{Pct: pct}, nil
		}
		if c, err := strconv.Atoi(s); err == nil {
			return parseLimit(int64(c))
		}
	}
	return Limit{}, fmt.Errorf("max = %v: expected a count (5) or a percentage (\"5%%\")", v)
}

// order checks the steps are in time order, each slot ending by the
// start of the next: one, few, many means a step is over before the
// next begins.
func (p *parser) order(s *Schedule) error {
	for i := 1; i < len(s.Steps); i++ {
		prev, st := s.Steps[i-1], s.Steps[i]
		if !st.Start.After(prev.Start) {
			return p.errf(p.at(fmt.Sprintf("step[%d].start", i), st.Line), "step %d starts at %s, not after step %d (%s): steps must be in time order",
				st.N, local(st.Start, s.Zone), prev.N, local(prev.Start, s.Zone))
		}
		if st.Start.Before(prev.End) {
			return p.errf(p.at(fmt.Sprintf("step[%d].start", i), st.Line), "step %d starts at %s, before step %d ends (%s): shorten step %d's length",
				st.N, local(st.Start, s.Zone), prev.N, local(prev.End, s.Zone), prev.N)
		}
	}
	return nil
}

func local(t time.Time, loc *time.Location) string { return t.In(loc).Format("Mon 15:04") }
