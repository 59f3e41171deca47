package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store/storetest"
)

// Crash safety (SPEC §5) with real processes: the binary is the one
// TestMain builds (actions_test.go).

// writeBigInventory writes an inventory of n hosts with a few attributes.
func writeBigInventory(t *testing.T, path string, n, variant int) {
	var b strings.Builder
	b.WriteString("host,cluster,rack,lifecycle,serial,rank,hadoop_exclude\n")
	for i := range n {
		life := "active"
		if (i+variant)%37 == 0 {
			life = "dead"
		}
		fmt.Fprintf(&b, "h%07d.dc,c%03d,r%05d,%s,SN%09d,%d,%t\n", i, i%300, i/40, life, i*7919+variant, (i+variant)%40, i%11 == 0)
	}
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
}

// fq runs the built binary; it returns stdout, stderr and the exit code.
func fqBin(t *testing.T, db string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(fleetqBin, append([]string{"--db", db}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return out.String(), errOut.String(), code
}

func fqBinOK(t *testing.T, db string, args ...string) string {
	t.Helper()
	out, errOut, code := fqBin(t, db, args...)
	require.Equal(t, 0, code, "fleetq %s: %s", strings.Join(args, " "), errOut)
	return out
}

// exportAll exports every pass of db and returns file name → bytes.
func exportAll(t *testing.T, db, dir string, passes int) map[string]string {
	files := map[string]string{}
	for p := 1; p <= passes; p++ {
		d := filepath.Join(dir, fmt.Sprint(p))
		require.NoError(t, os.RemoveAll(d))
		fqBinOK(t, db, "export", "--pass", fmt.Sprint(p), d)
		entries, err := os.ReadDir(d)
		require.NoError(t, err)
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(d, e.Name()))
			require.NoError(t, err)
			files[fmt.Sprintf("%d/%s", p, e.Name())] = string(b)
		}
	}
	return files
}

// TestKillIngest SIGKILLs `fleetq ingest` of a large source at random
// moments, 30+ times, and checks after each kill that the database opens
// read-only and checks clean, that `fleetq passes` lists exactly the passes
// that committed, and that every earlier pass exports byte-identically.
func TestKillIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("kills 30+ real processes")
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 5))
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetq.db")
	big := []string{filepath.Join(dir, "inv-a.csv"), filepath.Join(dir, "inv-b.csv")}
	writeBigInventory(t, big[0], 100000, 0)
	writeBigInventory(t, big[1], 100000, 1)
	fqBinOK(t, db, "ingest", "--at", "2026-11-20T00:00:00Z", big[0])

	passes := 1
	want := exportAll(t, db, filepath.Join(dir, "want"), passes)
	kills, committed := 0, 0
	for i := 0; kills < 30 && i < 80; i++ {
		_ = os.Remove(db + ".writer") // a killed writer leaves its note behind
		cmd := exec.Command(fleetqBin, "--db", db, "ingest", "--at", fmt.Sprintf("2026-11-20T%02d:%02d:00Z", 1+i/60, i%60), big[i%2])
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		require.NoError(t, cmd.Start())
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		delay := killDelay(r, i, db, done)
		select {
		case err := <-done:
			require.NoError(t, err, "ingest finished before the kill: %s", errOut.String())
			committed++
		case <-time.After(delay):
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			if err := <-done; err == nil {
				committed++ // it finished just before the signal
			} else {
				kills++
			}
		}
		storetest.MustCheck(t, db)
		out := fqBinOK(t, db, "passes", "--format", "json")
		n := strings.Count(out, `"id":`)
		require.Contains(t, []int{passes, passes + 1}, n, "pass count after kill %d", i)
		if n == passes+1 {
			passes = n
			want = mergeExports(want, exportAll(t, db, filepath.Join(dir, "new"), passes), passes)
		}
		got := exportAll(t, db, filepath.Join(dir, "got"), passes)
		require.Equal(t, len(want), len(got), "after kill %d", i)
		for k, v := range want {
			require.True(t, got[k] == v, "after kill %d (delay %s): %s differs", i, delay, k)
		}
	}
	t.Logf("%d ingests killed at random moments, %d committed; %d passes intact", kills, committed, passes)
	assert.GreaterOrEqual(t, kills, 30)
}

// killDelay picks when to kill ingest i: on even rounds 0–500ms after the
// start (mostly while parsing), on odd rounds 0–300ms after the writer
// opened the database (its lock-owner note appears), so kills land inside
// the write transaction and its commit too. It returns the time to wait
// from now.
func killDelay(r *rand.Rand, i int, db string, done chan error) time.Duration {
	if i%2 == 0 {
		return time.Duration(r.IntN(500)) * time.Millisecond
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && len(done) == 0 {
		if _, err := os.Stat(db + ".writer"); err == nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	return time.Duration(r.IntN(300)) * time.Millisecond
}

// mergeExports adds the files of pass p from got to want.
func mergeExports(want, got map[string]string, p int) map[string]string {
	prefix := fmt.Sprintf("%d/", p)
	for k, v := range got {
		if strings.HasPrefix(k, prefix) {
			want[k] = v
		}
	}
	return want
}

// TestReadersWhileIngesting runs queries in other processes in a loop
// while ingests write: every query succeeds (waiting for the lock when it
// must) and sees one consistent pass: the count of `all` matches the host
// count the pass it read reports.
func TestReadersWhileIngesting(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes for several seconds")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetq.db")
	invs := []string{filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")}
	writeBigInventory(t, invs[0], 100000, 0)
	writeBigInventory(t, invs[1], 100001, 1)
	fqBinOK(t, db, "ingest", "--at", "2026-11-20T00:00:00Z", invs[0])

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	reads := 0
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				out, errOut, code := fqBin(t, db, "--timeout", "60s", "query", "all - hadoop_exclude | count")
				if !assert.Equal(t, 0, code, "reader %d: %s", w, errOut) {
					return
				}
				n := strings.TrimSpace(out)
				assert.Contains(t, []string{"90909", "90910"}, n, "reader %d sees one consistent pass", w)
				mu.Lock()
				reads++
				mu.Unlock()
			}
		}()
	}
	for i := range 6 {
		fqBinOK(t, db, "--timeout", "60s", "ingest", "--at", fmt.Sprintf("2026-11-20T01:%02d:00Z", i), invs[(i+1)%2])
	}
	close(stop)
	wg.Wait()
	storetest.MustCheck(t, db)
	t.Logf("%d queries ran while 6 ingests wrote", reads)
	assert.Greater(t, reads, 6)
}
