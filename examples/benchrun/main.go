// Command benchrun times whole processes side by side: it runs each named
// shell command in turn, round-robin, so load changes hit all of them
// alike, and prints the median wall time, the median CPU time (user +
// system, of the shell and what it ran: steadier than wall time on a
// loaded machine), peak resident memory and the ratio to the first
// command, then the ratio of the first to the second (fleetq / its peer,
// the way `make bench` orders its tables).
//
//	benchrun -runs 7 fleetq='bin/fleetq query …' comm='comm -23 … | shuf -n 5'
//
// A command may start with a setup that is not timed, separated by " ::: "
// (`fresh='cp a.db b.db ::: fleetq --db b.db drain …'`): it runs before
// every run of that command. A command whose name starts with "@" reports
// its own time: the last line of its output that starts with "elapsed: "
// holds a Go duration (examples/benchfloor prints one), used instead of the
// wall time of the process. A command that fails is reported as failed in
// its row and the others still run; benchrun then exits 1 after the table.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

type bench struct {
	name   string
	setup  string // run before every timed run, untimed; may be empty
	shell  string
	self   bool // the command reports its own time ("elapsed: DURATION")
	walls  []time.Duration
	cpus   []time.Duration // user + system time of each run
	rss    int64           // KiB, the largest seen
	failed string
}

func main() {
	runs := flag.Int("runs", 5, "runs of each command")
	title := flag.String("title", "", "a heading for the table")
	flag.Parse()
	benches, err := parse(flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(2)
	}
	for i := 0; i < *runs; i++ {
		for _, b := range benches {
			if b.failed != "" {
				continue
			}
			if err := b.once(); err != nil {
				b.failed = err.Error()
			}
		}
	}
	report(os.Stdout, *title, benches)
	for _, b := range benches {
		if b.failed != "" {
			os.Exit(1)
		}
	}
}

func parse(args []string) ([]*bench, error) {
	var out []*bench
	for _, a := range args {
		name, shell, ok := strings.Cut(a, "=")
		if !ok {
			return nil, fmt.Errorf("%q: expected NAME=COMMAND", a)
		}
		b := &bench{name: name, shell: shell}
		if setup, cmd, ok := strings.Cut(shell, " ::: "); ok {
			b.setup, b.shell = setup, cmd
		}
		if n, ok := strings.CutPrefix(name, "@"); ok {
			b.name, b.self = n+" (in-process)", true
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no commands")
	}
	return out, nil
}

func (b *bench) once() error {
	if b.setup != "" {
		if out, err := exec.Command("bash", "-o", "pipefail", "-c", b.setup).CombinedOutput(); err != nil {
			return fmt.Errorf("setup: %v: %s", err, lastLine(string(out)))
		}
	}
	cmd := exec.Command("bash", "-o", "pipefail", "-c", b.shell)
	var stdout tail
	cmd.Stdout = &stdout
	if !b.self {
		cmd.Stdout = io.Discard
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return fmt.Errorf("%v: %s", err, lastLine(stderr.String()))
	}
	if b.self {
		if wall, err = stdout.elapsed(); err != nil {
			return err
		}
	}
	b.walls = append(b.walls, wall)
	b.cpus = append(b.cpus, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		b.rss = max(b.rss, ru.Maxrss)
	}
	return nil
}

// tail keeps the last 4 KiB written to it: enough for an "elapsed:" line.
type tail struct{ buf []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > 4096 {
		t.buf = t.buf[len(t.buf)-4096:]
	}
	return len(p), nil
}

func (t *tail) elapsed() (time.Duration, error) {
	var found string
	sc := bufio.NewScanner(strings.NewReader(string(t.buf)))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "elapsed: "); ok {
			found = v
		}
	}
	if found == "" {
		return 0, fmt.Errorf(`no "elapsed: DURATION" line in its output`)
	}
	return time.ParseDuration(strings.TrimSpace(found))
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func (b *bench) median() time.Duration { return median(b.walls) }

func median(d []time.Duration) time.Duration {
	w := slices.Clone(d)
	slices.Sort(w)
	return w[len(w)/2]
}

func report(w io.Writer, title string, benches []*bench) {
	if title != "" {
		fmt.Fprintf(w, "\n%s\n", title)
	}
	fmt.Fprintf(w, "%-34s %12s %12s %12s %10s %12s\n", "command", "median", "min", "median CPU", "peak RSS", "vs first")
	var base time.Duration
	if len(benches[0].walls) > 0 {
		base = benches[0].median()
	}
	for _, b := range benches {
		if len(b.walls) == 0 {
			fmt.Fprintf(w, "%-34s FAILED: %s\n", b.name, b.failed)
			continue
		}
		ratio := "-"
		if base > 0 {
			ratio = fmt.Sprintf("%.2fx", float64(b.median())/float64(base))
		}
		fmt.Fprintf(w, "%-34s %12s %12s %12s %8.1fMB %12s", b.name, ms(b.median()), ms(slices.Min(b.walls)), ms(median(b.cpus)), float64(b.rss)/1024, ratio)
		if b.failed != "" {
			fmt.Fprintf(w, "  (a later run FAILED: %s)", b.failed)
		}
		fmt.Fprintln(w)
	}
	if len(benches) > 1 && base > 0 && len(benches[1].walls) > 0 {
		fmt.Fprintf(w, "ratio %s / %s: %.2fx\n", benches[0].name, benches[1].name, float64(base)/float64(benches[1].median()))
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
