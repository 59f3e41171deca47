package schedule

import (
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
)

var (
	headerLine = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^\s*(\[\[?)\s*([A-Za-z0-9_.\s"-]*?)\s*\]\]?\s*(#.*)?$`)
	})
	keyLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*([A-Za-z0-9_-]+|"[^"]*")\s*=`) })
)

// lineIndex maps the key paths of a schedule file ("week",
// "step[2].start", "step[1].take[0].max", "step[3]" for the header) to
// their 1-based lines. A schedule has top-level keys, [[step]] and
// [[step.take]] only, so reading headers and key lines is enough; keys
// inside a multi-line value take the line of the key holding it.
func lineIndex(text string) map[string]int {
	idx := map[string]int{}
	step, take, cur := -1, -1, ""
	for i, line := range strings.Split(text, "\n") {
		if m := headerLine().FindStringSubmatch(line); m != nil {
			switch name := strings.Join(strings.Fields(m[2]), ""); {
			case m[1] == "[[" && name == "step":
				step, take = step+1, -1
				cur = "step[" + strconv.Itoa(step) + "]"
			case m[1] == "[[" && name == "step.take" && step >= 0:
				take++
				cur = "step[" + strconv.Itoa(step) + "].take[" + strconv.Itoa(take) + "]"
			default:
				cur = name
			}
			setFirst(idx, cur, i+1)
			continue
		}
		if m := keyLine().FindStringSubmatch(line); m != nil {
			k := strings.Trim(m[1], `"`)
			if cur != "" {
				k = cur + "." + k
			}
			setFirst(idx, k, i+1)
		}
	}
	return idx
}

func setFirst(idx map[string]int, k string, line int) {
	if _, ok := idx[k]; !ok {
		idx[k] = line
	}
}

var arrayIndex = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\[[0-9]+\]`) })

// lineOfKey is the first line of a decoder's key, which names no array
// element (step.take.maxx): the first path that does once unindexed.
func (p *parser) lineOfKey(k toml.Key) int {
	want := strings.Join(k, ".")
	best := 0
	for path, line := range p.lines {
		if arrayIndex().ReplaceAllString(path, "") == want && (best == 0 || line < best) {
			best = line
		}
	}
	return best
}
