package actions

import (
	"slices"
	"strings"
)

// sortByName returns the positions of names in name order. Host ids are
// assigned in the order sources list hosts, and inventories are mostly
// exported sorted, so names read in id order come in long ascending runs:
// those are kept and merged, and only the elements of short runs are
// sorted, so a fleet ingested sorted costs a few passes, not n log n
// string comparisons. Any other order costs one ordinary sort.
func sortByName(names []string) []int32 {
	var runs [][]int32
	var rest []int32
	for start := 0; start < len(names); {
		end := start + 1
		for end < len(names) && names[end-1] <= names[end] {
			end++
		}
		if end-start >= minRun {
			runs = append(runs, span(start, end))
		} else {
			rest = append(rest, span(start, end)...)
		}
		start = end
	}
	if len(rest) > 0 {
		slices.SortFunc(rest, func(a, b int32) int { return strings.Compare(names[a], names[b]) })
		runs = append(runs, rest)
	}
	for len(runs) > 1 {
		next := runs[:0:0]
		for i := 0; i < len(runs); i += 2 {
			if i+1 == len(runs) {
				next = append(next, runs[i])
				continue
			}
			next = append(next, mergeRuns(names, runs[i], runs[i+1]))
		}
		runs = next
	}
	if len(runs) == 0 {
		return nil
	}
	return runs[0]
}

// minRun is the shortest ascending run kept as it is.
const minRun = 64

func span(start, end int) []int32 {
	out := make([]int32, end-start)
	for i := range out {
		out[i] = int32(start + i)
	}
	return out
}

// mergeRuns merges two runs sorted by name (a's element first on a tie).
func mergeRuns(names []string, a, b []int32) []int32 {
	out := make([]int32, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if names[b[0]] < names[a[0]] {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	return append(append(out, a...), b...)
}
