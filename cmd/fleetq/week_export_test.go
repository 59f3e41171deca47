package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store"
	"github.com/fleetq/fleetq/internal/store/storetest"
)

// The week export tests build a small fleet through the binary, then
// record a week in its database from Go (store.Tx.CreateWeek), as
// `fleetq plan week` would, and export it through the binary.

// hostileCustomer holds every TEXT special of RFC 5545, a line break, a
// path, non-ASCII and a CSV formula, and is longer than a folded line.
var hostileCustomer = "=Evil, \"Corp\"; \\ ../../etc/passwd\nline2 東京 " + strings.Repeat("ü", 60)

// exportCustomers is the fleet: host → customer ("" for none).
var exportCustomers = map[string]string{
	"a01": "acme", "a02": "acme", "a03": "acme", "a04": "acme",
	"b01": "Acme", "b02": "Acme",
	"h01": hostileCustomer, "h02": hostileCustomer, "h03": hostileCustomer,
	"g01": "globex", "g02": "globex", "g03": "globex",
	"u01": "", "u02": "",
}

var (
	exportCreated = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	monday        = time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
)

// exportWeek is three steps and one unslotted host, g03.
func exportWeek() *store.Week {
	step := func(n int, name string, from, to time.Duration, hosts ...string) store.WeekStep {
		return store.WeekStep{N: n, Name: name, Start: monday.Add(from), End: monday.Add(to), Hosts: hosts,
			Parts: []store.WeekPart{{Expr: "all", Matched: len(hosts), Taken: len(hosts)}}}
	}
	return &store.Week{Name: "2026-w50 kernel", File: "week.toml", Scope: "all", Verbs: []string{"reboot", "drain"},
		Zone: "Europe/Berlin", Customer: "customer", Created: exportCreated, Requester: "test", Pass: 1, State: store.WeekPlanned,
		Steps: []store.WeekStep{
			step(1, "automation", 9*time.Hour, 13*time.Hour, "a01", "g01", "u01"),
			step(2, "first router", 13*time.Hour, 17*time.Hour, "a02", "a03", "b01", "h01"),
			step(3, "", 41*time.Hour, 65*time.Hour, "a04", "b02", "g02", "h02", "h03", "u02"),
		},
		Unslotted: []string{"g03"},
	}
}

func newExportFixture(t *testing.T) *actionFixture {
	f := &actionFixture{t: t, dir: t.TempDir()}
	f.db = filepath.Join(f.dir, "fleetq.db")
	f.policy = filepath.Join(f.dir, "policy.toml")
	require.NoError(t, os.WriteFile(f.policy, []byte(actionPolicy), 0o644))
	var inv bytes.Buffer
	cw := csv.NewWriter(&inv)
	require.NoError(t, cw.Write([]string{"host", "cluster", "customer"}))
	hosts := make([]string, 0, len(exportCustomers))
	for h := range exportCustomers {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	for _, h := range hosts {
		require.NoError(t, cw.Write([]string{h, "c1", exportCustomers[h]}))
	}
	cw.Flush()
	path := filepath.Join(f.dir, "inventory.csv")
	require.NoError(t, os.WriteFile(path, inv.Bytes(), 0o644))
	f.ok("ingest", path)
	t.Cleanup(func() { storetest.MustCheck(t, f.db) })
	return f
}

// createWeek records w as `fleetq plan week` would.
func createWeek(t *testing.T, path string, w *store.Week) {
	db, err := store.Open(path, store.Options{Owner: "week_export_test"})
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Update(func(tx *store.Tx) error {
		return tx.CreateWeek(w, func(w *store.Week) *store.AuditEntry {
			return &store.AuditEntry{Time: w.Created, Requester: w.Requester, Kind: store.KindRollout, Expr: w.Scope, Pass: w.Pass}
		})
	}))
}

