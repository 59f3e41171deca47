package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/fleetq/fleetq/internal/ical"
	"github.com/fleetq/fleetq/internal/store"
)

// weekExport is what fleetq week export writes: the week and, per
// customer, its hosts with their steps.
type weekExport struct {
	Week      string             `json:"week"`
	Name      string             `json:"name,omitempty"`
	State     string             `json:"state"`
	Attr      string             `json:"customer_attr"`
	Pass      int64              `json:"pass"` // the pass customers were read from
	Zone      string             `json:"zone"`
	Customers []exportedCustomer `json:"customers"`
	week      *store.Week
	zone      *time.Location
	fallback  int64    // the week's pass, when it is gone and Pass is the newest
	all       []string // every customer of the pass
}

// exportedCustomer is one customer's files and counts.
type exportedCustomer struct {
	Customer  string `json:"customer"` // "": the hosts without one
	File      string `json:"file"`     // DIR/FILE.csv and DIR/FILE.ics
	Hosts     int    `json:"hosts"`
	Slots     int    `json:"slots"`     // events in the .ics: steps holding a host of theirs
	Unslotted int    `json:"unslotted"` // hosts the week left without a slot
	steps     []customerStep
	unslotted []string
}

// customerStep is one step's hosts of one customer: one calendar event.
type customerStep struct {
	step  *store.WeekStep
	hosts []string
}

// collectWeekExport reads week ref and groups its hosts by customer.
func collectWeekExport(tx *store.Tx, ref, attr string) (*weekExport, error) {
	w, err := tx.FindWeek(ref)
	if err != nil {
		return nil, err
	}
	ex := &weekExport{Week: w.Ref(), Name: w.Name, State: w.State, Attr: attr, Zone: w.Zone, week: w}
	if ex.Attr == "" {
		ex.Attr = w.Customer
	}
	if ex.Attr == "" {
		return nil, fmt.Errorf("week %s names no customer attribute: give --customer ATTR", w.Ref())
	}
	if ex.Zone == "" {
		ex.Zone = "UTC"
	}
	if ex.zone, err = weekZone(w); err != nil {
		return nil, err
	}
	of, err := ex.customers(tx)
	if err != nil {
		return nil, err
	}
	return ex, ex.group(of)
}

// customers maps each host with a value of the customer attribute to it,
// read from the week's pass or, when it is gone, the newest.
func (ex *weekExport) customers(tx *store.Tx) (map[string]string, error) {
	p, err := tx.Pass(ex.week.Pass)
	if errors.Is(err, store.ErrNoPass) {
		ex.fallback = ex.week.Pass
		p, err = tx.Pass(0)
	}
	if err != nil {
		return nil, err
	}
	ex.Pass = p.ID()
	a, ok, err := p.Attr(ex.Attr)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("pass %d has no attribute %q, the customer attribute of week %s (--customer ATTR names another)", ex.Pass, ex.Attr, ex.Week)
	}
	of := map[string]string{}
	for _, g := range a.Groups() {
		c := g.Value.String()
		ex.all = append(ex.all, c)
		for _, h := range tx.Hosts().Names(g.Hosts) {
			of[h] = c
		}
	}
	return of, nil
}

// group fills Customers from the week's steps and unslotted hosts.
func (ex *weekExport) group(of map[string]string) error {
	by := map[string]*exportedCustomer{}
	get := func(h string) *exportedCustomer {
		c, ok := by[of[h]]
		if !ok {
			c = &exportedCustomer{Customer: of[h]}
			by[of[h]] = c
		}
		c.Hosts++
		return c
	}
	for i := range ex.week.Steps {
		s := &ex.week.Steps[i]
		for _, h := range s.Hosts {
			c := get(h)
			if n := len(c.steps); n == 0 || c.steps[n-1].step != s {
				c.steps = append(c.steps, customerStep{step: s})
			}
			c.steps[len(c.steps)-1].hosts = append(c.steps[len(c.steps)-1].hosts, h)
		}
	}
	for _, h := range ex.week.Unslotted {
		c := get(h)
		c.unslotted = append(c.unslotted, h)
	}
	names := sortedCustomers(by)
	bases, err := customerBases(names, ex.all)
	if err != nil {
		return err
	}
	ex.Customers = make([]exportedCustomer, len(names))
	for i, n := range names {
		c := by[n]
		c.File, c.Slots, c.Unslotted = bases[i], len(c.steps), len(c.unslotted)
		ex.Customers[i] = *c
	}
	return nil
}

// rfc3339 is the CSV's time form: 2026-12-07T09:00:00Z, or with the zone's
// offset.
const rfc3339 = time.RFC3339

var customerCSVHeader = []string{"host", "customer", "step", "step_name", "start_utc", "end_utc", "start_local", "end_local", "zone", "verbs", "week"}

