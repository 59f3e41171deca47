package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// damageFixture is a small real database made by the binary: three passes
// of an inventory and a host list, a Prometheus source carried forward,
// stored definitions and a committed lease.
func damageFixture(t *testing.T) *actionFixture {
	f := newActionFixture(t)
	var up strings.Builder
	up.WriteString(`{"status":"success","data":{"resultType":"vector","result":[`)
	for i := 0; i < 412; i += 2 {
		if i > 0 {
			up.WriteString(",")
		}
		fmt.Fprintf(&up, `{"metric":{"__name__":"up","instance":"dn%04d.smf1:9100","job":"node"},"value":[1795132800,"%d"]}`, i, 1-i/2%7/6)
	}
	up.WriteString("]}}")
	prom := filepath.Join(f.dir, "up.json")
	require.NoError(t, os.WriteFile(prom, []byte(up.String()), 0o644))
	f.ok("ingest", "prom:"+prom, "--at", f.at(time.Minute))
	defs := filepath.Join(f.dir, "fleet.defs")
	require.NoError(t, os.WriteFile(defs, []byte("ok = up == 1\nbroken = lifecycle in (dead, repair)\n"), 0o644))
	f.ok("defs", "set", defs)
	f.ok("drain", dense+` & lifecycle = "active" | sample 3`, "--reason", "disk", "--seed", "7", "--commit", "--yes")
	f.ingest(f.base.Add(2*time.Minute), map[string]string{"dn0005.smf1": "dead"})
	return f
}

// damageReads are the read commands every damaged copy must answer
// exactly as the intact file does, or refuse with an error.
func damageReads(f *actionFixture) [][]string {
	return [][]string{
		{"passes"},
		{"sets"},
		{"query", "all - broken & ok"},
		{"query", `up == 1 & lifecycle = "active" | by cluster`},
		{"query", `(lifecycle = "dead") - (lifecycle = "dead")@1 + ok`},
		{"host", "dn0004.smf1"},
		{"export", "--pass", "2", "EXPORT"},
		{"diff", "1", "3"},
		{"check", "--at", f.at(3 * time.Minute)},
		{"drain", dense, "--reason", "x", "--seed", "42"},
		{"audit"},
		{"leases"},
		{"defs"},
	}
}

// checkRead is the index of check in damageReads.
const checkRead = 8

type damageAnswer struct {
	out, errOut string
	code        int
}

// crashSigns are what a panic or fault leaves on stderr.
var crashSigns = []string{"panic:", "goroutine ", "fatal error", "unexpected fault address", "SIGBUS", "SIGSEGV"}

// askDamaged runs every read command on its own copy of data (a dry run
// writes the audit log) and returns the answers.
func askDamaged(t *testing.T, f *actionFixture, data []byte, dir string) []damageAnswer {
	reads := damageReads(f)
	out := make([]damageAnswer, len(reads))
	for i, args := range reads {
		db := filepath.Join(dir, fmt.Sprintf("c%d.db", i))
		require.NoError(t, os.WriteFile(db, data, 0o644))
		exp := filepath.Join(dir, fmt.Sprintf("export%d", i))
		args = append([]string(nil), args...)
		for j := range args {
			if args[j] == "EXPORT" {
				args[j] = exp
			}
		}
		cmd := exec.Command(fleetqBin, append([]string{"--db", db}, args...)...)
		cmd.Env = append(os.Environ(), "FLEETQ_POLICY="+f.policy)
		var so, se bytes.Buffer
		cmd.Stdout, cmd.Stderr = &so, &se
		err := cmd.Run()
		a := damageAnswer{out: wallClockFree(strings.ReplaceAll(so.String(), exp, "EXPORT") + readTree(exp)), errOut: strings.ReplaceAll(se.String(), db, "DB")}
		if ee, ok := err.(*exec.ExitError); ok {
			a.code = ee.ExitCode()
		} else {
			require.NoError(t, err)
		}
		out[i] = a
		os.Remove(db)
		os.Remove(db + ".writer")
		os.RemoveAll(exp)
	}
	return out
}