type exportIndexJSON struct {
	Week, State, Zone string
	Attr              string `json:"customer_attr"`
	Pass              int64
	Dir               string
	Customers         []struct {
		Customer, File          string
		Hosts, Slots, Unslotted int
	}
	Hooks []struct {
		Customer, Result string
		OK               bool
	}
}

func (f *actionFixture) weekExport(args ...string) exportIndexJSON {
	f.t.Helper()
	var ix exportIndexJSON
	out := f.ok(append([]string{"week", "export", "--format", "json"}, args...)...)
	require.NoError(f.t, json.Unmarshal([]byte(out), &ix), out)
	return ix
}

// wantEvent is one event a customer's calendar must hold.
type wantEvent struct {
	step       int
	start, end time.Duration // from monday
	hosts      []string
}

var wantCalendars = map[string][]wantEvent{
	"acme":          {{1, 9 * time.Hour, 13 * time.Hour, []string{"a01"}}, {2, 13 * time.Hour, 17 * time.Hour, []string{"a02", "a03"}}, {3, 41 * time.Hour, 65 * time.Hour, []string{"a04"}}},
	"Acme":          {{2, 13 * time.Hour, 17 * time.Hour, []string{"b01"}}, {3, 41 * time.Hour, 65 * time.Hour, []string{"b02"}}},
	hostileCustomer: {{2, 13 * time.Hour, 17 * time.Hour, []string{"h01"}}, {3, 41 * time.Hour, 65 * time.Hour, []string{"h02", "h03"}}},
	"globex":        {{1, 9 * time.Hour, 13 * time.Hour, []string{"g01"}}, {3, 41 * time.Hour, 65 * time.Hour, []string{"g02"}}},
	"":              {{1, 9 * time.Hour, 13 * time.Hour, []string{"u01"}}, {3, 41 * time.Hour, 65 * time.Hour, []string{"u02"}}},
}

func TestWeekExportMultiCustomer(t *testing.T) {
	f := newExportFixture(t)
	createWeek(t, f.db, exportWeek())
	dir := filepath.Join(f.dir, "notify")
	var ix exportIndexJSON
	storetest.RequireNoChange(t, f.db, func() { ix = f.weekExport(dir) })
	assert.Equal(t, "w1", ix.Week)
	assert.Equal(t, "customer", ix.Attr)
	assert.EqualValues(t, 1, ix.Pass)
	type row struct {
		Customer                string
		Hosts, Slots, Unslotted int
	}
	var got []row
	files := map[string]string{}
	for _, c := range ix.Customers {
		got = append(got, row{c.Customer, c.Hosts, c.Slots, c.Unslotted})
		files[c.Customer] = c.File
	}
	assert.Equal(t, []row{{hostileCustomer, 3, 2, 0}, {"Acme", 2, 2, 0}, {"acme", 4, 3, 0}, {"globex", 3, 2, 1}, {"", 2, 2, 0}}, got,
		"customers in byte order, the unassigned last")
	assert.Equal(t, "globex", files["globex"])
	assert.Equal(t, "_unassigned", files[""])
	assert.Regexp(t, `^Acme~[0-9a-f]{12}$`, files["Acme"], "case twins are both hashed")
	assert.Regexp(t, `^acme~[0-9a-f]{12}$`, files["acme"])
	assert.Regexp(t, `^_Evil___Corp_____\.\._\.\._etc_passwd_line2_~[0-9a-f]{12}$`, files[hostileCustomer], "cleaned, cut to 40 octets, hashed")
	names, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, names, 2*5+2, "a .csv and a .ics per customer, _index.csv and the record, no temporary file left")
	assert.FileExists(t, filepath.Join(dir, ".fleetq-week-export.json"))

	uids := checkCalendars(t, dir, files)
	checkCustomerCSVs(t, dir, files)

	first := readDir(t, dir)
	again := f.weekExport(dir, "w1")
	assert.Equal(t, ix.Customers, again.Customers)
	assert.Equal(t, first, readDir(t, dir), "a second export writes the same bytes")
	assert.Equal(t, uids, checkCalendars(t, dir, files), "the UIDs are stable")
	other := filepath.Join(f.dir, "other")
	f.weekExport(other, "2026-w50 kernel")
	assert.Equal(t, first, readDir(t, other), "by name, into another directory: the same files")
}

