package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/server"
)

// client is the CLI as a client of fleetq serve: with --server URL (or
// $FLEETQ_SERVER) a command that has an API operation (server.Ops) is
// sent to the server, which runs the same command against its database
// with the token's name as the requester, and what it printed (stdout,
// stderr, exit status: the CLI envelope) is printed here as it is. So a
// command prints exactly what it prints locally.
type client struct {
	a          *app
	server     string
	tokenFile  string
	serverCA   string
	clientCert string
	clientKey  string
}

// clientFlags are the flags the client itself reads: they never become
// an operation's parameters. --yes is the confirmation of --commit, which
// the server takes as given (the API call is the confirmation).
var clientFlags = []string{"server", "token-file", "server-ca", "client-cert", "client-key", "format", "no-color", "yes", "help"}

// refusedRemote are the local flags that make no sense against a server,
// each with why.
var refusedRemote = map[string]string{
	"as":     "--as is refused with --server: the requester is the name of the token the server authenticates",
	"db":     "--db is refused with --server: the server decides on the database it serves",
	"policy": "--policy is refused with --server: the server decides with its own policy (fleetq serve --policy)",
}

// localOnly are the commands that read no database, and serve, which
// is the server: they run here whatever --server says.
var localOnly = []string{"help", "completion", "version", "generate", "serve", "__shellcomplete", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd}

func (c *client) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.server, "server", "", "send the command to fleetq serve at `URL` (default $FLEETQ_SERVER; \"\" runs it locally)")
	fs.StringVar(&c.tokenFile, "token-file", "", "with --server: read the bearer token from `FILE` (else $FLEETQ_TOKEN, which holds the secret itself, else the file $FLEETQ_TOKEN_FILE names)")
	fs.StringVar(&c.serverCA, "server-ca", "", "with --server https://…: also trust the CA certificates in `FILE` (PEM; default $FLEETQ_SERVER_CA)")
	fs.StringVar(&c.clientCert, "client-cert", "", "with --server https://…: present this client certificate (PEM `FILE`; mutual TLS, with --client-key)")
	fs.StringVar(&c.clientKey, "client-key", "", "the client certificate's private key (PEM `FILE`)")
}

// clientAtSource registers the client's flags on root and makes every
// command that reads or writes a database go to the server when one is
// given: the one place the CLI becomes a client.
func clientAtSource(root *cobra.Command, a *app) {
	c := &client{a: a}
	c.addFlags(root.PersistentFlags())
	walkCommands(root, func(cmd *cobra.Command) {
		if cmd.RunE == nil || cmd == root || slices.Contains(localOnly, topCommand(cmd)) {
			return
		}
		run := cmd.RunE
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			base, remote, err := c.serverURL(cmd)
			switch {
			case err != nil:
				return err
			case remote:
				return c.run(cmd, args, base)
			}
			return run(cmd, args)
		}
	})
}

// topCommand is the first word of cmd's path after "fleetq".
func topCommand(cmd *cobra.Command) string {
	words := strings.Fields(cmd.CommandPath())
	if len(words) < 2 {
		return ""
	}
	return words[1]
}

// serverURL is the server to send cmd to: --server, else $FLEETQ_SERVER;
// "" is local. A command fleetq serve runs in-process is always local:
// the server is the one deciding.
func (c *client) serverURL(cmd *cobra.Command) (string, bool, error) {
	if c.a.principal != "" {
		return "", false, nil
	}
	s := c.server
	if !cmd.Flags().Changed("server") {
		s = os.Getenv("FLEETQ_SERVER")
	}
	if s == "" {
		for _, f := range []string{"token-file", "server-ca", "client-cert", "client-key"} {
			if cmd.Flags().Changed(f) {
				return "", false, &usageError{fmt.Sprintf("--%s is for --server (or $FLEETQ_SERVER): this command runs locally", f)}
			}
		}
		return "", false, nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false, &usageError{fmt.Sprintf("--server %q: expected http://HOST:PORT or https://HOST:PORT", s)}
	}
	return strings.TrimSuffix(s, "/"), true, nil
}

