// Command benchrun times whole processes side by side: it runs each named
// shell command in turn, round-robin, so load changes hit all of them
// alike, and prints the median wall time, peak resident memory and the
// ratio to the first command.
//
//	benchrun -runs 7 fleetq='bin/fleetq query …' comm='comm -23 … | shuf -n 5'
package main

import (
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
	name  string
	shell string
	walls []time.Duration
	rss   int64 // KiB, the largest seen
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
			if err := b.once(); err != nil {
				fmt.Fprintf(os.Stderr, "benchrun: %s: %v\n", b.name, err)
				os.Exit(1)
			}
		}
	}
	report(os.Stdout, *title, benches)
}

func parse(args []string) ([]*bench, error) {
	var out []*bench
	for _, a := range args {
		name, shell, ok := strings.Cut(a, "=")
		if !ok {
			return nil, fmt.Errorf("%q: expected NAME=COMMAND", a)
		}
		out = append(out, &bench{name: name, shell: shell})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no commands")
	}
	return out, nil
}

func (b *bench) once() error {
	cmd := exec.Command("bash", "-o", "pipefail", "-c", b.shell)
	cmd.Stdout = io.Discard
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	b.walls = append(b.walls, wall)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		b.rss = max(b.rss, ru.Maxrss)
	}
	return nil
}

func (b *bench) median() time.Duration {
	w := slices.Clone(b.walls)
	slices.Sort(w)
	return w[len(w)/2]
}

func report(w io.Writer, title string, benches []*bench) {
	if title != "" {
		fmt.Fprintf(w, "\n%s\n", title)
	}
	fmt.Fprintf(w, "%-28s %12s %12s %10s %12s\n", "command", "median", "min", "peak RSS", "vs first")
	base := benches[0].median()
	for _, b := range benches {
		ratio := float64(b.median()) / float64(base)
		fmt.Fprintf(w, "%-28s %12s %12s %8.1fMB %11.2fx\n", b.name, ms(b.median()), ms(slices.Min(b.walls)), float64(b.rss)/1024, ratio)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
