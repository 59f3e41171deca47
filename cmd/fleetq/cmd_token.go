package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetq/fleetq/internal/auth"
)

// tokensPath is --tokens, else $FLEETQ_TOKENS, else fleetq.tokens.json
// beside the database.
func tokensPath(a *app, flag string) string {
	if flag != "" {
		return flag
	}
	if p := os.Getenv("FLEETQ_TOKENS"); p != "" {
		return p
	}
	return filepath.Join(filepath.Dir(a.dbPath()), "fleetq.tokens.json")
}

type tokenOptions struct {
	tokens     string
	role       string
	automation bool
}

func (o *tokenOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.tokens, "tokens", "", "tokens file (default $FLEETQ_TOKENS, else fleetq.tokens.json beside the database)")
}

func (o *tokenOptions) Validate() error { return nil }

type tokenCreateOptions struct{ tokenOptions }

func (o *tokenCreateOptions) AddFlags(fs *pflag.FlagSet) {
	o.tokenOptions.AddFlags(fs)
	fs.StringVar(&o.role, "role", "", "viewer, requester, operator or admin (required)")
	fs.BoolVar(&o.automation, "automation", false, "no human stands behind this token (cron, a controller): it may never force")
}

func (o *tokenCreateOptions) Validate() error {
	if o.role == "" {
		return &usageError{"token create: --role is required (viewer, requester, operator or admin)"}
	}
	_, err := auth.ParseRole(o.role)
	return asUsage(err)
}

func newTokenCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token create|list|revoke",
		Short: "Manage the bearer tokens of fleetq serve",
		Long: `The principals of fleetq serve are bearer tokens, each with a name and a
role. The name is the requester recorded in every decision, lease and
audit entry the token's calls make.

  viewer     reads: query, explain, leases, audit, headroom
  requester  decides, starts its own plans, stops its own leases; never forces
  operator   also --force --reason, and stops or cancels others' leases
  admin      also freezes, incidents and tokens

The tokens file (--tokens, $FLEETQ_TOKENS, else fleetq.tokens.json beside
the database, mode 0600) holds only each token's SHA-256: the secret is
printed once, by create. A running server rereads the file when it
changes, so a revoked token stops working at its next request.

Run it on the server's host as the user the server runs as, with the
server's --db (or --tokens): the file it writes must be one the server
reads (sudo -u fleetq fleetq --db /var/lib/fleetq/fleet.db token create
…). A rewrite keeps the file's owner and group; a file root creates is
root's, and a server running as another user cannot read it. Elsewhere,
an admin's token manages tokens over the API (--server, POST /v1/tokens).
Save a secret readable by you only: umask 077 before "> name.token".

Examples:
  TOKEN=$(fleetq token create ci-drainer --role requester --automation)
  fleetq token list
  fleetq token revoke ci-drainer

` + exitCodesHelp,
	}
	cmd.AddCommand(newTokenCreateCommand(a), newTokenListCommand(a), newTokenRevokeCommand(a))
	return cmd
}

func newTokenCreateCommand(a *app) *cobra.Command {
	o := &tokenCreateOptions{}
	cmd := &cobra.Command{
		Use:   "create NAME --role ROLE [--automation]",
		Short: "Create a token; its secret is printed once, alone on stdout",
		Long: `Create a token called NAME with ROLE and print its secret, alone on one
line of stdout, so a script can capture it:

  TOKEN=$(fleetq token create alice --role operator)

It is not shown again: the file keeps only its hash. A name already in
the file is refused (revoke it first). With --format json it prints the
token's name, role, automation and secret (what POST /v1/tokens answers).

Examples:
  fleetq token create alice --role operator > alice.token
  TOKEN=$(fleetq token create ci-drainer --role requester --automation)
  fleetq token create bob --role viewer --server https://fleetq:8470   # as an admin's token

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			role, _ := auth.ParseRole(o.role)
			by := currentUser()
			if a.principal != "" {
				by = a.principal // POST /v1/tokens: the admin who asked
			}
			secret, err := auth.Create(tokensPath(a, o.tokens), args[0], role, o.automation, by, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "fleetq: token %s (%s) added to %s; the secret is not shown again\n", args[0], role, tokensPath(a, o.tokens))
			return a.print(tokenCreated{Name: args[0], Role: role.String(), Automation: o.automation, Secret: secret})
		},
	}
	a.bind(cmd, o)
	return prints(cmd, tokenCreated{})
}

// tokenCreated is the result of token create: as text the secret alone
// on one line, for TOKEN=$(fleetq token create …); as JSON (POST
// /v1/tokens) the token with its secret.
type tokenCreated struct {
	Name       string `json:"name"`
	Role       string `json:"role"`
	Automation bool   `json:"automation"`
	Secret     string `json:"secret"`
}

func (t tokenCreated) jsonValue() any { return t }

func (t tokenCreated) writeText(w *textWriter) { fmt.Fprintln(w, t.Secret) }

// tokenRevoked is the result of token revoke: the name revoked (as JSON,
// what DELETE /v1/tokens/NAME answers).
type tokenRevoked struct {
	Revoked string `json:"revoked"`
}

func (t tokenRevoked) jsonValue() any { return t }

func (t tokenRevoked) writeText(w *textWriter) { fmt.Fprintf(w, "token %s revoked\n", t.Revoked) }

func newTokenListCommand(a *app) *cobra.Command {
	o := &tokenOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the tokens: name, role, automation, created (never the secret)",
		Long: `List the tokens of the tokens file: each one's name, role, kind (human
or automation), when and by whom it was created. Secrets are never kept,
so never listed.

Examples:
  fleetq token list
  fleetq token list --format json | jq -r '.[] | select(.role == "admin") | .name'

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ts, err := auth.Read(tokensPath(a, o.tokens))
			if err != nil {
				return err
			}
			return a.print(tokenList(ts))
		},
	}
	a.bind(cmd, o)
	return prints(cmd, tokenList(nil))
}

func newTokenRevokeCommand(a *app) *cobra.Command {
	o := &tokenOptions{}
	cmd := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Remove a token: the server refuses it from its next request",
		Long: `Remove token NAME from the tokens file. A running fleetq serve rereads
the file when it changes, so the token is refused from its next request
on. An unknown name is an error (exit 1).

Examples:
  fleetq token revoke ci-drainer
  fleetq token revoke bob --server https://fleetq:8470   # DELETE /v1/tokens/bob, as an admin

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := auth.Revoke(tokensPath(a, o.tokens), args[0]); err != nil {
				return err
			}
			return a.print(tokenRevoked{Revoked: args[0]})
		},
	}
	a.bind(cmd, o)
	return prints(cmd, tokenRevoked{})
}

// tokenList is the result of fleetq token list.
type tokenList []auth.Token

func (l tokenList) jsonValue() any {
	out := make([]map[string]any, len(l))
	for i, t := range l {
		out[i] = map[string]any{"name": t.Name, "role": t.Role, "automation": t.Automation,
			"created": t.Created, "created_by": t.CreatedBy}
	}
	return out
}

func (l tokenList) writeText(w *textWriter) {
	rows := make([][]string, len(l))
	for i, t := range l {
		kind := "human"
		if t.Automation {
			kind = "automation"
		}
		rows[i] = []string{t.Name, t.Role, kind, t.Created.Format(time.RFC3339), t.CreatedBy}
	}
	writeTable(w, []string{"NAME", "ROLE", "KIND", "CREATED", "BY"}, rows)
}
