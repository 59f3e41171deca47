package collect

import (
	"bufio"
	"bytes"
	"regexp"
	"sync"
)

// lineIndex is where the keys of a sources file are, for errors: the
// decoder says which key is wrong but not on which line. It follows the
// file line by line — a [[source]] header starts a block, `key =` at the
// start of a line (or a [source.KEY] table) is a key of the current
// block — which is what every sources file looks like; a key it cannot
// place is reported at its [[source]] line (or without a line).
type lineIndex struct {
	top     map[string]int   // top-level key → line
	sources []int            // line of each [[source]]
	keys    []map[string]int // per [[source]]: key → line
}

var (
	sourceHeader = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*\[\[\s*source\s*\]\]`) })
	subHeader    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*\[\[?\s*source\s*\.\s*"?([A-Za-z0-9_\-]+)"?`) })
	keyLine      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*"?([A-Za-z0-9_\-]+)"?\s*=`) })
)

func indexLines(text []byte) lineIndex {
	idx := lineIndex{top: map[string]int{}}
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(nil, len(text)+1)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if sourceHeader().MatchString(line) {
			idx.sources = append(idx.sources, n)
			idx.keys = append(idx.keys, map[string]int{})
			continue
		}
		m := keyLine().FindStringSubmatch(line)
		if m == nil {
			m = subHeader().FindStringSubmatch(line) // [source.opts]: a key of the current [[source]]
		}
		if m == nil {
			continue
		}
		block := idx.top
		if len(idx.keys) > 0 {
			block = idx.keys[len(idx.keys)-1]
		}
		if _, ok := block[m[1]]; !ok {
			block[m[1]] = n
		}
	}
	return idx
}

// sourceLine is the line of the i-th [[source]], 0 when unknown.
func (x lineIndex) sourceLine(i int) int {
	if i < len(x.sources) {
		return x.sources[i]
	}
	return 0
}

// key is the line of key in the i-th [[source]], 0 when not found.
func (x lineIndex) key(i int, key string) int {
	if i < len(x.keys) {
		return x.keys[i][key]
	}
	return 0
}

// firstKey is the first line of key in any [[source]], 0 when none.
func (x lineIndex) firstKey(key string) int {
	for _, m := range x.keys {
		if n, ok := m[key]; ok {
			return n
		}
	}
	return 0
}

// tableLine is the line of the first [NAME] table header in text, 0
// when there is none.
func tableLine(text []byte, name string) int {
	header := regexp.MustCompile(`^\s*\[\s*` + regexp.QuoteMeta(name) + `\s*\]`)
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(nil, len(text)+1)
	for n := 1; sc.Scan(); n++ {
		if header.MatchString(sc.Text()) {
			return n
		}
	}
	return 0
}
