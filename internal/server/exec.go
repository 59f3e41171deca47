package server

import (
	"context"
	"time"

	"github.com/fleetq/fleetq/internal/auth"
)

// Call is one operation to run: the command line (the command path, its
// flags, "--", its arguments), who asks, and the output format.
type Call struct {
	Op        Op
	Principal auth.Principal
	// Args are the command's arguments after the command path: flags as
	// --name=value, then "--" and the positional arguments, so no value
	// is ever read as a flag.
	Args   []string
	Format string
	// Remote is the client's address, for the request log and audit.
	Remote string
	// LockWait, when not 0, is what is left of the wait for the
	// database lock (Config.LockWait less the wait for this process's
	// turn): the command waits for the file's lock no longer.
	LockWait time.Duration
	// Compact is set for a page's call (Mux.Run): the JSON is decoded by
	// the page in this process, so the executor may print it without
	// indentation (the same values; the API's answers stay indented).
	Compact bool
}

// Result is what the command printed and how it ended. Err is nil on
// success; on failure it is the error the API returns (the executor
// chooses the kind), and Stdout is still what was printed before it.
type Result struct {
	Stdout []byte
	Stderr []byte
	Code   int // the exit status the CLI would have
	Err    *Error
}

// Executor runs a call in-process against the database the server
// serves: cmd/fleetq's command tree with the principal as the requester.
type Executor interface {
	Exec(ctx context.Context, c Call) Result
}
