package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/fleetq/fleetq/internal/query"
	"github.com/fleetq/fleetq/internal/store"
)

// replHelp is what :help prints.
const replHelp = `Statements (see 'fleetq help language'):
  all - hadoop_exclude & responsive | sample 5
  x = all - hadoop_exclude          bind x for the rest of the session
  x & role = "hadoop-worker" | by cluster

Commands:
  :pass                 show the current pass
  :pass N               evaluate in pass N
  :pass -1 | +1         move one pass back or forward
  :pass latest          follow the newest pass (the default)
  :passes               list passes
  :sets                 list the sets of the current pass and the session bindings
  :schema               list the attributes of the current pass (fleetq schema)
  :explain EXPR         the expression tree with the size of every set
  :why HOST EXPR        which term brought HOST in and which removed it
  :format text|json|csv|folded
  :seed N | :seed random
  :help                 this text
  :quit                 leave (also Ctrl-D)

A line starting with a fleetq command (host, diff, drain, …) runs it as on
the command line, with this session's --db and --format: host dn00042.smf1
Tab completes names, values after = and in (, stages after |, passes after @.
Ctrl-C cancels a running statement.`

// metaCommands lists the :commands for completion, in help order.
var metaCommands = []string{":pass", ":passes", ":sets", ":schema", ":explain", ":why", ":format", ":seed", ":help", ":quit"}

// meta runs a :command.
func (s *session) meta(ctx context.Context, line string) error {
	name, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	defer func(c string) { s.a.command = c }(s.a.command)
	s.a.command = "fleetq " + strings.TrimPrefix(name, ":") // refusals of a format name it
	switch name {
	case ":q", ":quit", ":exit":
		return errQuit
	case ":h", ":help", ":?":
		_, err := fmt.Fprintln(s.a.stdout, replHelp)
		return err
	case ":pass":
		return s.movePass(arg)
	case ":passes":
		return runPasses(s.a)
	case ":sets":
		return s.sets()
	case ":schema":
		return runSchema(ctx, s.a, &schemaOptions{pass: s.pass})
	case ":explain":
		return s.explain(ctx, arg)
	case ":why":
		host, expr, _ := strings.Cut(arg, " ")
		return s.why(ctx, host, strings.TrimSpace(expr))
	case ":format":
		return s.setFormat(arg)
	case ":seed":
		return s.setSeed(arg)
	}
	return &usageError{fmt.Sprintf("unknown command %s (try :help)", name)}
}

// movePass handles :pass [N|latest|-N|+N].
func (s *session) movePass(arg string) error {
	if arg == "" {
		return s.showPass()
	}
	if arg == "latest" || arg == "newest" {
		s.pass = 0
		s.vocab.reset()
		return s.showPass()
	}
	var passes []store.PassInfo
	if err := s.a.view(func(tx *store.Tx) (err error) {
		passes, err = tx.Passes()
		return err
	}); err != nil {
		return err
	}
	id, err := pickPass(passes, s.pass, arg)
	if err != nil {
		return err
	}
	s.pass = id
	s.vocab.reset()
	return s.showPass()
}

// pickPass resolves N, -N or +N (relative to cur, 0 meaning the newest)
// against the list of passes.
func pickPass(passes []store.PassInfo, cur int64, arg string) (int64, error) {
	if len(passes) == 0 {
		return 0, store.ErrNoPasses
	}
	n, err := strconv.ParseInt(arg, 10, 64)
	if err != nil {
		return 0, &usageError{fmt.Sprintf(":pass %s: expected a pass id, -N, +N or latest", arg)}
	}
	if arg[0] != '-' && arg[0] != '+' {
		for _, p := range passes {
			if p.ID == n {
				return n, nil
			}
		}
		return 0, fmt.Errorf("no pass %d (passes %d to %d)", n, passes[0].ID, passes[len(passes)-1].ID)
	}
	i := len(passes) - 1
	for j, p := range passes {
		if p.ID == cur {
			i = j
		}
	}
	j := i + int(n)
	if j < 0 || j >= len(passes) {
		return 0, fmt.Errorf("no pass %s from pass %d (passes %d to %d)", arg, passes[i].ID, passes[0].ID, passes[len(passes)-1].ID)
	}
	return passes[j].ID, nil
}

func (s *session) showPass() error {
	var info *store.PassInfo
	var latest int64
	err := s.a.view(func(tx *store.Tx) error {
		latest = tx.LatestID()
		p, err := tx.Pass(s.pass)
		if err == nil {
			info = p.Info()
		}
		return err
	})
	if err != nil {
		return err
	}
	how := "pinned; the newest is " + strconv.FormatInt(latest, 10)
	switch s.pass {
	case 0:
		how = "the newest; following new passes"
	case latest:
		how = "pinned; it is the newest"
	}
	label := ""
	if info.Label != "" {
		label = " (" + info.Label + ")"
	}
	_, err = fmt.Fprintf(s.a.stdout, "pass %d%s made %s, %d hosts; %s\n", info.ID, label, info.Created.Format("2006-01-02T15:04:05Z"), info.Hosts, how)
	return err
}

// sets lists the pass's sets, then the session's bindings.
func (s *session) sets() error {
	if err := runSets(s.a, &setsOptions{pass: s.pass}); err != nil {
		return err
	}
	names := s.bindingNames()
	if len(names) == 0 || s.a.format == "json" {
		return nil
	}
	rows := make([][]string, len(names))
	for i, n := range names {
		rows[i] = []string{n, strconv.FormatUint(s.bindings[n].GetCardinality(), 10), "session binding"}
	}
	fmt.Fprintln(s.a.stdout)
	return s.a.writeRows(s.a.stdout, []string{"BINDING", "HOSTS", "FROM"}, rows)
}

func (s *session) explain(ctx context.Context, text string) error {
	if text == "" {
		return &usageError{":explain EXPR: no expression"}
	}
	var steps []query.Step
	err := s.view(ctx, func(tx *store.Tx, env *query.Env) error {
		st, err := parseStatement(env, text)
		if err != nil {
			return err
		}
		steps, _, err = query.Explain(env, st)
		return err
	})
	if err != nil {
		return err
	}
	return s.a.print(explainResult(steps))
}

func (s *session) why(ctx context.Context, host, text string) error {
	if host == "" || text == "" {
		return &usageError{":why HOST EXPR: expected a host and an expression"}
	}
	host = strings.ToLower(host)
	var rep *query.WhyReport
	err := s.view(ctx, func(tx *store.Tx, env *query.Env) (err error) {
		rep, err = whyIn(tx, env, host, text)
		return err
	})
	if err != nil {
		return err
	}
	return s.a.print(whyResult{rep})
}

func (s *session) setFormat(arg string) error {
	old := s.a.format
	s.a.format = arg
	if err := s.a.validate(); err != nil {
		s.a.format = old
		return err
	}
	return nil
}

func (s *session) setSeed(arg string) error {
	if arg == "random" || arg == "" {
		s.seed = 0
		return nil
	}
	n, err := strconv.ParseUint(arg, 10, 64)
	if err != nil || n == 0 {
		return &usageError{fmt.Sprintf(":seed %s: expected a positive number or random", arg)}
	}
	s.seed = n
	return nil
}
