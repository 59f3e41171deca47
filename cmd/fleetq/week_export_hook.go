package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// The hook of fleetq week export: a program, given as an argv after "--",
// run once per customer after every file is written, as a verb's executor
// runs after a commit (outcome.go runExecutor): the customer's hosts on
// stdin, one per line, what it needs in its environment, its output on
// fleetq's stderr. No shell: the customer name reaches it only as an
// environment value, never as a word a shell would read.

// hookRun is how a customer's hook ended.
type hookRun struct {
	Customer string `json:"customer"`
	OK       bool   `json:"ok"`
	Result   string `json:"result"` // "ok", "exit 3", or the start error
}

// runCustomerHooks runs hook for each customer (not the unassigned hosts:
// there is no one to tell), every one whatever the others did.
func runCustomerHooks(a *app, hook []string, ex *weekExport, dir string) []hookRun {
	var runs []hookRun
	for i := range ex.Customers {
		c := &ex.Customers[i]
		if c.Customer == "" {
			continue
		}
		err := runCustomerHook(a, hook, ex, c, dir)
		run := hookRun{Customer: c.Customer, OK: err == nil, Result: "ok"}
		if err != nil {
			run.Result = err.Error()
			fmt.Fprintf(a.stderr, "fleetq: hook %s for customer %s: %s\n", hook[0], strconv.Quote(c.Customer), run.Result)
		}
		runs = append(runs, run)
	}
	return runs
}

func runCustomerHook(a *app, hook []string, ex *weekExport, c *exportedCustomer, dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	cmd := exec.Command(hook[0], hook[1:]...)
	cmd.Stdin = strings.NewReader(customerHosts(c))
	cmd.Stdout, cmd.Stderr = a.stderr, a.stderr
	cmd.Env = append(os.Environ(),
		"FLEETQ_WEEK="+ex.Week, "FLEETQ_CUSTOMER="+c.Customer, "FLEETQ_CUSTOMER_FILE="+c.File,
		"FLEETQ_CSV="+filepath.Join(abs, c.File+".csv"), "FLEETQ_ICS="+filepath.Join(abs, c.File+".ics"),
		"FLEETQ_HOSTS="+strconv.Itoa(c.Hosts), "FLEETQ_SLOTS="+strconv.Itoa(c.Slots))
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return fmt.Errorf("exit %d", ee.ExitCode())
	}
	return err
}

// customerHosts is every host of c, one per line, in the CSV's order.
func customerHosts(c *exportedCustomer) string {
	var b strings.Builder
	for _, s := range c.steps {
		for _, h := range s.hosts {
			b.WriteString(h + "\n")
		}
	}
	for _, h := range c.unslotted {
		b.WriteString(h + "\n")
	}
	return b.String()
}

// hookFailures is the error when any customer's hook failed: the files
// stand, the failed customers are named.
func hookFailures(hook []string, runs []hookRun) error {
	var failed []string
	for _, r := range runs {
		if !r.OK {
			failed = append(failed, strconv.Quote(r.Customer))
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return &exitError{code: exitFailure, err: fmt.Errorf("hook %s failed for %d of %d customers: %s; the files are written",
		hook[0], len(failed), len(runs), strings.Join(failed, ", "))}
}