func readDir(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range es {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		out[e.Name()] = string(b)
	}
	return out
}

// checkCalendars parses every customer's .ics with a real iCalendar
// parser and checks every event against wantCalendars; it returns the
// UIDs by customer.
func checkCalendars(t *testing.T, dir string, files map[string]string) map[string][]string {
	uids := map[string][]string{}
	seen := map[string]bool{}
	for customer, want := range wantCalendars {
		b, err := os.ReadFile(filepath.Join(dir, files[customer]+".ics"))
		require.NoError(t, err)
		for _, l := range strings.SplitAfter(string(b), "\r\n") {
			require.LessOrEqual(t, len(strings.TrimSuffix(l, "\r\n")), 75)
			require.True(t, l == "" || strings.HasSuffix(l, "\r\n"), "CRLF after %q", l)
		}
		cal, err := goical.NewDecoder(bytes.NewReader(b)).Decode()
		require.NoError(t, err, customer)
		require.NoError(t, goical.NewEncoder(&bytes.Buffer{}).Encode(cal), "valid: %s", customer)
		calName, err := cal.Props.Text("X-WR-CALNAME")
		require.NoError(t, err)
		assert.Equal(t, "Maintenance w1 (2026-w50 kernel): "+customerLabel(customer), calName)
		evs := cal.Events()
		require.Len(t, evs, len(want), "one event per slot of %q", customer)
		for i, ev := range evs {
			uid := checkEvent(t, customer, want[i], ev)
			assert.False(t, seen[uid], "UID %s is unique", uid)
			seen[uid] = true
			uids[customer] = append(uids[customer], uid)
		}
	}
	return uids
}

func checkEvent(t *testing.T, customer string, want wantEvent, ev goical.Event) string {
	text := func(p string) string {
		v, err := ev.Props.Text(p)
		require.NoError(t, err, p)
		return v
	}
	start, err := ev.DateTimeStart(nil)
	require.NoError(t, err)
	end, err := ev.DateTimeEnd(nil)
	require.NoError(t, err)
	assert.Equal(t, monday.Add(want.start), start, "%q step %d", customer, want.step)
	assert.Equal(t, monday.Add(want.end), end)
	assert.Equal(t, time.UTC, start.Location(), "UTC times")
	assert.Equal(t, "CONFIRMED", ev.Props.Get(goical.PropStatus).Value)
	uid := text(goical.PropUID)
	assert.Regexp(t, fmt.Sprintf(`^fleetq-week-1-%d-step-%d-([0-9a-f]{16}|unassigned)@fleetq$`, exportCreated.Unix(), want.step), uid)
	desc := text(goical.PropDescription)
	assert.Contains(t, desc, "Customer: "+customerLabel(customer)+"\n", "the raw name round-trips")
	assert.Contains(t, desc, "Actions: reboot, drain\n")
	assert.True(t, strings.HasSuffix(desc, "\n"+strings.Join(want.hosts, "\n")), "hosts at the end of %q", desc)
	assert.Contains(t, text(goical.PropSummary), fmt.Sprintf("Maintenance of %s: w1 (2026-w50 kernel) step %d", plural(len(want.hosts), "host"), want.step))
	return uid
}

