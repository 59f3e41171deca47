package ingest

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/hostkey"
)

// readStdin reads text as standard input of kind with lim (a host list
// named x).
func readStdin(kind, text string, lim Limits) error {
	_, err := Read(Spec{Kind: kind, Name: "x", Path: "-"}, Options{Stdin: strings.NewReader(text), Limits: lim})
	return err
}

// endless is a reader that never ends: what /dev/zero or a hostile pipe
// gives. It counts what was read from it.
type endless struct {
	b    byte
	read int64
}

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = e.b
	}
	e.read += int64(len(p))
	return len(p), nil
}

func TestBoundsStopReading(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind string
		b    byte
		lim  Limits
		err  error
		msg  string
		most int64 // bytes read at most
	}{
		{"zeros past the source bound", "inventory", 0, Limits{SourceBytes: 1000}, ErrSourceTooLarge,
			"<stdin>: source too large: more than 1000 bytes, the bound is 1000 bytes (change it with --max-source-bytes)", 1001},
		{"zeros at the line bound", "hosts", 0, Limits{}, ErrLineTooLong,
			"<stdin>:1: line too long: more than 1048576 bytes without a newline, the bound is 1 MiB (change it with --max-line-bytes)", 2 << 20},
		{"one endless line", "inventory", 'a', Limits{LineBytes: 4096}, ErrLineTooLong,
			"<stdin>:1: line too long: more than 4096 bytes without a newline, the bound is 4 KiB (change it with --max-line-bytes)", 64 << 10},
		{"an endless JSON document is bounded by size", "prom", '[', Limits{SourceBytes: 4 << 20}, ErrSourceTooLarge,
			"<stdin>: source too large: more than 4194304 bytes, the bound is 4 MiB (change it with --max-source-bytes)", 4<<20 + 1},
		{"inventory JSON is JSON lines", "inventory", '{', Limits{}, ErrLineTooLong,
			"<stdin>:1: line too long: more than 1048576 bytes without a newline, the bound is 1 MiB (change it with --max-line-bytes)", 2 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &endless{b: tc.b}
			_, err := Read(Spec{Kind: tc.kind, Name: "x", Path: "-"}, Options{Stdin: src, Limits: tc.lim})
			require.ErrorIs(t, err, tc.err)
			assert.EqualError(t, err, tc.msg)
			assert.LessOrEqual(t, src.read, tc.most, "reading stops at the bound")
		})
	}
}

func TestLineBoundCountsLines(t *testing.T) {
	text := "web01\nweb02\n" + strings.Repeat("w", 100) + "\nweb04\n"
	err := readStdin("hosts", text, Limits{LineBytes: 99})
	require.ErrorIs(t, err, ErrLineTooLong)
	assert.ErrorContains(t, err, "<stdin>:3: line too long")
	require.NoError(t, readStdin("hosts", "web01\nweb02\n", Limits{LineBytes: 5}), "a line of exactly the bound is fine")
	require.NoError(t, readStdin("hosts", "web01\n", Limits{SourceBytes: 6}), "a source of exactly the bound is fine")
}

// A JSON document may be one long line (curl of an API); a host list
// that starts with '[' is still lines.
func TestLineBoundSparesJSONDocuments(t *testing.T) {
	doc := `{"status":"success","data":{"resultType":"vector","result":[` +
		strings.Repeat(`{"metric":{"instance":"web01:9100"},"value":[1700000000,"1"]},`, 100) +
		`{"metric":{"instance":"web02:9100"},"value":[1700000000,"1"]}]}}`
	require.NoError(t, readStdin("prom", doc, Limits{LineBytes: 1024}))
	err := readStdin("hosts", "["+strings.Repeat("a", 2000), Limits{LineBytes: 1024})
	require.ErrorIs(t, err, ErrLineTooLong)
}

