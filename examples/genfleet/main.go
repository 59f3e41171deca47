// Command genfleet writes a deterministic, realistic demo fleet: per pass an
// inventory CSV, host-list files and, optionally, the control-plane views
// (HDFS, YARN, Prometheus) of the same hosts. The same flags always give
// byte-identical output; `make demo` and `make bench` use it.
//
//	genfleet --out DIR [--hosts N] [--passes P] [--churn F] [--seed S]
//	         [--lists] [--control-planes=true|false]
//
// Layout: DIR/pass-001/{inventory.csv,responsive,dead-reboot,
// hdfs-report.txt,yarn-nodes.txt,prom-up.json,prom-uname.json,lists/…}, and DIR/MANIFEST,
// written last, listing the flags so a caller can reuse a generated fleet.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// defaultStart is the time of pass 1 unless --start says otherwise; each
// next pass is one hour later. Fixed, so the same flags give the same bytes.
var defaultStart = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

// generatorVersion changes whenever the same flags would give other bytes.
const generatorVersion = "genfleet/2"

// controlPlaneMaxHosts is the largest fleet that gets control-plane files
// unless --control-planes says otherwise.
const controlPlaneMaxHosts = 200000

type options struct {
	hosts, passes int
	churn         float64
	seed          uint64
	out           string
	lists         bool
	controlPlanes bool
	start         time.Time
}

func (o *options) addFlags(fs *flag.FlagSet) {
	fs.IntVar(&o.hosts, "hosts", 5000, "number of hosts in pass 1")
	fs.IntVar(&o.passes, "passes", 3, "number of passes to write")
	fs.Float64Var(&o.churn, "churn", 0.01, "fraction of hosts changing per pass")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed")
	fs.StringVar(&o.out, "out", "", "output directory (required)")
	fs.BoolVar(&o.lists, "lists", false, "also write pass-NNN/lists/{all,hadoop_exclude,responsive,puppet_ok}")
	fs.Func("start", "time of pass 1, RFC 3339 (default 2026-11-20T00:00:00Z); the demo starts it two hours ago so its evidence is fresh", func(v string) error {
		t, err := time.Parse(time.RFC3339, v)
		o.start = t.UTC()
		return err
	})
	fs.BoolVar(&o.controlPlanes, "control-planes", false,
		"also write hdfs-report.txt, yarn-nodes.txt, prom-up.json, prom-uname.json (default true for --hosts <= 200000)")
}

func (o *options) validate() error {
	switch {
	case o.out == "":
		return errors.New("--out DIR is required")
	case o.hosts < 100:
		return errors.New("--hosts must be at least 100")
	case o.passes < 1:
		return errors.New("--passes must be at least 1")
	case o.churn < 0 || o.churn > 0.5:
		return errors.New("--churn must be between 0 and 0.5")
	}
	return nil
}

func main() {
	err := run(os.Args[1:], os.Stdout)
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "genfleet:", err)
		os.Exit(2)
	}
}

// run parses args, generates the fleet into --out and prints one summary
// line per pass to stdout.
func run(args []string, stdout io.Writer) error {
	o := options{start: defaultStart}
	fs := flag.NewFlagSet("genfleet", flag.ContinueOnError)
	fs.SetOutput(stdout)
	o.addFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := false
	fs.Visit(func(fl *flag.Flag) { set = set || fl.Name == "control-planes" })
	if !set {
		o.controlPlanes = o.hosts <= controlPlaneMaxHosts
	}
	if err := o.validate(); err != nil {
		return err
	}
	return generate(o, stdout)
}

func generate(o options, stdout io.Writer) error {
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	manifest := filepath.Join(o.out, "MANIFEST")
	if err := os.Remove(manifest); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	f := newFleet(o.hosts, rand.New(rand.NewPCG(o.seed, 0x666c65657471)))
	var stats []passStats
	for p := 1; p <= o.passes; p++ {
		var st passStats
		if p > 1 {
			st = f.advance(o.churn)
		}
		st = f.stats(st)
		if err := f.writePass(o, p); err != nil {
			return err
		}
		stats = append(stats, st)
		fmt.Fprintf(stdout, "%s: %s\n", passDir(p), st)
	}
	return writeManifest(manifest, o, stats)
}

func passDir(p int) string { return "pass-" + pad(p, 3) }

// writePass writes every file of pass p.
func (f *fleet) writePass(o options, p int) error {
	dir := filepath.Join(o.out, passDir(p))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := f.writeInventory(filepath.Join(dir, "inventory.csv")); err != nil {
		return err
	}
	if err := f.writeLists(dir, o.lists); err != nil {
		return err
	}
	if !o.controlPlanes {
		return nil
	}
	t := o.passTime(p)
	if err := f.writeHDFS(filepath.Join(dir, "hdfs-report.txt"), t, p); err != nil {
		return err
	}
	if err := f.writeYARN(filepath.Join(dir, "yarn-nodes.txt"), p); err != nil {
		return err
	}
	if err := f.writeProm(filepath.Join(dir, "prom-up.json"), t); err != nil {
		return err
	}
	return f.writeUname(filepath.Join(dir, "prom-uname.json"), t)
}

func (o options) passTime(p int) time.Time { return o.start.Add(time.Duration(p-1) * time.Hour) }

func (st passStats) String() string {
	s := fmt.Sprintf("hosts=%d", st.hosts)
	for i, n := range st.life {
		s += fmt.Sprintf(" %s=%d", lifeNames[i], n)
	}
	return s + fmt.Sprintf(" responsive=%d hadoop_exclude=%d puppet_ok=%d changed=%d removed=%d added=%d",
		st.responsive, st.exclude, st.puppetOK, st.changed, st.removed, st.added)
}

// flagsLine is the canonical form of the options that decide the output.
func (o options) flagsLine() string {
	line := fmt.Sprintf("--hosts %d --passes %d --churn %s --seed %d --lists=%t --control-planes=%t",
		o.hosts, o.passes, strconv.FormatFloat(o.churn, 'g', -1, 64), o.seed, o.lists, o.controlPlanes)
	if !o.start.Equal(defaultStart) {
		line += " --start " + o.start.Format(time.RFC3339)
	}
	return line
}

// writeManifest records what was generated. It is written last, so a
// missing MANIFEST means an incomplete run.
func writeManifest(path string, o options, stats []passStats) error {
	s := "# written by examples/genfleet; regenerate when the flags line differs\n"
	s += "generator: " + generatorVersion + "\n"
	s += "flags: " + o.flagsLine() + "\n"
	s += fmt.Sprintf("hosts: %d\npasses: %d\nchurn: %s\nseed: %d\n",
		o.hosts, o.passes, strconv.FormatFloat(o.churn, 'g', -1, 64), o.seed)
	s += fmt.Sprintf("lists: %t\ncontrol_planes: %t\n", o.lists, o.controlPlanes)
	s += "first_pass_time: " + o.start.Format(time.RFC3339) + "\npass_interval: 1h\n"
	s += "files: " + filesLine(o) + "\n"
	for i, st := range stats {
		s += passDir(i+1) + ": " + st.String() + "\n"
	}
	return os.WriteFile(path, []byte(s), 0o644)
}

func filesLine(o options) string {
	s := "inventory.csv responsive dead-reboot"
	if o.lists {
		s += " lists/all lists/hadoop_exclude lists/responsive lists/puppet_ok"
	}
	if o.controlPlanes {
		s += " hdfs-report.txt yarn-nodes.txt prom-up.json prom-uname.json"
	}
	return s
}
