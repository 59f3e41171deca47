package query

import (
	"fmt"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/fleetq/fleetq/internal/fleet"
)

// The language's reads of a pass. A read error (a damaged blob) becomes a
// storage error at the position of the name being read, never "not found".

func readSet(pass fleet.Pass, p Pos, input, name string) (*roaring.Bitmap, bool, error) {
	bm, ok, err := pass.Set(name)
	if err != nil {
		return nil, false, storageError(p, input, err)
	}
	return bm, ok, nil
}

func readAttr(pass fleet.Pass, p Pos, input, name string) (fleet.Attr, bool, error) {
	a, ok, err := pass.Attr(name)
	if err != nil {
		return nil, false, storageError(p, input, err)
	}
	return a, ok, nil
}

// hasAttr reports whether pass has an attribute of that name, without
// reading it.
func hasAttr(pass fleet.Pass, name string) bool {
	_, found := slices.BinarySearch(pass.AttrNames(), name)
	return found
}

func storageError(p Pos, input string, err error) *Error {
	return &Error{Pos: p, Msg: fmt.Sprintf("%v: %v", ErrStorage, err), Input: input, Err: fmt.Errorf("%w: %w", ErrStorage, err)}
}
