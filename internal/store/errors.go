package store

import (
	"errors"

	"github.com/fleetq/fleetq/internal/fleet"
)

var (
	// ErrNoDatabase is returned by Open when the file does not exist and
	// the caller did not ask to create it (a mistyped --db for a read).
	ErrNoDatabase = errors.New("no such database")
	// ErrNotFleetq is returned when the file is a bbolt file (or anything
	// else) that fleetq did not create, or has a schema this build can't read.
	ErrNotFleetq = errors.New("not a fleetq database")
	// ErrLocked is returned when the file lock could not be had in time.
	ErrLocked = errors.New("database is locked")
	// ErrNoPass is returned when a pass id or reference matches no pass:
	// the contract's fleet.ErrNoPass, so errors.Is works on either.
	ErrNoPass = fleet.ErrNoPass
	// ErrNoPasses is returned when the database holds no pass yet.
	ErrNoPasses = errors.New("the database has no passes yet (run fleetq ingest)")
	// ErrCompact is returned when compacting the file failed after the
	// changes before it (gc's removal, ingest's pass) were committed: the
	// file is intact, only not compacted.
	ErrCompact = errors.New("compaction failed")
	// ErrCorrupt is returned when stored data fails to decode.
	ErrCorrupt = errors.New("corrupt data")
)
