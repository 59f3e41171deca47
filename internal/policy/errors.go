package policy

import "errors"

var (
	// ErrNoPolicy is returned by Find when no policy file is given and none
	// lies beside the database: actions fail closed without one.
	ErrNoPolicy = errors.New("no policy file")
	// ErrInvalid is returned by Parse for a policy that does not decode or
	// does not validate (unknown key, bad number, bad expression).
	ErrInvalid = errors.New("invalid policy")
	// ErrUnknownVerb is returned for a verb fleetq does not know.
	ErrUnknownVerb = errors.New("unknown verb")
	// ErrTooLarge is returned by Load for a file longer than MaxFileBytes
	// (--policy /dev/zero): reading stops there.
	ErrTooLarge = errors.New("policy file too large")
)

// MaxFileBytes bounds a policy file: a person writes it, and the largest
// real one is a few KiB.
const MaxFileBytes = 1 << 20