// evidenceAges are the ages a decision prints of its evidence, measured
// from the wall clock: a trial a minute after the intact run reads "29m"
// where the intact file read "28m".
var evidenceAges = regexp.MustCompile(`(?m)^(evidence: .*)$`)
var anAge = regexp.MustCompile(`\b(\d+h)?\d+m\b`)

// wallClockFree is an answer with what depends on the wall clock masked.
func wallClockFree(out string) string {
	return evidenceAges.ReplaceAllStringFunc(out, func(line string) string { return anAge.ReplaceAllString(line, "AGE") })
}

func readTree(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fh, err := os.Open(filepath.Join(dir, n))
		if err == nil {
			data, _ := io.ReadAll(fh)
			fh.Close()
			fmt.Fprintf(&b, "\n== %s\n%s", n, data)
		}
	}
	return b.String()
}

// judgeDamage returns "identical" or "detected" for a trial's answers, or
// fails the test: a crash, a different answer with exit 0, or a check
// that passes a file whose answers changed.
func judgeDamage(t *testing.T, f *actionFixture, what string, intact, got []damageAnswer) string {
	reads := damageReads(f)
	changed := false
	var which []string
	for i, g := range got {
		for _, s := range crashSigns {
			assert.NotContains(t, g.errOut, s, "%s: fleetq %v crashed", what, reads[i])
		}
		if g.code == 0 && g.out != intact[i].out {
			assert.Fail(t, "wrong answer with exit 0", "%s: fleetq %v: %s", what, reads[i], firstDiff(intact[i].out, g.out))
		}
		if g.code != 0 && g.code != intact[i].code {
			assert.NotEmpty(t, g.errOut, "%s: fleetq %v failed without saying why", what, reads[i])
		}
		if g != intact[i] {
			changed = true
			which = append(which, fmt.Sprintf("%v (exit %d: %.200s)", reads[i], g.code, g.errOut))
		}
	}
	if !changed {
		return "identical"
	}
	check := got[checkRead]
	assert.NotEqual(t, 0, check.code, "%s: answers changed (%s) but check passed:\n%s", what, strings.Join(which, "; "), check.out)
	return "detected"
}

// TestDamagedFileNeverAnswersWrong flips random bytes of a real database
// and truncates it: every read command answers as on the intact file or
// fails cleanly, and check fails whenever an answer changed.
func TestDamagedFileNeverAnswersWrong(t *testing.T) {
	if testing.Short() {
		t.Skip("hundreds of trials of real processes")
	}
	f := damageFixture(t)
	data, err := os.ReadFile(f.db)
	require.NoError(t, err)
	intact := askDamaged(t, f, data, t.TempDir())
	for i, a := range intact {
		require.Equal(t, 0, a.code, "intact: fleetq %v: %s", damageReads(f)[i], a.errOut)
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FLEETQ_DAMAGE_SEED"); s != "" {
		_, err := fmt.Sscan(s, &seed)
		require.NoError(t, err)
	}
	// The seed replays the flips; the fixture's time stamps come from the
	// clock, so a replay flips the same offsets of a file laid out alike.
	t.Logf("seed %d (replay with FLEETQ_DAMAGE_SEED=%d); %d bytes", seed, seed, len(data))
	const trials = 300
	type trial struct {
		what string
		data []byte
	}
	var jobs []trial
	r := rand.New(rand.NewPCG(seed, 12))
	for i := 0; i < trials; i++ {
		d := bytes.Clone(data)
		at := r.IntN(len(d))
		d[at] ^= byte(1 + r.IntN(255))
		jobs = append(jobs, trial{fmt.Sprintf("trial %d (seed %d): byte %d", i, seed, at), d})
	}
	for _, n := range []int{0, 100, 4096, 8192, len(data) / 2, len(data) - 4096, len(data) - 1} {
		jobs = append(jobs, trial{fmt.Sprintf("truncated to %d bytes", n), bytes.Clone(data[:n])})
	}
	counts := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan trial)
	for w := 0; w < 2; w++ {
		dir := t.TempDir()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				kind := judgeDamage(t, f, j.what, intact, askDamaged(t, f, j.data, dir))
				mu.Lock()
				counts[kind]++
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	t.Logf("seed %d: %d trials: %d identical, %d detected", seed, len(jobs), counts["identical"], counts["detected"])
}

