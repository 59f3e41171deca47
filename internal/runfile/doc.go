// Package runfile interprets saved query files, the files fleetq run
// evaluates from cron and fleetq loop on every pass: one statement a line,
//
//	NAME = expression                  bind a set for the rest of the file
//	save NAME                          store the binding NAME as a set of the pass
//	assert count(EXPR) OP N            OP is < <= > >= == !=
//	assert count(EXPR) OP count(EXPR)  compare two counts
//	assert [not] rising(EXPR, STEPS)   the count rose in each of the last STEPS
//	                                   pass-to-pass steps (falling: fell in each;
//	                                   stuck: the same non-empty hosts in each)
//	watch NAME up|down [STEPS]         mark NAME in the summary when its count
//	                                   moved that way STEPS steps running (3)
//	expression                         its count goes in the summary
//	# comment
//
// Parse turns the text into Lines; Run evaluates them in order against a
// query.Env and returns a Report: one typed entry per set, assert, save
// and skipped line. A line that needs history the snapshot does not have
// (name@-1 on a first pass), and every line using what it would have
// bound, is skipped and said so, not an error; an assert short of passes
// has verdict short, shown and not failed. Report.Failed is the first
// failed assert as an *AssertError, for the command's exit status.
//
// The file's bindings are named expressions: NAME@-N of a binding is its
// expression evaluated N passes back, and each set's previous count, each
// watch and each trend evaluate the file in the passes before the current
// one (history.go), through a snapshot shifted back so that every @-N
// inside counts from the pass it is evaluated in.
//
// The package is a layer above the language, not part of it: it uses
// internal/query to parse and evaluate and reads passes only through the
// fleet contract, so it is tested without a database. It writes nothing:
// the sets to save are in the Report, for the caller to store in the
// transaction it evaluated in, and it never prints.
package runfile
