package policy

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func dirFiles(pairs ...string) []srcFile {
	var out []srcFile
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, srcFile{Name: pairs[i], Text: []byte(pairs[i+1]), InDir: true})
	}
	return out
}

const testArchetypes = "[[archetype]]\nname = \"dense\"\nclusters = 'cluster ~ \"-dense-\"'\nany = { pct = 6 }\n\n[[archetype]]\nname = \"default\"\nany = { pct = 3 }\n"

func TestMergeIsGenericAndOrdered(t *testing.T) {
	_, err := parseFiles(dirFiles(
		"a.toml", testArchetypes,
		"b.toml", "[limits]\nper_rack = 2\n[verb.reboot]\nrate = \"20/1h\"\n",
		"c.toml", "[limits]\nper_group = 3\n[[archetype]]\nname = \"late\"\nclusters = 'size > 1'\nany = { max = 1 }\n",
		"kafka/k1.toml", "archetype = \"late\"\ndrain = { max = 2 }\n",
	))
	require.Error(t, err, "the last archetype must be the fallback: c.toml's comes after a.toml's")
	assert.Contains(t, err.Error(), "the last [[archetype]] must have no clusters")

	p, err := parseFiles(dirFiles(
		"a.toml", "[[archetype]]\nname = \"late\"\nclusters = 'size > 100'\nany = { max = 1 }\n",
		"b.toml", testArchetypes+"[limits]\nper_rack = 2\n",
		"c.toml", "[limits]\nper_group = 3\n",
		"kafka/k1.toml", "archetype = \"late\"\ndrain = { max = 2 }\n",
	))
	require.NoError(t, err)
	assert.Equal(t, []string{"late", "dense", "default"}, []string{p.Archetypes[0].Name, p.Archetypes[1].Name, p.Archetypes[2].Name})
	assert.Equal(t, 2, p.PerRack)
	assert.Equal(t, 3, p.PerGroup, "tables merge key by key across files")
	assert.Equal(t, "late", p.Clusters["k1"].Archetype)
	assert.Equal(t, Loc{"kafka/k1.toml", 2}, p.Locate("cluster.k1.drain.max"))
	assert.Equal(t, Loc{"b.toml", 8}, p.Locate("archetype[2].any"), "the merged index of b.toml's second archetype")
	assert.Equal(t, Loc{"c.toml", 2}, p.Locate("limits.per_group"))
}

func TestMergeConflicts(t *testing.T) {
	for _, c := range []struct {
		files []srcFile
		want  string
	}{
		{dirFiles("a.toml", "max_request = 5\n"+testArchetypes, "b.toml", "\nmax_request = 6\n"),
			"max_request is set twice, in a.toml:1 and in b.toml:2"},
		{dirFiles("a.toml", testArchetypes+"[cluster.k1]\ndrain = { pct = 5 }\n", "r/k1.toml", "drain.floor = 2\n"),
			"cluster.k1.drain is set twice, in a.toml:10 and in r/k1.toml:1"},
		{dirFiles("a.toml", testArchetypes+"[verb.drain]\nlease = \"1h\"\n", "b.toml", "[verb]\ndrain = { lease = \"2h\" }\n"),
			"verb.drain is set twice, in a.toml:9 and in b.toml:2"},
		{dirFiles("a.toml", testArchetypes, "r/k1.toml", "drain = { pct = 5 }\nbogus = 1\n"),
			"r/k1.toml:2: cluster.k1.bogus"},
		{dirFiles("a.toml", testArchetypes, "r/k1.toml", "drain = { pct = 5 }\n", "s/k1.toml", "reboot = { pct = 5 }\n"),
			`cluster "k1" has two files, r/k1.toml and s/k1.toml`},
		{dirFiles("a.toml", testArchetypes+"max_request = \"x\"\n"), "max_request"},
	} {
		_, err := parseFiles(c.files)
		require.Error(t, err, c.want)
		assert.Contains(t, err.Error(), c.want)
	}
}

