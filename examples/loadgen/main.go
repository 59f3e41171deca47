// Command loadgen measures fleetq serve's decisions beside the same
// decisions made by one fleetq process each, for `make bench`: it starts
// the server (the -serve command line; it waits for its "listening on"
// line and stops it with SIGTERM at the end), then for each number of
// concurrent clients makes -requests POST /v1/request dry runs per
// client, and -cli-requests runs of the -cli command per client, and
// prints per client count the decisions per second and the p50 and p99
// latency of both, side by side.
//
//	loadgen -serve 'bin/fleetq --db f.db serve --listen 127.0.0.1:0 --policy p.toml --rate 0' \
//	  -token "$TOKEN" -expr 'cluster = "X" | sample 5' -clients 1,8,32 -requests 50 \
//	  -cli "bin/fleetq --db f.db --policy p.toml drain 'cluster = \"X\" | sample 5' --reason bench" -cli-requests 4
//
// A request that fails stops the run with its error: a bench of failures
// measures nothing.
package main

import (
	"bufio"
	"bytes"
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
	"sync"
	"syscall"
	"time"
)

func main() {
	serve := flag.String("serve", "", "the fleetq serve command line to start (sh -c); it must listen on 127.0.0.1:0")
	token := flag.String("token", "", "a bearer token of a requester")
	expr := flag.String("expr", "", "the selection each request decides on")
	verb := flag.String("verb", "drain", "the verb")
	clients := flag.String("clients", "1,8,32", "the numbers of concurrent clients, comma-separated")
	requests := flag.Int("requests", 50, "requests per client to the server")
	cli := flag.String("cli", "", "the peer: one decision as a process (sh -c); empty: no peer column")
	cliRequests := flag.Int("cli-requests", 4, "runs of -cli per client")
	title := flag.String("title", "", "a heading for the table")
	flag.Parse()
	if err := run(*serve, *token, *expr, *verb, *clients, *requests, *cli, *cliRequests, *title); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(serve, token, expr, verb, clients string, requests int, cli string, cliRequests int, title string) error {
	if serve == "" || token == "" || expr == "" {
		return errors.New("-serve, -token and -expr are required")
	}
	var counts []int
	for _, s := range strings.Split(clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("-clients %q: expected positive numbers, comma-separated", clients)
		}
		counts = append(counts, n)
	}
	srv, url, err := start(serve)
	if err != nil {
		return err
	}
	defer stop(srv)
	body, _ := json.Marshal(map[string]any{"verb": verb, "expr": expr, "reason": "bench"})
	if title != "" {
		fmt.Println("### " + title)
	}
	fmt.Printf("%-8s %14s %9s %9s   %14s %9s %9s\n", "clients", "serve dec/s", "p50", "p99", "CLI dec/s", "p50", "p99")
	for _, c := range counts {
		s, err := measure(c, requests, func() error { return post(url, token, body) })
		if err != nil {
			return fmt.Errorf("%d clients: %w", c, err)
		}
		peer := stats{}
		if cli != "" {
			if peer, err = measure(c, cliRequests, func() error { return shell(cli) }); err != nil {
				return fmt.Errorf("%d clients, CLI: %w", c, err)
			}
		}
		fmt.Printf("%-8d %14.1f %9s %9s   %14.1f %9s %9s\n", c, s.rate, ms(s.p50), ms(s.p99), peer.rate, ms(peer.p50), ms(peer.p99))
	}
	return nil
}

// start runs the server and waits for its listening line (an event).
func start(command string) (*exec.Cmd, string, error) {
	cmd := exec.Command("sh", "-c", "exec "+command)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if _, rest, ok := strings.Cut(sc.Text(), "listening on "); ok {
			go io.Copy(io.Discard, stderr) //nolint:errcheck // the request log, not wanted
			return cmd, strings.Fields(rest)[0], nil
		}
	}
	_ = cmd.Wait()
	return nil, "", fmt.Errorf("%s exited before listening", command)
}

func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
}

func post(url, token string, body []byte) error {
	req, err := http.NewRequest("POST", url+"/v1/request", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("POST /v1/request: %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	return err
}

func shell(command string) error {
	out, err := exec.Command("sh", "-c", command).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", command, err, lastLine(out))
	}
	return nil
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

type stats struct {
	rate     float64 // decisions per second, all clients together
	p50, p99 time.Duration
}

// measure runs do n times in each of c goroutines at once.
func measure(c, n int, do func() error) (stats, error) {
	var mu sync.Mutex
	var lat []time.Duration
	var first error
	var wg sync.WaitGroup
	t0 := time.Now()
	for range c {
		wg.Go(func() {
			for range n {
				t := time.Now()
				err := do()
				d := time.Since(t)
				mu.Lock()
				lat = append(lat, d)
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		return stats{}, first
	}
	slices.Sort(lat)
	return stats{rate: float64(len(lat)) / time.Since(t0).Seconds(), p50: pct(lat, 50), p99: pct(lat, 99)}, nil
}

// pct is the p-th percentile of sorted (nearest rank).
func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}

func ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000)
}
