package policy

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
)

var (
	headerLine = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^\s*(\[\[?)\s*([^\]]*?)\s*\]\]?\s*(#.*)?$`)
	})
	dottedKey = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=`)
	})
)

// lineIndex maps the key paths of a TOML text ("verb.drain.rate",
// "archetype[1].clusters") to their 1-based lines. It reads table
// headers and key lines only: keys inside inline tables and multi-line
// values take the line of the key that holds them.
func lineIndex(text string) (idx map[string]int, inline map[string]bool) {
	idx, inline = map[string]int{}, map[string]bool{}
	arrays := map[string]int{} // array-of-tables path → elements so far
	cur := ""
	for i, line := range strings.Split(text, "\n") {
		if m := headerLine().FindStringSubmatch(line); m != nil {
			cur = resolveHeader(splitKey(m[2]), arrays, m[1] == "[[")
			setFirst(idx, cur, i+1)
			continue
		}
		if m := dottedKey().FindStringSubmatch(line); m != nil {
			p := strings.TrimPrefix(keyPath(append([]string{cur}, splitKey(m[1])...)), ".")
			setFirst(idx, p, i+1)
			if strings.HasPrefix(strings.TrimSpace(line[len(m[0]):]), "{") {
				inline[p] = true
			}
		}
	}
	return idx, inline
}

// resolveHeader turns header parts into a path with the index of the
// latest element of every array of tables it passes through.
func resolveHeader(parts []string, arrays map[string]int, array bool) string {
	p := ""
	for i, part := range parts {
		p = keyPath([]string{p, part})
		p = strings.TrimPrefix(p, ".")
		last := i == len(parts)-1
		if last && array {
			n := arrays[p]
			arrays[p] = n + 1
			return p + "[" + strconv.Itoa(n) + "]"
		}
		if n, ok := arrays[p]; ok {
			p += "[" + strconv.Itoa(n-1) + "]"
		}
	}
	return p
}

// splitKey splits a dotted key, unquoting quoted parts.
func splitKey(s string) []string {
	var out []string
	for s = strings.TrimSpace(s); s != ""; {
		var part string
		if s[0] == '"' || s[0] == '\'' {
			end := strings.IndexByte(s[1:], s[0])
			if end < 0 {
				return append(out, s)
			}
			part, s = s[1:end+1], s[end+2:]
		} else {
			part, s, _ = strings.Cut(s, ".")
			part = strings.TrimSpace(part)
			s = "." + s
		}
		out = append(out, part)
		s = strings.TrimPrefix(strings.TrimSpace(s), ".")
		s = strings.TrimSpace(s)
	}
	return out
}

func setFirst(idx map[string]int, k string, line int) {
	if _, ok := idx[k]; !ok {
		idx[k] = line
	}
}

// lookupLine is the line of path p, else of the first key under it
// (drain.floor = 2 sets drain), else of its nearest enclosing key.
func lookupLine(idx map[string]int, p string) int {
	first := 0
	for k, l := range idx {
		if (strings.HasPrefix(k, p+".") || strings.HasPrefix(k, p+"[")) && (first == 0 || l < first) {
			first = l
		}
	}
	if _, ok := idx[p]; !ok && first > 0 {
		return first
	}
	for {
		if l, ok := idx[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i <= 0 {
			return 0
		}
		p = p[:i]
	}
}