// checkCustomerCSVs reads every customer's CSV: every host of the fleet
// is in exactly one, once, with its customer and its step's slot.
func checkCustomerCSVs(t *testing.T, dir string, files map[string]string) {
	week := exportWeek()
	stepOf := map[string]store.WeekStep{}
	for _, s := range week.Steps {
		for _, h := range s.Hosts {
			stepOf[h] = s
		}
	}
	seen := map[string]int{}
	for customer, file := range files {
		b, err := os.ReadFile(filepath.Join(dir, file+".csv"))
		require.NoError(t, err)
		rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		require.NoError(t, err)
		require.Equal(t, customerCSVHeader, rows[0])
		for _, r := range rows[1:] {
			seen[r[0]]++
			wantCustomer := exportCustomers[r[0]]
			if strings.HasPrefix(wantCustomer, "=") {
				wantCustomer = "'" + wantCustomer // a spreadsheet shows it as text
			}
			assert.Equal(t, wantCustomer, r[1], "host %s", r[0])
			assert.Equal(t, customer, exportCustomers[r[0]], "host %s in the file of %q", r[0], customer)
			s, slotted := stepOf[r[0]]
			if !slotted {
				assert.Equal(t, []string{"", "", "", "", "", "", "Europe/Berlin"}, r[2:9], "unslotted %s", r[0])
				continue
			}
			assert.Equal(t, []string{s.Start.Format(time.RFC3339), s.End.Format(time.RFC3339)}, r[4:6])
			assert.Equal(t, []string{s.Start.In(berlin(t)).Format(time.RFC3339), s.End.In(berlin(t)).Format(time.RFC3339), "Europe/Berlin", "reboot drain", "w1 (2026-w50 kernel)"}, r[6:])
		}
	}
	for h := range exportCustomers {
		assert.Equal(t, 1, seen[h], "host %s once", h)
	}
	assert.Len(t, seen, len(exportCustomers))
}

func berlin(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	return loc
}

func TestWeekExportErrors(t *testing.T) {
	f := newExportFixture(t)
	_, errOut, code := f.run("week", "export", filepath.Join(f.dir, "out"))
	assert.Equal(t, 1, code)
	assert.Equal(t, "fleetq: no such week: no week planned yet (fleetq plan week FILE plans one)\n", errOut)
	createWeek(t, f.db, exportWeek())

	storetest.RequireNoChange(t, f.db, func() {
		_, errOut, code = f.run("week", "export", filepath.Join(f.dir, "out"), "w9")
		assert.Equal(t, 1, code)
		assert.Equal(t, "fleetq: no such week: no week w9 (fleetq week list shows them)\n", errOut)
		_, errOut, code = f.run("week", "export", filepath.Join(f.dir, "out"), "nosuch")
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, `no week "nosuch" (fleetq week list shows them)`)

		file := filepath.Join(f.dir, "a-file")
		require.NoError(t, os.WriteFile(file, []byte("x\n"), 0o644))
		_, errOut, code = f.run("week", "export", file)
		assert.Equal(t, 1, code)
		assert.Equal(t, "fleetq: week export: "+file+" is not a directory\n", errOut)
		_, errOut, code = f.run("week", "export", filepath.Join(file, "sub"))
		assert.Equal(t, 1, code)
		assert.Equal(t, "fleetq: week export: cannot create directory "+filepath.Join(file, "sub")+": mkdir "+file+": not a directory\n", errOut)

		_, errOut, code = f.run("week", "export", "--customer", "tenant", filepath.Join(f.dir, "out"))
		assert.Equal(t, 1, code)
		assert.Equal(t, "fleetq: pass 1 has no attribute \"tenant\", the customer attribute of week w1 (--customer ATTR names another)\n", errOut)

		_, errOut, code = f.run("week", "export")
		assert.Equal(t, 2, code, errOut)
		_, errOut, code = f.run("week", "export", "d", "w1", "extra")
		assert.Equal(t, 2, code, errOut)
		assert.Contains(t, errOut, "week export takes DIR and an optional WEEK, got 3 arguments before --")
		_, errOut, code = f.run("week", "export", "d", "--")
		assert.Equal(t, 2, code, errOut)
		assert.Contains(t, errOut, "a hook program after --")
	})
	noAttr := exportWeek()
	noAttr.Customer = ""
	createWeek(t, f.db, noAttr)
	_, errOut, code = f.run("week", "export", filepath.Join(f.dir, "out"))
	assert.Equal(t, 1, code)
	assert.Equal(t, "fleetq: week w2 names no customer attribute: give --customer ATTR\n", errOut)
	_, err := os.Stat(filepath.Join(f.dir, "out"))
	assert.ErrorIs(t, err, os.ErrNotExist, "no export wrote anything")

	ix := f.weekExport(filepath.Join(f.dir, "by-cluster"), "--customer", "cluster")
	require.Len(t, ix.Customers, 1)
	assert.Equal(t, "cluster", ix.Attr)
	assert.Equal(t, "c1", ix.Customers[0].Customer)
	assert.Equal(t, []int{14, 3, 1}, []int{ix.Customers[0].Hosts, ix.Customers[0].Slots, ix.Customers[0].Unslotted})
}

func TestWeekExportUnwritableDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into a read-only directory")
	}
	f := newExportFixture(t)
	createWeek(t, f.db, exportWeek())
	dir := filepath.Join(f.dir, "ro")
	require.NoError(t, os.Mkdir(dir, 0o555))
	t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
	_, errOut, code := f.run("week", "export", dir)
	assert.Equal(t, 1, code)
	assert.Regexp(t, `^fleetq: export `+regexpQuote(dir)+`/\S+\.csv: open `+regexpQuote(dir)+`/\.export-[0-9a-f]{16}: permission denied\n$`, errOut)
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, es)
}

func regexpQuote(s string) string { return regexp.QuoteMeta(s) }

// TestWeekExportCancelledAndFallback: a cancelled week's events are
// STATUS:CANCELLED with a higher SEQUENCE and the same UIDs, so a
// re-import cancels them; a week whose pass is gone reads customers from
// the newest pass, and says so.
func TestWeekExportCancelledAndFallback(t *testing.T) {
	f := newExportFixture(t)
	w := exportWeek()
	createWeek(t, f.db, w)
	c := exportWeek()
	c.State, c.Pass, c.Created = store.WeekCancelled, 7, w.Created
	createWeek(t, f.db, c)
	dir := filepath.Join(f.dir, "out")
	out, errOut, code := f.run("week", "export", dir, "w2", "--format", "json")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "fleetq: note: pass 7, which week w2 was planned on, is gone: customers are read from pass 1\n", errOut)
	var ix exportIndexJSON
	require.NoError(t, json.Unmarshal([]byte(out), &ix))
	assert.Equal(t, "cancelled", ix.State)
	assert.EqualValues(t, 1, ix.Pass)
	b, err := os.ReadFile(filepath.Join(dir, "globex.ics"))
	require.NoError(t, err)
	cal, err := goical.NewDecoder(bytes.NewReader(b)).Decode()
	require.NoError(t, err)
	evs := cal.Events()
	require.Len(t, evs, 2)
	for i, ev := range evs {
		assert.Equal(t, "CANCELLED", ev.Props.Get(goical.PropStatus).Value)
		assert.Equal(t, "1", ev.Props.Get(goical.PropSequence).Value)
		uid, err := ev.Props.Text(goical.PropUID)
		require.NoError(t, err)
		assert.Equal(t, eventUID(c, []int{1, 3}[i], "globex"), uid)
	}
}

