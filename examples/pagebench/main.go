// Command pagebench measures the dashboard's pages for `make bench`: it
// starts fleetq serve (the -serve command line; it waits for its
// "listening on" line and stops it with SIGTERM at the end), requests each
// page -runs times with a bearer token, and takes each request's server
// time from the server's own request log (the duration_ms of its JSON
// line on stderr: from the request's arrival to the handler's return),
// not from the client's clock. Beside each page it runs its peer, the
// fleetq command that computes the same numbers, as a whole process
// (wall time). Pages and peers take turns, round-robin, so a change of
// the machine's load hits all of them alike. It prints per page the p50
// and p99 of the server time, the server's mean CPU time per request
// (from /proc: steadier than the time on a loaded machine), the page's
// size and the peer's p50 and p99.
//
//	pagebench -serve 'bin/fleetq --db f.db serve --listen 127.0.0.1:0 --rate 0' -token "$VIEWER" -runs 20 \
//	  -page 'overview|/|bin/fleetq --db f.db headroom --format json' \
//	  -page 'floor|/healthz|bin/fleetq version'
//
// A page that does not answer 200, or a peer that fails, stops the run
// with its error: a bench of error pages measures nothing.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// page is one row: a page of the server and its peer command.
type page struct {
	name, path, peer string
	server, peers    []time.Duration
	bytes            int64
	// cpu is the server process's CPU time (user + system, every
	// thread, the GC's included) over all of this page's requests.
	cpu time.Duration
}

type pageFlags []*page

func (p *pageFlags) String() string { return fmt.Sprint(len(*p)) }

func (p *pageFlags) Set(s string) error {
	pg, err := parsePage(s)
	if err != nil {
		return err
	}
	*p = append(*p, pg)
	return nil
}

// parsePage reads NAME|PATH|PEER (the peer may be empty).
func parsePage(s string) (*page, error) {
	f := strings.SplitN(s, "|", 3)
	if len(f) != 3 || f[0] == "" || !strings.HasPrefix(f[1], "/") {
		return nil, fmt.Errorf("-page %q: expected NAME|/PATH|PEER COMMAND (the peer may be empty)", s)
	}
	return &page{name: f[0], path: f[1], peer: f[2]}, nil
}

func main() {
	var pages pageFlags
	serve := flag.String("serve", "", "the fleetq serve command line to start (sh -c); it must listen on 127.0.0.1:0 and log JSON")
	token := flag.String("token", "", "a bearer token (a viewer's is enough)")
	runs := flag.Int("runs", 20, "requests of each page, and runs of each peer")
	title := flag.String("title", "", "a heading for the table")
	flag.Var(&pages, "page", "NAME|/PATH|PEER: a page and the command computing its numbers (repeatable)")
	flag.Parse()
	if err := run(*serve, *token, *runs, *title, pages); err != nil {
		fmt.Fprintln(os.Stderr, "pagebench:", err)
		os.Exit(1)
	}
}

func run(serve, token string, runs int, title string, pages []*page) error {
	if serve == "" || len(pages) == 0 || runs < 1 {
		return errors.New("-serve, at least one -page and -runs of 1 or more are required")
	}
	srv, base, log, err := start(serve)
	if err != nil {
		return err
	}
	defer stop(srv)
	for range runs {
		for _, p := range pages {
			c0 := cpuTime(srv.Process.Pid)
			d, n, err := get(base, token, p.path, log)
			if err != nil {
				return err
			}
			p.server, p.bytes, p.cpu = append(p.server, d), n, p.cpu+cpuTime(srv.Process.Pid)-c0
			if p.peer == "" {
				continue
			}
			t := time.Now()
			if err := shell(p.peer); err != nil {
				return err
			}
			p.peers = append(p.peers, time.Since(t))
		}
	}
	if title != "" {
		fmt.Println("### " + title)
	}
	fmt.Printf("%-10s %10s %10s %10s %10s   %10s %10s\n", "page", "server p50", "p99", "CPU/req", "bytes", "peer p50", "p99")
	for _, p := range pages {
		slices.Sort(p.server)
		slices.Sort(p.peers)
		fmt.Printf("%-10s %10s %10s %10s %10d   %10s %10s\n", p.name, ms(pct(p.server, 50)), ms(pct(p.server, 99)),
			ms(p.cpu/time.Duration(runs)), p.bytes, ms(pct(p.peers, 50)), ms(pct(p.peers, 99)))
	}
	for _, p := range pages {
		fmt.Printf("  %s: GET %s; peer: %s\n", p.name, p.path, orNone(p.peer))
	}
	return nil
}

