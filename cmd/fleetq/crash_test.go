package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
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

// Crash safety (docs/storage.md) with real processes: the binary is the one
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
	return runCmd(t, cmd)
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

// TestKillIngest SIGKILLs `fleetq ingest` of a large source 30+ times and
// checks after each kill that the database opens read-only and checks
// clean, that `fleetq passes` lists exactly the passes that committed,
// and that every earlier pass exports byte-identically. When to kill is
// decided by events, not by how fast the machine is: on even rounds the
// source comes on standard input and the kill lands after a random
// prefix of it was consumed (so the ingest cannot have finished); on odd
// rounds it lands a random 0–300ms after the source was parsed (its
// --progress=plain line), inside the open, the write transaction or its
// commit, or after it finished (counted as committed).
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
		at := fmt.Sprintf("2026-11-20T%02d:%02d:00Z", 1+i/60, i%60)
		var how string
		var err error
		if i%2 == 0 {
			how, err = killWhileReading(t, r, db, at, big[i%2])
		} else {
			how, err = killAfterParsing(t, r, db, at, big[i%2])
		}
		if err == nil {
			committed++
		} else {
			kills++
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
			require.True(t, got[k] == v, "after kill %d (%s): %s differs", i, how, k)
		}
	}
	t.Logf("%d ingests killed, %d committed; %d passes intact", kills, committed, passes)
	assert.GreaterOrEqual(t, kills, 30)
}

// killWhileReading feeds src to `ingest inventory:-` through a pipe held
// open, and kills it once a random prefix has been written: the ingest is
// still reading, so it is always killed (the returned error is the kill).
func killWhileReading(t *testing.T, r *rand.Rand, db, at, src string) (string, error) {
	data, err := os.ReadFile(src)
	require.NoError(t, err)
	cmd := exec.Command(fleetqBin, "--db", db, "ingest", "--at", at, "inventory:-")
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	n := r.IntN(len(data))
	_, err = in.Write(data[:n]) // returns once the ingest has taken all but a pipe buffer
	require.NoError(t, err)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	err = cmd.Wait()
	require.Error(t, err, "an ingest with its input still open cannot finish")
	in.Close()
	return fmt.Sprintf("killed after %d of %d bytes on stdin", n, len(data)), err
}

// killAfterParsing runs `ingest --progress=plain src` and kills it a
// random 0–300ms after its line saying the source was parsed. It returns
// nil when the ingest finished first.
func killAfterParsing(t *testing.T, r *rand.Rand, db, at, src string) (string, error) {
	cmd := exec.Command(fleetqBin, "--db", db, "ingest", "--progress=plain", "--at", at, src)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var errOut bytes.Buffer
	line, err := bufio.NewReader(io.TeeReader(stderr, &errOut)).ReadString('\n')
	require.NoError(t, err, "no progress line: %s", errOut.String())
	require.True(t, strings.HasPrefix(line, "ingest: inventory "), line)
	delay := time.Duration(r.IntN(300)) * time.Millisecond
	done := make(chan error, 1)
	go func() {
		_, _ = io.Copy(&errOut, stderr)
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		require.NoError(t, err, "ingest failed: %s", errOut.String())
		return "finished within " + delay.String(), nil
	case <-time.After(delay): // a random moment of the write, not a wait for it
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		return fmt.Sprintf("killed %s after parsing", delay), <-done
	}
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