// TestWeekExportHook runs a hook per customer: the argv as given, the
// customer's hosts on stdin, its files and name in the environment; one
// customer's failure is named, the others still run, the exit is 1.
func TestWeekExportHook(t *testing.T) {
	f := newExportFixture(t)
	createWeek(t, f.db, exportWeek())
	runs := filepath.Join(f.dir, "runs")
	require.NoError(t, os.Mkdir(runs, 0o755))
	hook := filepath.Join(f.dir, "hook")
	require.NoError(t, os.WriteFile(hook, []byte(`#!/bin/sh
d="$1/$FLEETQ_CUSTOMER_FILE"
cat > "$d.stdin"
printf '%s' "$FLEETQ_CUSTOMER" > "$d.name"
printf '%s %s %s %s %s %s\n' "$FLEETQ_WEEK" "$FLEETQ_HOSTS" "$FLEETQ_SLOTS" "$(basename "$FLEETQ_CSV")" "$(basename "$FLEETQ_ICS")" "$2" > "$d.env"
test -f "$FLEETQ_CSV" && test -f "$FLEETQ_ICS" || exit 9
test "$FLEETQ_CUSTOMER" != globex || { echo "no mail server for globex" >&2; exit 3; }
`), 0o755))
	dir := filepath.Join(f.dir, "out")
	out, errOut, code := f.run("week", "export", dir, "--format", "json", "--", hook, runs, "two words; $(rm -rf /)")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "no mail server for globex\n")
	assert.Contains(t, errOut, `fleetq: hook `+hook+` for customer "globex": exit 3`+"\n")
	assert.True(t, strings.HasSuffix(errOut, `fleetq: hook `+hook+` failed for 1 of 4 customers: "globex"; the files are written`+"\n"), errOut)
	var ix exportIndexJSON
	require.NoError(t, json.Unmarshal([]byte(out), &ix))
	require.Len(t, ix.Hooks, 4, "not for the unassigned hosts")
	for _, h := range ix.Hooks {
		assert.Equal(t, h.Customer != "globex", h.OK, h.Customer)
	}
	for _, c := range ix.Customers {
		if c.Customer == "" {
			assert.NoFileExists(t, filepath.Join(runs, c.File+".name"))
			continue
		}
		name, err := os.ReadFile(filepath.Join(runs, c.File+".name"))
		require.NoError(t, err)
		assert.Equal(t, c.Customer, string(name), "the raw name in the environment")
		env, err := os.ReadFile(filepath.Join(runs, c.File+".env"))
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("w1 %d %d %s.csv %s.ics two words; $(rm -rf /)\n", c.Hosts, c.Slots, c.File, c.File), string(env))
		stdin, err := os.ReadFile(filepath.Join(runs, c.File+".stdin"))
		require.NoError(t, err)
		var want []string
		for _, ev := range wantCalendars[c.Customer] {
			want = append(want, ev.hosts...)
		}
		if c.Customer == "globex" {
			want = append(want, "g03")
		}
		assert.Equal(t, strings.Join(want, "\n")+"\n", string(stdin), c.Customer)
	}
}

// TestWeekExportRemovesItsStaleFiles: an export into a directory removes
// the files of the earlier export it does not write again, unless they
// were changed since; it never removes a file it did not write.
func TestWeekExportRemovesItsStaleFiles(t *testing.T) {
	f := newExportFixture(t)
	createWeek(t, f.db, exportWeek())
	acme := exportWeek()
	acme.Steps, acme.Unslotted = acme.Steps[:1], nil
	acme.Steps[0].Hosts = []string{"a01", "g01"}
	createWeek(t, f.db, acme)
	dir := filepath.Join(f.dir, "out")
	f.weekExport(dir, "w1")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "_unassigned.csv"), []byte("edited\n"), 0o644))
	ix := f.weekExport(dir, "w2")
	require.Len(t, ix.Customers, 2)
	var got []string
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range es {
		got = append(got, e.Name())
	}
	assert.Equal(t, []string{".fleetq-week-export.json", "_index.csv", "_unassigned.csv", "acme~822b33ad87c1.csv", "acme~822b33ad87c1.ics", "globex.csv", "globex.ics", "notes.txt"}, got,
		"acme keeps its hashed name: the name is taken from the week's pass, where Acme is its case twin")
}
