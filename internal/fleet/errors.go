package fleet

import "errors"

// ErrNoPass is wrapped by Snapshot.Resolve when a reference matches no
// pass (name@-1 on a database's first pass). It is the contract's, so a
// caller can tell missing history from a read error without knowing
// which store answered.
var ErrNoPass = errors.New("no such pass")