// run sends cmd with args to the server at base and prints its answer.
func (c *client) run(cmd *cobra.Command, args []string, base string) error {
	path := strings.Fields(cmd.CommandPath())[1:]
	op, ok := server.ForCommand(path, args)
	if !ok {
		return &usageError{fmt.Sprintf("%s has no API operation: it runs on a local database only (give --server \"\" or unset $FLEETQ_SERVER)", strings.Join(path, " "))}
	}
	if err := c.checkConfirm(cmd); err != nil {
		return err
	}
	vals, err := remoteParams(op, cmd, path, args)
	if err != nil {
		return err
	}
	return c.send(cmd, op, vals, base)
}

// checkConfirm: --commit on the command line asks on a terminal before
// it grants leases; over the server nothing asks, so --commit needs --yes
// (as in scripts, with the same message there).
func (c *client) checkConfirm(cmd *cobra.Command) error {
	commit, yes := cmd.Flags().Lookup("commit"), cmd.Flags().Lookup("yes")
	if commit == nil || yes == nil || commit.Value.String() != "true" || yes.Value.String() == "true" {
		return nil
	}
	if !isTerminal(c.a.stdin) {
		return &usageError{"--commit grants leases: scripts add --yes (on a terminal fleetq asks); without --commit this is a dry run"}
	}
	return &usageError{"--commit with --server does not ask: add --yes to grant the leases (or leave out --commit, read the plan, then fleetq apply TOKEN)"}
}

// remoteParams are op's parameters from cmd's command line: the command
// path's placeholders ({verb}), every flag the user set, and the
// positional arguments in the order of op's positional parameters.
func remoteParams(op server.Op, cmd *cobra.Command, path, args []string) (map[string]any, error) {
	vals := map[string]any{}
	filled := map[string]bool{}
	for i, part := range op.Command {
		if name, ok := strings.CutPrefix(part, "{"); ok {
			name = strings.TrimSuffix(name, "}")
			vals[name], filled[name] = path[i], true
		}
	}
	var err error
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if err != nil || slices.Contains(clientFlags, f.Name) {
			return
		}
		if msg, ok := refusedRemote[f.Name]; ok {
			err = &usageError{msg}
			return
		}
		p, ok := op.ParamForFlag(f.Name)
		if !ok {
			err = &usageError{fmt.Sprintf("--%s is not supported with --server (the API's %s has no such parameter)", f.Name, op.ID)}
			return
		}
		vals[p.Name] = flagValue(p, f)
	})
	if err != nil {
		return nil, err
	}
	rest := args[len(op.Fixed):]
	for _, p := range op.Params {
		if p.Flag != "" || filled[p.Name] {
			continue
		}
		switch {
		case len(rest) == 0:
			if p.Required {
				return nil, &usageError{fmt.Sprintf("%s: %s is required with --server (%s)", cmd.CommandPath(), strings.ToUpper(p.Name), p.Doc)}
			}
		case p.Type == "array":
			vals[p.Name], rest = rest, nil
		default:
			vals[p.Name], rest = argValue(p, rest[0]), rest[1:]
		}
	}
	if len(rest) > 0 {
		return nil, &usageError{fmt.Sprintf("%s: too many arguments for the API's %s: %s", cmd.CommandPath(), op.ID, strings.Join(rest, " "))}
	}
	return vals, nil
}

// flagValue is f's value as p's type: a boolean, a number, a list, a
// string (a list flag behind a string parameter is comma-separated).
func flagValue(p server.Param, f *pflag.Flag) any {
	sv, isSlice := f.Value.(pflag.SliceValue)
	switch {
	case p.Type == "array" && isSlice:
		return sv.GetSlice()
	case p.Type == "array":
		return []string{f.Value.String()}
	case isSlice:
		return strings.Join(sv.GetSlice(), ",")
	case p.Type == "boolean":
		return f.Value.String() == "true"
	}
	return argValue(p, f.Value.String())
}

func argValue(p server.Param, s string) any {
	if p.Type == "integer" {
		return json.Number(s)
	}
	return s
}
