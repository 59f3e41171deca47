package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/collect"
	"github.com/fleetq/fleetq/internal/policy"
	"github.com/fleetq/fleetq/internal/runfile"
)

// loopJitter is the spread of the sleep between passes: --every ±10%, so
// loops of several datacenters started together drift apart.
const loopJitter = 0.10

type loopOptions struct {
	every       time.Duration
	sources     string
	runFile     string
	decide      string
	reason      string
	commit      bool
	policy      string
	transcripts string
	passes      int
	deadline    time.Duration
	label       string
	defs        string
}

func (o *loopOptions) AddFlags(fs *pflag.FlagSet) {
	fs.DurationVar(&o.every, "every", 0, "time between passes (`DURATION`: 5m, 1h), ±10% jitter; required")
	fs.StringVar(&o.sources, "sources", "", "the sources file each pass collects (default $FLEETQ_SOURCES, else ./"+collect.DefaultFile+")")
	fs.StringVar(&o.runFile, "run", "", "query file whose summary and asserts each pass prints (as fleetq run FILE)")
	fs.StringVar(&o.decide, "decide", "", "after the run file, route EXPR (the argument) through `VERB` (drain, reboot, …): a dry run unless --commit")
	fs.StringVar(&o.reason, "reason", "", "with --decide: the reason recorded for every decision")
	fs.BoolVar(&o.commit, "commit", false, "with --decide: grant the leases the policy allows (never --force)")
	fs.StringVar(&o.policy, "policy", "", "with --decide: policy file or directory (default $FLEETQ_POLICY, else beside the database)")
	fs.StringVar(&o.transcripts, "transcripts", "", "directory of the transcripts, DIR/YYYY-MM-DD/pass-NNNN.txt (default: transcripts beside the database)")
	fs.IntVar(&o.passes, "passes", 0, "stop after N passes (default: until SIGINT or SIGTERM)")
	fs.DurationVar(&o.deadline, "deadline", 0, "bound on each collect (default the sources file's deadline)")
	fs.StringVar(&o.label, "label", "", "a label for every pass the loop makes")
	fs.StringVar(&o.defs, "defs", "", "definitions file each collect evaluates into its pass (default: those kept with fleetq defs set)")
}

func (o *loopOptions) Validate() error {
	switch {
	case o.every == 0:
		return &usageError{"--every is required: the time between passes, such as 5m"}
	case o.every < 0:
		return &usageError{fmt.Sprintf("--every %s: expected a positive time between passes, such as 5m", o.every)}
	case o.passes < 0:
		return &usageError{fmt.Sprintf("--passes %d: expected a positive count (0: until stopped)", o.passes)}
	case o.deadline < 0:
		return &usageError{fmt.Sprintf("--deadline %s: expected a positive duration", o.deadline)}
	case o.decide == "" && (o.reason != "" || o.commit || o.policy != ""):
		return &usageError{"--reason, --commit and --policy go with --decide VERB EXPR"}
	case o.decide != "" && o.reason == "":
		return &usageError{"--decide needs --reason: every decision records why"}
	}
	return nil
}