func TestBundleRoundTripRandom(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	for range 200 {
		var files []srcFile
		for i := range 1 + r.IntN(5) {
			name := fmt.Sprintf("f%d.toml", i)
			if r.IntN(2) == 0 {
				name = fmt.Sprintf("role%d/c%d.toml", r.IntN(3), i)
			}
			text := make([]byte, r.IntN(40))
			for j := range text {
				const alphabet = "ab\n= file 12\x00"
				text[j] = alphabet[r.IntN(len(alphabet))]
			}
			files = append(files, srcFile{Name: name, Text: text, InDir: true})
		}
		b := bundle(files)
		got, err := unbundle(b)
		require.NoError(t, err)
		require.Equal(t, len(files), len(got))
		for i := range files {
			assert.Equal(t, files[i].Name, got[i].Name)
			assert.True(t, bytes.Equal(files[i].Text, got[i].Text))
		}
		for cut := len(bundleMagic); cut < len(b); cut++ {
			if g, err := unbundle(b[:cut]); err == nil {
				assert.Less(t, len(g), len(files), "a truncated bundle (%d of %d bytes) decodes as fewer whole files or not at all", cut, len(b))
			}
		}
	}
}

func TestBundleDamageIsAnError(t *testing.T) {
	good := string(bundle(dirFiles("a.toml", testArchetypes)))
	for _, bad := range []string{
		bundleMagic,
		bundleMagic + "file a.toml 99999\nx\n",
		bundleMagic + "file a.toml -1\n\n",
		bundleMagic + "file ../a.toml 1\nx\n",
		bundleMagic + "file a/b/c.toml 1\nx\n",
		bundleMagic + "fil a.toml 1\nx\n",
		bundleMagic + "file a.toml 1\nxy",
		strings.Replace(good, "file a.toml", "file a.tom", 1),
	} {
		_, err := Parse([]byte(bad))
		require.Error(t, err, "%q", bad)
		assert.ErrorIs(t, err, ErrInvalid)
	}
	p, err := Parse([]byte(good))
	require.NoError(t, err)
	assert.Equal(t, Hash([]byte(good)), p.Hash)
}

func TestLoadDirOrderHashAndLayout(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	}
	write("b.toml", testArchetypes)
	write("a.toml", "max_request = 7\n")
	write("kafka/k1.toml", "drain = { max = 1 }\n")
	write("README.md", "skipped")
	write(".hidden.toml", "skipped = true")
	p, err := Load(dir)
	require.NoError(t, err)
	files, err := unbundle(p.Text)
	require.NoError(t, err)
	names := []string{}
	for _, f := range files {
		names = append(names, f.Name)
	}
	assert.Equal(t, []string{"a.toml", "b.toml", "kafka/k1.toml"}, names)
	assert.Equal(t, 7, p.MaxRequest)
	assert.True(t, p.IsDir())

	write("kafka/k1.toml", "drain = { max = 1 } # edited\n")
	p2, err := Load(dir)
	require.NoError(t, err)
	assert.NotEqual(t, p.Hash, p2.Hash)

	write("kafka/deep/x.toml", "")
	_, err = Load(dir)
	assert.ErrorContains(t, err, "kafka/deep is a directory")

	_, err = Load(t.TempDir())
	assert.ErrorIs(t, err, ErrNoPolicy)
}

func TestLineIndex(t *testing.T) {
	idx, inline := lineIndex("a = 1\n[t]\nb.c = 2\n[[arr]]\nx = 1\n[[arr]]\nx = { y = 1 }\n[arr.sub]\nz = 3\n[\"q.r\".s]\nk = 1\n")
	assert.Equal(t, map[string]int{"a": 1, "t": 2, "t.b.c": 3, "arr[0]": 4, "arr[0].x": 5, "arr[1]": 6, "arr[1].x": 7,
		"arr[1].sub": 8, "arr[1].sub.z": 9, "q.r.s": 10, "q.r.s.k": 11}, idx)
	assert.Equal(t, map[string]bool{"arr[1].x": true}, inline)
}

