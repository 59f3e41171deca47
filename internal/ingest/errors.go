package ingest

import (
	"errors"

	"github.com/fleetq/fleetq/internal/ingest/source"
)

// LineError is malformed input at a place in a file, `FILE:LINE: what was
// wrong` (source.LineError, which every kind returns).
type LineError = source.LineError

// HostError is a host name a source gave that is no host key, wrapped in
// a *LineError (source.HostError).
type HostError = source.HostError

// ErrEmpty is returned (wrapped in a *LineError) when a source that must
// name hosts names none; --allow-empty accepts it (source.ErrEmpty).
var ErrEmpty = source.ErrEmpty

// The bounds of Limits, each returned wrapped in a *LineError that names
// the file (and the line where there is one), the bound and its flag.
var (
	// ErrSourceTooLarge is returned when a source has more bytes than
	// Limits.SourceBytes; reading stops there.
	ErrSourceTooLarge = errors.New("source too large")
	// ErrLineTooLong is returned when a line of a line-oriented source is
	// longer than Limits.LineBytes; reading stops there.
	ErrLineTooLong = errors.New("line too long")
	// ErrFieldTooLong is returned when a string attribute value is longer
	// than Limits.FieldBytes.
	ErrFieldTooLong = errors.New("value too long")
	// ErrTooManyHosts is returned when a source names more distinct hosts
	// than Limits.Hosts.
	ErrTooManyHosts = errors.New("too many hosts")
	// ErrTooManyExpansions is returned when the host ranges of one file
	// expand to more names than Limits.Expansions, or one pattern to more
	// than 100,000 (source.ErrTooManyExpansions, which package ansible
	// returns).
	ErrTooManyExpansions = source.ErrTooManyExpansions
)
