package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/ingest"
	"github.com/fleetq/fleetq/internal/store"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// The status line, driven event by event with a fake clock: nothing
// before the delay, then the bar advancing inside the file with an ETA
// from the bytes, records counted when parsed, the write phase, and a
// cleared line at the end.
func TestBarProgressEvents(t *testing.T) {
	dir := t.TempDir()
	inv := filepath.Join(dir, "inv.csv")
	require.NoError(t, os.WriteFile(inv, bytes.Repeat([]byte("x"), 4<<20), 0o644))
	clock := &fakeClock{t: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}
	var w bytes.Buffer
	p := newBarProgress(&w, []string{inv}, clock.now, time.Second)

	p.begin(0, ingest.Spec{Path: inv})
	assert.Empty(t, w.String(), "nothing within the delay")

	r := p.wrap(bytes.NewReader(make([]byte, 4<<20)))
	clock.advance(2 * time.Second)
	buf := make([]byte, 8<<20)
	n, err := r.Read(buf)
	require.NoError(t, err)
	require.Equal(t, 1<<20, n, "reads are at most 1 MiB")
	assert.Equal(t, "\r\x1b[Kingest [1/1] "+shorten(inv, 32)+" reading / [#####...............]  25% 1.0 MiB/4.0 MiB ETA 6s  0 records  512.0 KiB/s  2s", w.String())

	w.Reset()
	_, err = io.ReadAll(r)
	require.NoError(t, err)
	last := lastLine(w.String())
	assert.Contains(t, last, " parsing ")
	assert.Contains(t, last, "100% 4.0 MiB/4.0 MiB  0 records")
	assert.NotContains(t, last, "ETA", "no ETA once every byte is read")

	p.end(&store.SourceData{Kind: "inventory", Records: 5000})
	assert.Contains(t, lastLine(w.String()), "  5000 records  ")
	p.writing()
	assert.Equal(t, "ingest: writing pass… 1 sources, 5000 records, 4.0 MiB  2s", lastLine(w.String()))
	w.Reset()
	p.finish()
	assert.Equal(t, "\r\x1b[K", w.String(), "the line is cleared for the summary")
	p.finish()
	assert.Equal(t, "\r\x1b[K", w.String(), "finish is idempotent")
}

// A quick ingest (done within the delay) prints nothing at all.
func TestBarProgressQuickIngestIsSilent(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	var w bytes.Buffer
	p := newBarProgress(&w, []string{"-"}, clock.now, time.Second)
	p.begin(0, ingest.Spec{Kind: "hosts", Path: "-"})
	_, _ = io.ReadAll(p.wrap(strings.NewReader("a\nb\n")))
	p.end(&store.SourceData{Records: 2})
	p.writing()
	p.finish()
	assert.Empty(t, w.String())
}

func lastLine(s string) string {
	i := strings.LastIndex(s, "\r\x1b[K")
	return s[i+len("\r\x1b[K"):]
}

// --progress=plain: one line per source into a pipe (cron logs);
// --progress=none and the default print nothing there.
func TestIngestProgressPlain(t *testing.T) {
	dir := t.TempDir()
	inv := filepath.Join(dir, "inventory.csv")
	writeBigInventory(t, inv, 5000, 0)
	hosts := filepath.Join(dir, "dead")
	require.NoError(t, os.WriteFile(hosts, []byte("h0000001.dc\nh0000002.dc\n"), 0o644))
	db := filepath.Join(dir, "f.db")

	_, errOut, code := fqBin(t, db, "ingest", "--progress=plain", inv, hosts)
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
	require.Len(t, lines, 3, errOut)
	assert.Regexp(t, "^ingest: inventory "+regexp.QuoteMeta(inv)+` 5000 records 2\d\d\.\d KiB \d+\.\ds$`, lines[0])
	assert.Regexp(t, "^ingest: hosts "+regexp.QuoteMeta(hosts)+` 2 records 24 B \d+\.\ds$`, lines[1])
	assert.Equal(t, "fleetq: created database "+db, lines[2])

	for _, mode := range []string{"--progress=none", "--progress=auto"} {
		_, errOut, code = fqBin(t, db, "ingest", mode, inv)
		require.Equal(t, 0, code, errOut)
		assert.Empty(t, errOut, mode)
	}
	_, errOut, code = fqBin(t, db, "ingest", "--progress=bar", inv)
	assert.Equal(t, 2, code)
	assert.Equal(t, "fleetq: --progress \"bar\": expected auto, plain or none\n", errOut)
}