func newLoopCommand(a *app) *cobra.Command {
	o := &loopOptions{}
	cmd := &cobra.Command{
		Use:   "loop --every DURATION [--sources FILE] [--run FILE] [--decide VERB EXPR --reason R [--commit]]",
		Short: "The breakfix loop: collect, summarise, assert, optionally decide, sleep, repeat",
		Long: `Run the outer loop of a datacenter: every --every (±10% jitter), one pass
of

  1. collect: read the sources file into a new pass (fleetq collect, with
     the definitions of --defs, else those kept by fleetq defs set,
     evaluated into it); a source that fails is carried forward and
     warned about;
  2. the run file (--run): each set's count with its change since the
     previous pass, watched sets marked, the asserts (fleetq run FILE);
  3. a decision (--decide VERB EXPR --reason R): the verb routes EXPR's
     hosts through the policy and its budget, a dry run unless --commit
     (never --force); skipped on a pass whose run file failed (an assert
     failed, or the file could not be evaluated);

printed to stdout and written, whole (temp file and rename), as one
transcript per pass: --transcripts DIR (default: transcripts beside the
database), DIR/YYYY-MM-DD/pass-NNNN.txt, dated and named by the pass. A
pass whose collect made no pass is transcribed as nopass-HHMMSS.txt.

A failed step (an assert, a locked database, no source read) is in the
transcript, and the loop goes on; after --passes N the loop exits with
the status of the last pass's first failed step (0 when none failed), so
a one-pass loop from cron mails a failed assert (4) or a collect that
read nothing (6).

SIGINT or SIGTERM during the collect stops it without writing a pass;
during the other steps the pass is finished and transcribed first; during
the sleep the loop ends at once; the exit status is 0 in each case.

Only one loop runs per database: a second is refused, naming the holder
(host, pid, since) from DB.loop, which the kernel releases when the
holder dies.

Examples:
  fleetq loop --every 5m --sources /etc/fleetq/smf1.sources.toml --run /etc/fleetq/trends.fq
  fleetq loop --every 5m --run trends.fq --decide drain 'dead - dead@-1 - in_repair' --reason "breakfix loop"
  fleetq loop --every 15m --decide reboot 'unresponsive' --reason INC-42 --commit --transcripts /var/log/fleetq
  fleetq loop --every 1m --passes 1 --run trends.fq   # one pass, as from cron

` + loopExitCodesHelp() + `
  3  another fleetq loop runs on this database (it is named)
  After --passes N the status is that of the last pass's first failed
  step (collect, run, decide); a loop stopped by a signal exits 0.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if o.decide != "" && len(args) != 1 {
				return &usageError{"--decide " + o.decide + " needs EXPR, the hosts to decide on, as the argument"}
			}
			if o.decide == "" && len(args) > 0 {
				return &usageError{fmt.Sprintf("unexpected argument %q: EXPR goes with --decide VERB", args[0])}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			expr := ""
			if len(args) == 1 {
				expr = args[0]
			}
			return runLoop(cmd.Context(), a, o, expr)
		},
	}
	a.bind(cmd, o)
	return cmd // text only: one block per pass, as its transcript holds
}

// loop is a running fleetq loop.
type loop struct {
	a    *app
	o    *loopOptions
	expr string
	db   string
	dir  string // the transcripts directory
	n    int    // passes made so far
	// failed is the first step of the last pass that failed, and its exit
	// status: the loop's own after --passes N.
	failed     string
	failedCode int
	// stepFailures are the steps of the pass that failed in a way its
	// headline does not otherwise show: a run file that could not be
	// evaluated, a decision that failed ("run FAILED (exit status 1)").
	stepFailures []string
}

// fail notes a step's exit status; the first failure of a pass stays.
func (l *loop) fail(step string, code int) {
	if code != exitOK && l.failedCode == exitOK {
		l.failed, l.failedCode = step, code
	}
}

func runLoop(ctx context.Context, a *app, o *loopOptions, expr string) error {
	l := &loop{a: a, o: o, expr: expr, db: a.dbPath(), dir: o.transcripts}
	if l.dir == "" {
		l.dir = filepath.Join(filepath.Dir(l.db), "transcripts")
	}
	if err := l.check(); err != nil {
		return err
	}
	release, err := acquireLoopLock(l.db, o.every)
	if err != nil {
		return err
	}
	defer release()
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	for o.passes == 0 || l.n < o.passes {
		if !l.pass(ctx) {
			return nil
		}
		l.n++
		if o.passes != 0 && l.n == o.passes {
			return l.lastStatus()
		}
		if !sleepCtx(ctx, jittered(o.every)) {
			fmt.Fprintf(a.stderr, "fleetq loop: stopped while sleeping, after %d passes\n", l.n)
			break
		}
	}
	return nil
}

// lastStatus is the loop's exit after --passes N: the last pass's first
// failed step's status (a cron job's mail), nil when every step passed.
func (l *loop) lastStatus() error {
	if l.failedCode == exitOK {
		return nil
	}
	return &exitError{code: l.failedCode, err: fmt.Errorf("loop pass %d: %s failed (exit status %d); its transcript has what it printed", l.n, l.failed, l.failedCode)}
}

// check reads what every pass needs before the first one: the sources
// file, the definitions, the run file, the verb and its policy, so a
// mistake fails now, not in five minutes.
func (l *loop) check() error {
	co := &collectOptions{sources: l.o.sources}
	if _, err := collect.Load(co.sourcesPath()); err != nil {
		return sourcesFileHint(err, co)
	}
	if _, err := loadDefinitions(l.o.defs); err != nil {
		return err
	}
	if l.o.runFile != "" {
		data, err := readTextFile(l.o.runFile)
		if err != nil {
			return fmt.Errorf("%s: %w", l.o.runFile, unwrapErr(err))
		}
		if _, err := runfile.Parse(l.o.runFile, string(data)); err != nil {
			return err
		}
	}
	if l.o.decide != "" && !policy.IsVerb(l.o.decide) {
		return &usageError{fmt.Sprintf("--decide %s: not a verb (expected one of %s)", l.o.decide, strings.Join(policy.Verbs, ", "))}
	}
	if l.o.decide != "" {
		// The verb reads the policy again at each pass (an edit applies
		// to the next one); a missing or broken one fails here, now.
		path, err := policy.Find(l.o.policy, os.Getenv("FLEETQ_POLICY"), l.db)
		if err != nil {
			return fmt.Errorf("--decide %s: %w", l.o.decide, err)
		}
		if _, err := policy.Load(path); err != nil {
			return fmt.Errorf("--decide %s: %w", l.o.decide, err)
		}
	}
	return nil
}

// pass runs one pass and transcribes it. It returns false when a signal
// came: during the collect no pass was written; after it, the pass was
// finished first. Either way the loop ends.
func (l *loop) pass(ctx context.Context) bool {
	started := time.Now().UTC()
	var t bytes.Buffer
	l.failed, l.failedCode, l.stepFailures = "", exitOK, nil
	col, code, stderr := l.collect(ctx)
	l.fail("collect", code)
	if ctx.Err() != nil && (col == nil || col.Pass == 0) {
		fmt.Fprintf(l.a.stderr, "fleetq loop: stopped during the collect of loop pass %d: no pass was written\n", l.n+1)
		return false
	}
	// The pass is sealed (or none could be): what follows finishes even
	// if a signal comes now, so its transcript is whole.
	rest := context.WithoutCancel(ctx)
	var body bytes.Buffer
	writeCollectStep(&body, col, code, stderr)
	var rep *runfile.Report
	if col != nil && col.Pass != 0 {
		rep = l.runAndDecide(rest, &body)
	}
	fmt.Fprintf(&t, "== loop pass %d  %s  %s\n", l.n+1, started.Format(time.RFC3339), headline(col, rep, l.stepFailures))
	t.Write(body.Bytes())
	name, err := writeTranscript(l.transcriptName(col, started), t.Bytes())
	if err != nil {
		name = l.transcriptName(col, started)
		fmt.Fprintf(&t, "fleetq loop: warning: transcript %s: %v\n", name, err)
	} else {
		fmt.Fprintf(&t, "transcript: %s\n", name)
	}
	_, _ = l.a.stdout.Write(t.Bytes())
	if ctx.Err() != nil {
		fmt.Fprintf(l.a.stderr, "fleetq loop: stopped after finishing loop pass %d (%s)\n", l.n+1, name)
		return false
	}
	return true
}

// runAndDecide runs the run file, then the decision unless the run file
// failed: a check that fails is a reason to look, not to act. It returns
// the run file's report, nil without one (or when it could not run).
func (l *loop) runAndDecide(ctx context.Context, t *bytes.Buffer) *runfile.Report {
	runCode := exitOK
	var rep *runfile.Report
	if l.o.runFile != "" {
		rep, runCode = l.runStep(ctx, t)
		l.fail("run", runCode)
		if runCode != exitOK && (runCode != exitAssert || rep == nil) {
			l.stepFailures = append(l.stepFailures, fmt.Sprintf("run FAILED (exit status %d)", runCode))
		}
	}
	switch {
	case l.o.decide == "":
	case runCode != exitOK:
		fmt.Fprintf(t, "-- decide: skipped: the run file did not pass (exit status %d); no decision on this pass\n", runCode)
	default:
		code := l.step(ctx, t, "decide", l.decideArgs())
		l.fail("decide", code)
		if code != exitOK {
			l.stepFailures = append(l.stepFailures, fmt.Sprintf("decide FAILED (exit status %d)", code))
		}
	}
	return rep
}

// runStep runs fleetq run on the run file, in JSON for the headline, and
// appends what it prints in text (the same words, from the same report).
func (l *loop) runStep(ctx context.Context, t *bytes.Buffer) (*runfile.Report, int) {
	args := []string{"run", l.o.runFile}
	out, errOut, code := l.exec(ctx, append(args, "--format=json"))
	fmt.Fprintf(t, "-- run: fleetq %s\n", shellLine(args))
	var rep runfile.Report
	parsed := len(bytes.TrimSpace(out)) > 0 && json.Unmarshal(out, &rep) == nil
	if parsed {
		w := &textWriter{Writer: bufio.NewWriter(t)}
		(*runReport)(&rep).writeText(w)
		_ = w.Flush()
	}
	t.WriteString(errOut)
	if code != exitOK {
		fmt.Fprintf(t, "run: exit status %d\n", code)
	}
	if !parsed {
		return nil, code
	}
	return &rep, code
}

// headline is a pass's first line after its number and time: what to
// look at, in words (a pass made or not, sources failed, steps failed,
// asserts failed or short, watched sets marked).
func headline(col *collectResult, rep *runfile.Report, stepFailures []string) string {
	if col == nil || col.Pass == 0 {
		return "no pass made"
	}
	parts := []string{fmt.Sprintf("pass %d", col.Pass)}
	add := func(n int, one, many string) {
		switch {
		case n == 1:
			parts = append(parts, "1 "+one)
		case n > 1:
			parts = append(parts, fmt.Sprintf("%d %s", n, many))
		}
	}
	add(len(col.Failures), "source FAILED", "sources FAILED")
	parts = append(parts, stepFailures...)
	if rep != nil {
		failed, short, marked := 0, 0, 0
		for _, a := range rep.Asserts {
			failed += b2i(a.Verdict == runfile.VerdictFail)
			short += b2i(a.Verdict == runfile.VerdictShort)
		}
		for _, s := range rep.Sets {
			marked += b2i(s.Watch != nil && s.Watch.Marked)
		}
		add(failed, "assert FAILED", "asserts FAILED")
		add(marked, "watched set marked", "watched sets marked")
		add(short, "assert short of passes", "asserts short of passes")
	}
	if len(parts) == 1 {
		parts = append(parts, "nothing failed")
	}
	return strings.Join(parts, ", ")
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// collect runs fleetq collect in this process, in JSON to read the pass it
// made; its stderr holds the warnings of failed sources.
func (l *loop) collect(ctx context.Context) (*collectResult, int, string) {
	args := []string{"collect", "--format=json"}
	if l.o.sources != "" {
		args = append(args, "--sources="+l.o.sources)
	}
	if l.o.deadline > 0 {
		args = append(args, "--deadline="+l.o.deadline.String())
	}
	if l.o.label != "" {
		args = append(args, "--label="+l.o.label)
	}
	if l.o.defs != "" {
		args = append(args, "--defs="+l.o.defs)
	}
	out, errOut, code := l.exec(ctx, args)
	var res collectResult
	if len(bytes.TrimSpace(out)) == 0 || json.Unmarshal(out, &res) != nil {
		return nil, code, errOut
	}
	return &res, code, errOut
}

// step runs one fleetq command of the pass in text and appends what it
// printed, with its exit status when it failed; it returns the status.
func (l *loop) step(ctx context.Context, t *bytes.Buffer, name string, args []string) int {
	out, errOut, code := l.exec(ctx, append(args, "--format=text"))
	fmt.Fprintf(t, "-- %s: fleetq %s\n", name, shellLine(args))
	t.Write(out)
	t.WriteString(errOut)
	if code != exitOK {
		fmt.Fprintf(t, "%s: exit status %d\n", name, code)
	}
	return code
}

// exec runs a fleetq command in this process with a fresh command tree
// (as fleetq serve runs an API call), the loop's database and lock wait,
// and locally: the loop runs beside its database, and so do its steps,
// whatever $FLEETQ_SERVER says.
func (l *loop) exec(ctx context.Context, args []string) ([]byte, string, int) {
	argv := append([]string{args[0], "--db=" + l.db, "--server=", "--timeout=" + l.a.timeout.String(), "--stale-after=" + l.a.stale.String()}, args[1:]...)
	var stdout, stderr bytes.Buffer
	code, _ := executeErr(ctx, &app{}, argv, strings.NewReader(""), &stdout, &stderr)
	return stdout.Bytes(), stderr.String(), code
}

// decideArgs is the verb's command line: never --force; --commit --yes
// only when the loop was given --commit.
func (l *loop) decideArgs() []string {
	args := []string{l.o.decide, l.expr, "--reason=" + l.o.reason}
	if l.o.policy != "" {
		args = append(args, "--policy="+l.o.policy)
	}
	if l.o.commit {
		args = append(args, "--commit", "--yes")
	}
	return args
}

// transcriptName is DIR/DAY/pass-NNNN.txt for a pass made, dated by the
// pass; DIR/DAY/nopass-HHMMSS.txt when the collect made none.
func (l *loop) transcriptName(col *collectResult, started time.Time) string {
	if col != nil && col.Pass != 0 {
		day := col.Created.UTC().Format(time.DateOnly)
		return filepath.Join(l.dir, day, fmt.Sprintf("pass-%04d.txt", col.Pass))
	}
	return filepath.Join(l.dir, started.Format(time.DateOnly), "nopass-"+started.Format("150405")+".txt")
}

// writeCollectStep appends the collect's summary and warnings.
func writeCollectStep(t *bytes.Buffer, col *collectResult, code int, stderr string) {
	t.WriteString("-- collect\n")
	if col != nil {
		w := &textWriter{Writer: bufio.NewWriter(t)}
		col.writeText(w)
		_ = w.Flush()
	}
	t.WriteString(stderr)
	if code != exitOK {
		fmt.Fprintf(t, "collect: exit status %d: no pass this time\n", code)
	}
}

// writeTranscript writes data under name whole — to a temporary file
// beside it, then linked to its name, so a reader or a kill never sees
// half a transcript — and never over another file: when name is taken
// (the loop of another database sharing the directory, two passes that
// made none within one second), it takes name-2.txt, name-3.txt, ….
// It returns the name written.
func writeTranscript(name string, data []byte) (string, error) {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	var b bytes.Buffer
	sw := newSafeWriter(&b) // source data (host names, stderr) printed as text
	if _, err := sw.Write(data); err != nil {
		return "", err
	}
	if err := sw.Flush(); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, ".transcript-*.tmp")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b.Bytes())
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	base := strings.TrimSuffix(name, ".txt")
	for n := 1; n <= maxTranscriptNames; n++ {
		cand := name
		if n > 1 {
			cand = fmt.Sprintf("%s-%d.txt", base, n)
		}
		if err := os.Link(tmp.Name(), cand); !errors.Is(err, fs.ErrExist) {
			return cand, err
		}
	}
	return "", fmt.Errorf("%s and %d more names beside it are taken", name, maxTranscriptNames-1)
}

// maxTranscriptNames bounds the names writeTranscript tries for a pass.
const maxTranscriptNames = 1000

// jittered is d spread by ±loopJitter.
func jittered(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (1 + loopJitter*(2*rand.Float64()-1)))
}

// sleepCtx sleeps d; false when ctx ended it first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// shellLine is args as a shell would take them back, for the transcript.
func shellLine(args []string) string {
	out := make([]string, len(args))
	for i, s := range args {
		if s != "" && strings.IndexFunc(s, func(r rune) bool { return !strings.ContainsRune(safeShellChars, r) }) < 0 {
			out[i] = s
			continue
		}
		out[i] = "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}

const safeShellChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=@%,+-"

// loopExitCodesHelp is the common exit status list without its 130 (an
// interrupted command): a loop stopped by Ctrl-C or SIGTERM exits 0, as
// its help says below the list.
func loopExitCodesHelp() string {
	head, _, _ := strings.Cut(exitCodesHelp, "\n  130")
	return head
}