// examples/policy/ is examples/policy.toml split into files: the same
// policy, key for key.
func TestExampleDirEqualsExampleFile(t *testing.T) {
	file, err := Load("../../examples/policy.toml")
	require.NoError(t, err)
	dir, err := Load("../../examples/policy")
	require.NoError(t, err)
	for _, p := range []*Policy{file, dir} {
		p.Text, p.Hash, p.Path, p.src = nil, "", "", nil
	}
	assert.Equal(t, file, dir)
}

// TestRandomSplitEqualsOneFile writes random policies as one file and
// as a directory split at random (global keys, tables and archetypes
// over several files, exceptions in ROLE/CLUSTER.toml files): the merge
// is checked against the single file as its reference.
func TestRandomSplitEqualsOneFile(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 2))
	for range 300 {
		one, files := randomPolicy(r)
		want, err := parseText([]byte(one))
		require.NoError(t, err, one)
		got, err := parseFiles(files)
		require.NoError(t, err, "%v", files)
		got.Text, got.Hash, got.src = nil, "", nil
		assert.Equal(t, want, got, one)
	}
}

// randomPolicy returns a policy's single-file text and the same policy
// as directory files.
func randomPolicy(r *rand.Rand) (string, []srcFile) {
	var one strings.Builder
	nfiles := 1 + r.IntN(3)
	top := make([]strings.Builder, nfiles)
	pick := func() *strings.Builder { return &top[r.IntN(nfiles)] }
	for _, kv := range []string{"max_request = 77", `health = 'responsive'`, `lease = "12h"`, "count_control_plane = false"} {
		if r.IntN(2) == 0 {
			fmt.Fprintln(&one, kv)
			fmt.Fprintln(pick(), kv)
		}
	}
	// keys of tables, as dotted keys: [limits] and [verb.reboot] are
	// split over files key by key
	for _, kv := range []string{"limits.per_rack = 2", "limits.per_group = 3", `verb.reboot.rate = "5/1h"`, `verb.reboot.cooldown = "10m"`, `verb.drain.lease = "2h"`} {
		if r.IntN(2) == 0 {
			fmt.Fprintln(&one, kv)
			fmt.Fprintln(pick(), kv)
		}
	}
	n := 1 + r.IntN(4)
	var arch strings.Builder
	for i := range n {
		cond := fmt.Sprintf("clusters = 'size > %d'\n", r.IntN(100))
		if i == n-1 {
			cond = ""
		}
		a := fmt.Sprintf("[[archetype]]\nname = \"a%d\"\n%sany = { pct = %d }\n", i, cond, 1+r.IntN(20))
		arch.WriteString(a)
	}
	// [[archetype]] concatenates in file order: kept in the first file,
	// the order is the single file's
	fmt.Fprintf(&top[0], "\n%s", arch.String())
	one.WriteString(arch.String())
	var files []srcFile
	for i := range top {
		files = append(files, srcFile{Name: fmt.Sprintf("%02d.toml", i), Text: []byte(top[i].String()), InDir: true})
	}
	for c := range r.IntN(4) {
		body := fmt.Sprintf("archetype = \"a%d\"\ndrain = { max = %d }\n", r.IntN(n), r.IntN(5))
		fmt.Fprintf(&one, "[cluster.\"c-%d\"]\n%s", c, body)
		files = append(files, srcFile{Name: fmt.Sprintf("role%d/c-%d.toml", r.IntN(2), c), Text: []byte(body), InDir: true})
	}
	slices.SortFunc(files, func(x, y srcFile) int { return dirOrder(x.Name, y.Name) })
	return one.String(), files
}

func dirOrder(a, b string) int {
	ad, bd := strings.Contains(a, "/"), strings.Contains(b, "/")
	if ad != bd {
		if ad {
			return 1
		}
		return -1
	}
	return strings.Compare(a, b)
}