// customerCSV writes one row per host of c: by step, then unslotted
// hosts with empty step and slot cells.
func (ex *weekExport) customerCSV(c *exportedCustomer) func(io.Writer) error {
	return func(w io.Writer) error {
		cw := newCSVWriter(w)
		cw.Write(customerCSVHeader)
		verbs := strings.Join(ex.week.Verbs, " ")
		for _, cs := range c.steps {
			s := cs.step
			for _, h := range cs.hosts {
				cw.Write([]string{h, c.Customer, strconv.Itoa(s.N), s.Name, s.Start.UTC().Format(rfc3339), s.End.UTC().Format(rfc3339),
					s.Start.In(ex.zone).Format(rfc3339), s.End.In(ex.zone).Format(rfc3339), ex.Zone, verbs, ex.week.Label()})
			}
		}
		for _, h := range c.unslotted {
			cw.Write([]string{h, c.Customer, "", "", "", "", "", "", ex.Zone, verbs, ex.week.Label()})
		}
		return cw.Error()
	}
}

// indexCSV is DIR/_index.csv: the rows of the --format csv output.
func (ex *weekExport) indexCSV(w io.Writer) error {
	cw := newCSVWriter(w)
	writeIndexCSV(cw, ex)
	return cw.Error()
}

func writeIndexCSV(cw *csvWriter, ex *weekExport) {
	cw.Write([]string{"customer", "csv", "ics", "hosts", "slots", "unslotted", "week"})
	for _, c := range ex.Customers {
		cw.Write([]string{c.Customer, c.File + ".csv", c.File + ".ics", strconv.Itoa(c.Hosts), strconv.Itoa(c.Slots), strconv.Itoa(c.Unslotted), ex.week.Label()})
	}
}

// customerICS writes c's calendar: one event per step holding a host of c.
func (ex *weekExport) customerICS(c *exportedCustomer) func(io.Writer) error {
	return func(w io.Writer) error {
		cal := &ical.Calendar{ProdID: "-//fleetq//week export//EN", Name: "Maintenance " + ex.week.Label() + ": " + customerLabel(c.Customer)}
		for _, cs := range c.steps {
			cal.Events = append(cal.Events, ex.event(c.Customer, cs))
		}
		return cal.Write(w)
	}
}

// eventUID is the UID of a customer's event for a step of a week, the
// same on every export: the week's id and planning time (so two
// databases' w1 differ), the step, and the customer's sha256 (the raw
// name may hold anything; "unassigned" for none).
func eventUID(w *store.Week, step int, customer string) string {
	who := "unassigned"
	if customer != "" {
		sum := sha256.Sum256([]byte(customer))
		who = hex.EncodeToString(sum[:8])
	}
	return fmt.Sprintf("fleetq-week-%d-%d-step-%d-%s@fleetq", w.ID, w.Created.Unix(), step, who)
}

// event is one customer's event for one step. A cancelled week's events
// are STATUS:CANCELLED with SEQUENCE 1, so a re-import cancels them.
func (ex *weekExport) event(customer string, cs customerStep) ical.Event {
	s, w := cs.step, ex.week
	e := ical.Event{
		UID: eventUID(w, s.N, customer), Stamp: w.Created, Start: s.Start, End: s.End,
		Status: "CONFIRMED", Categories: []string{"Maintenance"}, Transparent: true,
		Summary:     fmt.Sprintf("Maintenance of %s: %s step %d%s", plural(len(cs.hosts), "host"), w.Label(), s.N, stepName(s)),
		Description: ex.description(customer, cs),
	}
	if w.State == store.WeekCancelled {
		e.Status, e.Sequence, e.Summary = "CANCELLED", 1, "Cancelled: "+e.Summary
	}
	return e
}

func stepName(s *store.WeekStep) string {
	if s.Name == "" {
		return ""
	}
	return " (" + s.Name + ")"
}

// description says what happens when, and to which hosts, one per line.
func (ex *weekExport) description(customer string, cs customerStep) string {
	s, w := cs.step, ex.week
	var b strings.Builder
	fmt.Fprintf(&b, "Maintenance week %s, step %d of %d%s.\n", w.Label(), s.N, len(w.Steps), stepName(s))
	fmt.Fprintf(&b, "Customer: %s\n", customerLabel(customer))
	const day = "Mon 2006-01-02 15:04"
	fmt.Fprintf(&b, "Slot: %s to %s UTC\n", s.Start.UTC().Format(day), s.End.UTC().Format(day))
	if ex.zone != time.UTC {
		fmt.Fprintf(&b, "Slot: %s to %s %s\n", s.Start.In(ex.zone).Format(day), s.End.In(ex.zone).Format(day), ex.Zone)
	}
	if len(w.Verbs) > 0 {
		fmt.Fprintf(&b, "Actions: %s\n", strings.Join(w.Verbs, ", "))
	}
	fmt.Fprintf(&b, "Hosts (%d):\n%s", len(cs.hosts), strings.Join(cs.hosts, "\n"))
	return b.String()
}
