package fleet

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
)

// Type is the type of an attribute, or of a literal in the language.
type Type uint8

// Value types. The zero value is invalid so a forgotten type is caught.
const (
	String Type = iota + 1
	Number
	Bool
	Time // unix seconds, printed as RFC 3339
)

func (t Type) String() string {
	switch t {
	case String:
		return "string"
	case Number:
		return "number"
	case Bool:
		return "bool"
	case Time:
		return "time"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// Value is one host's value of an attribute. Num holds numbers and times
// (unix seconds); Str holds strings; Bool holds booleans.
type Value struct {
	Type Type
	Str  string
	Num  float64
	Bool bool
}

// Group is one distinct value of an attribute and the hosts holding it.
type Group struct {
	Value Value
	Hosts *roaring.Bitmap
}

// CompareValues orders two values of the same type: strings by bytes, numbers
// and times numerically (NaN first), false before true.
func CompareValues(a, b Value) int {
	switch a.Type {
	case String:
		switch {
		case a.Str < b.Str:
			return -1
		case a.Str > b.Str:
			return 1
		}
		return 0
	case Bool:
		switch {
		case a.Bool == b.Bool:
			return 0
		case !a.Bool:
			return -1
		}
		return 1
	}
	switch {
	case math.IsNaN(a.Num) && math.IsNaN(b.Num):
		return 0
	case math.IsNaN(a.Num) || a.Num < b.Num:
		return -1
	case math.IsNaN(b.Num) || a.Num > b.Num:
		return 1
	}
	return 0
}

// SortGroups sorts groups by value.
func SortGroups(gs []Group) {
	sort.Slice(gs, func(i, j int) bool { return CompareValues(gs[i].Value, gs[j].Value) < 0 })
}

// String renders a value the way results print it.
func (v Value) String() string {
	switch v.Type {
	case String:
		return v.Str
	case Bool:
		return strconv.FormatBool(v.Bool)
	case Time:
		return time.Unix(int64(v.Num), 0).UTC().Format(time.RFC3339)
	case Number:
		if v.Num == math.Trunc(v.Num) && math.Abs(v.Num) < 1e18 {
			return strconv.FormatFloat(v.Num, 'f', -1, 64) // 47999875072000, not 4.7999875072e+13
		}
		return strconv.FormatFloat(v.Num, 'g', -1, 64)
	}
	return ""
}