// firstDiff is the first line where two answers differ.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) || i < len(lb); i++ {
		if i >= len(la) || i >= len(lb) || la[i] != lb[i] {
			return fmt.Sprintf("line %d: intact %q, damaged %q", i+1, at(la, i), at(lb, i))
		}
	}
	return "same"
}

func at(ls []string, i int) string {
	if i < len(ls) {
		return ls[i]
	}
	return "<end>"
}

// TestTruncatedFileIsAnError: a file shorter than its meta page says is
// refused before bbolt maps it, never a SIGBUS.
func TestTruncatedFileIsAnError(t *testing.T) {
	f := newActionFixture(t)
	data, err := os.ReadFile(f.db)
	require.NoError(t, err)
	db := filepath.Join(t.TempDir(), "fleetq.db")
	require.NoError(t, os.WriteFile(db, data[:8192], 0o644))
	_, errOut, code := fqBin(t, db, "passes")
	assert.Equal(t, exitFailure, code)
	assert.Regexp(t, `^fleetq: .*fleetq.db: truncated \(8192 bytes, the database needs \d+\): corrupt data\n$`, errOut)
}

// TestEmptyFileIsNeverInitialised: ingest refuses a zero-byte file and
// leaves it as it was; only a missing path is created.
func TestEmptyFileIsNeverInitialised(t *testing.T) {
	dir := t.TempDir()
	db, hosts := filepath.Join(dir, "fleetq.db"), filepath.Join(dir, "dead")
	require.NoError(t, os.WriteFile(db, nil, 0o644))
	require.NoError(t, os.WriteFile(hosts, []byte("a1.x\n"), 0o644))
	_, errOut, code := fqBin(t, db, "ingest", "hosts:"+hosts)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, errOut, "not a fleetq database (an empty file")
	st, err := os.Stat(db)
	require.NoError(t, err)
	assert.Zero(t, st.Size())
}

// TestDamagedPassRecordHidesNoOtherPass: with one pass record damaged,
// passes lists the others and fails naming the damaged one, the other
// passes still answer queries, and check reports it.
func TestDamagedPassRecordHidesNoOtherPass(t *testing.T) {
	dir := t.TempDir()
	db, inv := filepath.Join(dir, "fleetq.db"), filepath.Join(dir, "inventory.csv")
	require.NoError(t, os.WriteFile(inv, []byte("host,cluster\na1.x,c1\na2.x,c1\n"), 0o644))
	for i, label := range []string{"first", "LABELMARK2", "third"} {
		fqBinOK(t, db, "ingest", "--create", "--label", label, "--at", fmt.Sprintf("2026-11-20T1%d:00:00Z", i), inv)
	}
	damage(t, db, func(data []byte) {
		// The record, and an older copy on a freed page.
		mark := []byte(`"label":"LABELMARK2"`)
		require.Positive(t, bytes.Count(data, mark))
		for at := bytes.Index(data, mark); at >= 0; at = bytes.Index(data, mark) {
			data[at+len(mark)-2] ^= 0x20
		}
	})
	out, errOut, code := fqBin(t, db, "passes")
	assert.Equal(t, exitFailure, code)
	assert.Regexp(t, `^PASS +CREATED +LABEL .*\n1 .* first .*\n3 .* third .*\n$`, out)
	assert.Regexp(t, `^fleetq: corrupt data: 1 pass record\(s\) damaged, the 2 readable listed \(pass 2: record: .*\)\n$`, errOut)
	assert.Equal(t, "a1.x\na2.x\n", fqBinOK(t, db, "query", "--pass", "3", "all"))
	assert.Equal(t, "a1.x\na2.x\n", fqBinOK(t, db, "query", "--pass", "1", "all"))
	out, _, code = fqBin(t, db, "check")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, out, "FAIL  store: pass 2: record: corrupt data: checksum mismatch\n")
}