// logLine is the part of a request log line read here.
type logLine struct {
	Msg        string  `json:"msg"`
	Path       string  `json:"path"`
	Status     int     `json:"status"`
	DurationMS float64 `json:"duration_ms"`
}

// start runs the server, waits for its listening line (an event), and
// sends its request log's lines on the channel.
func start(command string) (*exec.Cmd, string, <-chan logLine, error) {
	cmd := exec.Command("sh", "-c", "exec "+command)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", nil, err
	}
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if _, rest, ok := strings.Cut(sc.Text(), "listening on "); ok {
			log := make(chan logLine, 64)
			go readLog(sc, stderr, log)
			return cmd, strings.Fields(rest)[0], log, nil
		}
	}
	_ = cmd.Wait()
	return nil, "", nil, fmt.Errorf("%s exited before listening", command)
}

// readLog sends the request lines of the log; other lines (and lines
// that are not JSON) are skipped.
func readLog(sc *bufio.Scanner, rest io.Reader, out chan<- logLine) {
	for sc.Scan() {
		var l logLine
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "request" {
			out <- l
		}
	}
	io.Copy(io.Discard, rest) //nolint:errcheck // a line past the scanner's limit: drain the rest
	close(out)
}

func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
}

// get requests path and returns the server's time for it, read from the
// request log's line of that request (requests are made one at a time,
// so it is the next line of that path), and the page's size.
func get(base, token, path string, log <-chan logLine) (time.Duration, int64, error) {
	req, err := http.NewRequest("GET", base+path, nil)
	if err != nil {
		return 0, 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, 0, fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	d, err := serverTime(log, pathOnly(path), 30*time.Second)
	return d, n, err
}

// serverTime is the duration of the next logged request of path.
func serverTime(log <-chan logLine, path string, wait time.Duration) (time.Duration, error) {
	timeout := time.After(wait)
	for {
		select {
		case l, ok := <-log:
			if !ok {
				return 0, fmt.Errorf("GET %s: the server's log ended before its line", path)
			}
			if l.Path == path {
				return time.Duration(l.DurationMS * float64(time.Millisecond)), nil
			}
		case <-timeout:
			return 0, fmt.Errorf("GET %s: no request log line for it in %v (is the log JSON?)", path, wait)
		}
	}
}

// cpuTime is the user and system time of process pid so far (every
// thread), from /proc/PID/stat in clock ticks of 10ms; 0 where it
// cannot be read (not Linux).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command's name in parentheses (which may hold
	// spaces): utime and stime are the 14th and 15th of the line.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(u+s) * 10 * time.Millisecond
}

// pathOnly is path without its query string, as the request log has it.
func pathOnly(path string) string {
	p, _, _ := strings.Cut(path, "?")
	return p
}

func shell(command string) error {
	out, err := exec.Command("sh", "-c", command).CombinedOutput()
	if err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		return fmt.Errorf("%s: %v: %s", command, err, lines[len(lines)-1])
	}
	return nil
}

// pct is the p-th percentile of sorted (nearest rank), 0 for none.
func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}

func ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000)
}

func orNone(s string) string {
	if s == "" {
		return "(no peer)"
	}
	return s
}