// A regular file over the bound is refused from its size, unread.
func TestSourceBoundOnFileSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.txt")
	require.NoError(t, os.WriteFile(path, []byte(strings.Repeat("web01\n", 1000)), 0o644))
	_, err := Read(Spec{Kind: "hosts", Path: path}, Options{Limits: Limits{SourceBytes: 5999}})
	require.ErrorIs(t, err, ErrSourceTooLarge)
	assert.EqualError(t, err, path+": source too large: 6000 bytes, the bound is 5999 bytes (change it with --max-source-bytes)")
	wrapped := false
	_, err = Read(Spec{Kind: "hosts", Path: path}, Options{Limits: Limits{SourceBytes: 6000},
		Wrap: func(r io.Reader) io.Reader { wrapped = true; return r }})
	require.NoError(t, err)
	assert.True(t, wrapped, "the caller's counting reader still sees the bytes")
}

func TestHostAndFieldBounds(t *testing.T) {
	err := readStdin("hosts", "a\nb\nc\nd\n", Limits{Hosts: 3})
	require.ErrorIs(t, err, ErrTooManyHosts)
	assert.EqualError(t, err, "<stdin>: too many hosts: 4 hosts, the bound is 3 (change it with --max-hosts)")
	require.NoError(t, readStdin("hosts", "a\nb\nc\na\n", Limits{Hosts: 3}), "hosts are counted once")

	csv := "host,note\nweb01,short\nweb02," + strings.Repeat("n", 300) + "\n"
	err = readStdin("inventory", csv, Limits{FieldBytes: 100})
	require.ErrorIs(t, err, ErrFieldTooLong)
	assert.EqualError(t, err, "<stdin>:3: value too long: attribute note of host web02 is 300 bytes, the bound is 100 bytes (change it with --max-field-bytes)")
}

// Thirty range patterns in a few hundred bytes made three million hosts;
// the names of one file's ranges are bounded together.
func TestAnsibleExpansionBound(t *testing.T) {
	var ini strings.Builder
	ini.WriteString("[web]\n")
	for i := range 30 {
		ini.WriteString("w" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "[0:999]\n")
	}
	err := readStdin("ansible", ini.String(), Limits{Expansions: 5000})
	require.ErrorIs(t, err, ErrTooManyExpansions)
	assert.EqualError(t, err, `<stdin>:7: too many expanded host names: the host ranges of the file expand to more than 5000 names (at "wfa[0:999]"), the bound is 5000 (change it with --max-expansions)`)
	require.NoError(t, readStdin("ansible", ini.String(), Limits{Expansions: 30000}))

	yml := "all:\n  hosts:\n    a[0:999]:\n    b[0:999]:\n"
	err = readStdin("ansible", yml, Limits{Expansions: 1500})
	require.ErrorIs(t, err, ErrTooManyExpansions)
	assert.ErrorContains(t, err, "<stdin>:4: too many expanded host names")

	path := filepath.Join(t.TempDir(), "inventory.ini")
	require.NoError(t, os.WriteFile(path, []byte(ini.String()), 0o644))
	_, err = Read(Spec{Path: path}, Options{Limits: Limits{Expansions: 5000}})
	require.ErrorIs(t, err, ErrTooManyExpansions, "a bare path is still taken for an inventory")
}

// An error quotes at most 80 bytes of a long input.
func TestErrorsQuoteAPrefix(t *testing.T) {
	long := strings.Repeat("x", 500<<10)
	for kind, text := range map[string]string{
		"hosts":     "web01\n" + long + "!\n",
		"inventory": "host,role\nweb01,a,b" + long + "\n",
		"ansible":   "[web]\nw1 " + long + "\n",
		"prom":      "# TYPE up gauge\nup{instance=\"" + long + "\n",
	} {
		err := readStdin(kind, text, Limits{})
		require.Error(t, err, kind)
		assert.Less(t, len(err.Error()), 1200, "%s: %.300s", kind, err)
	}
	err := readStdin("hosts", "web01\n"+long+"\n", Limits{})
	assert.EqualError(t, err, `<stdin>:2: host "`+long[:80]+`"… (512000 bytes): 512000 bytes, longer than 253 (`+hostkey.Allowed+`)`)
}
