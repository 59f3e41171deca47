// Package setops is the host-set algebra of fleetq.
//
// A host set is a *roaring.Bitmap of uint32 host ids (the id a pass assigns
// to each host key). The four set operators of the query language map to
// Union, Difference, Intersection and SymDiff; the pipeline stages that pick
// hosts map to Sample, SampleStable, Spread, Stratify and Split.
//
// Inputs are never mutated. A set handed to this package may be a read-only
// view over a memory-mapped bbolt page, created with roaring's FromBuffer, so
// every function builds a new result with roaring.And, Or, AndNot, Xor or
// from a Clone, never with the in-place methods. Roaring shares containers
// copy-on-write, so a result derived from a FromBuffer view may still point
// into that buffer: call CloneCopyOnWriteContainers on it before the bbolt
// transaction that owns the page ends.
//
// A nil set is read as the empty set. Results are always non-nil.
//
// Randomness comes only from the *rand.Rand the caller passes in, and every
// function consumes it in an order fixed by the input (ascending host id,
// sorted group keys), so a given seed and input always give the same output.
package setops
