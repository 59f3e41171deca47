package nodeset

import (
	"encoding/binary"
	"slices"
)

// shape holds the names sharing one sequence of text fields, as items:
// each item stands for the cartesian product of one set of digit strings
// per numeric field, held as one ref per field (a digit code, or a set of
// them in the Folder's setTable; equal refs are equal sets).
type shape struct {
	text     []string
	hash     uint64   // of the text fields
	collides *shape   // the next shape whose text fields hash the same
	nf       int      // numeric fields: len(text)-1
	names    int      // names added
	items    []uint64 // nf refs per item
	// The open item: the names added last that agree on every numeric
	// field but the last, whose last fields gather in tail. Names added in
	// byte order that agree so are adjacent (their text up to the last
	// number is the same), so this is the first merge of fold, done as the
	// names arrive.
	open    []uint64
	tail    []uint64
	hasOpen bool
	// While the names come in order, the closed items are also grouped
	// by every field but the one before the last, which is the first
	// round's second merge: item (a, b, t) joins the group of (a, ·, t).
	groups []level2
	byKey  map[string]int32 // group by key, as bytes
	key    []byte           // scratch
}

// level2 is a group of closed items: key holds their refs but the one
// before the last, whose codes gather in codes.
type level2 struct {
	key   []uint64
	codes []uint64
}

func newShape(name []byte, texts []span) *shape {
	sh := &shape{text: make([]string, len(texts)), nf: len(texts) - 1}
	for i, t := range texts {
		sh.text[i] = string(name[t.start:t.end])
	}
	return sh
}

// is reports whether texts, the text fields of name, are sh's.
func (sh *shape) is(name []byte, texts []span) bool {
	if len(texts) != len(sh.text) {
		return false
	}
	for i, t := range texts {
		if string(name[t.start:t.end]) != sh.text[i] {
			return false
		}
	}
	return true
}

func (sh *shape) add(f *Folder, nums []uint64) {
	sh.names++
	if sh.nf == 0 {
		return
	}
	k := sh.nf - 1
	if sh.hasOpen && slices.Equal(sh.open, nums[:k]) {
		sh.tail = append(sh.tail, nums[k])
		return
	}
	sh.closeOpen(f)
	sh.open = append(sh.open[:0], nums[:k]...)
	sh.tail = append(sh.tail[:0], nums[k])
	sh.hasOpen = true
}

func (sh *shape) closeOpen(f *Folder) {
	if !sh.hasOpen {
		return
	}
	ref := sh.tail[0]
	if len(sh.tail) > 1 {
		ref = f.sets.ref(f.sortUnique(sh.tail))
	}
	sh.tail, sh.hasOpen = sh.tail[:0], false
	if sh.nf >= 2 && !f.disord {
		sh.group(ref)
		return
	}
	sh.items = append(sh.items, sh.open...)
	sh.items = append(sh.items, ref)
}

// group adds the item (open, last) to its level-2 group.
func (sh *shape) group(last uint64) {
	k := sh.nf - 2
	code := sh.open[k]
	if n := len(sh.groups); n > 0 {
		g := &sh.groups[n-1]
		if g.key[k] == last && slices.Equal(g.key[:k], sh.open[:k]) {
			g.codes = append(g.codes, code)
			return
		}
	}
	sh.key = sh.key[:0]
	for _, r := range sh.open[:k] {
		sh.key = binary.LittleEndian.AppendUint64(sh.key, r)
	}
	sh.key = binary.LittleEndian.AppendUint64(sh.key, last)
	if i, ok := sh.byKey[string(sh.key)]; ok {
		// Move the group last, where the next item of it is looked for.
		g := sh.groups[i]
		g.codes = append(g.codes, code)
		sh.groups[i] = sh.groups[len(sh.groups)-1]
		sh.byKey[string(sh.groupKey(i))] = i
		sh.groups[len(sh.groups)-1] = g
		sh.byKey[string(sh.key)] = int32(len(sh.groups) - 1)
		return
	}
	if sh.byKey == nil {
		sh.byKey = map[string]int32{}
	}
	key := append(slices.Clone(sh.open[:k]), last)
	sh.byKey[string(sh.key)] = int32(len(sh.groups))
	sh.groups = append(sh.groups, level2{key: key, codes: []uint64{code}})
}

// groupKey is group i's key as bytes.
func (sh *shape) groupKey(i int32) []byte {
	var b []byte
	for _, r := range sh.groups[i].key {
		b = binary.LittleEndian.AppendUint64(b, r)
	}
	return b
}

// ungroup turns the level-2 groups back into items, when a name came out
// of order: the groups' merges may then be incomplete (adjacent names no
// longer share their item), so fold does the first round in full.
func (sh *shape) ungroup() {
	k := sh.nf - 2
	for _, g := range sh.groups {
		for _, c := range g.codes {
			sh.items = append(sh.items, g.key[:k]...)
			sh.items = append(sh.items, c, g.key[k])
		}
	}
	sh.groups, sh.byKey = nil, nil
}

// groupItems turns the level-2 groups into items, each merged.
func (sh *shape) groupItems(f *Folder) {
	k := sh.nf - 2
	for _, g := range sh.groups {
		sh.items = append(sh.items, g.key[:k]...)
		sh.items = append(sh.items, f.sets.own(f.sortUnique(g.codes)), g.key[k])
	}
	sh.groups, sh.byKey = nil, nil
}

// fold merges items along each field, last field first, until a round
// merges nothing, and appends their notation to groups. Merging items
// equal in every other field is exact, so the names covered never change.
// The first round's merge of the last field was done by add, unless the
// names came out of order.
func (sh *shape) fold(f *Folder, groups []string) []string {
	if sh.names == 0 {
		return groups
	}
	if sh.nf == 0 {
		return append(groups, sh.text[0])
	}
	sh.closeOpen(f)
	done := sh.nf // the first round's axes done as the names came: none
	if !f.disord {
		done = max(sh.nf-2, 0)
		sh.groupItems(f)
	}
	before := sh.names
	for round := 0; ; round++ {
		for axis := sh.nf - 1; axis >= 0; axis-- {
			if round > 0 || axis < done {
				f.mergeAxis(sh, axis)
			}
		}
		n := len(sh.items) / sh.nf
		if n == before || sh.nf <= 1 {
			break
		}
		before = n
	}
	var b []byte
	for i := 0; i < len(sh.items); i += sh.nf {
		b = sh.appendItem(f, b[:0], sh.items[i:i+sh.nf])
		groups = append(groups, string(b))
	}
	return groups
}

// mergeAxis unions the axis field of the items that agree on every other
// field; the merged item takes the place of the first of them.
func (f *Folder) mergeAxis(sh *shape, axis int) {
	nf, items := sh.nf, sh.items
	n := len(items) / nf
	gid, firsts := f.groupExcept(items, nf, axis)
	if len(firsts) == n {
		return
	}
	// The members of each group, in item order (a counting sort by group).
	start := make([]int32, len(firsts)+1)
	for _, g := range gid {
		start[g+1]++
	}
	for g := range firsts {
		start[g+1] += start[g]
	}
	members := make([]int32, n)
	fill := slices.Clone(start[:len(firsts)])
	for i, g := range gid {
		members[fill[g]] = int32(i)
		fill[g]++
	}
	out := make([]uint64, 0, len(firsts)*nf)
	for g, first := range firsts {
		base := len(out)
		out = append(out, items[int(first)*nf:(int(first)+1)*nf]...)
		if start[g+1]-start[g] == 1 {
			continue
		}
		size := 0
		for _, m := range members[start[g]:start[g+1]] {
			size += f.sets.size(items[int(m)*nf+axis])
		}
		buf := make([]uint64, 0, size)
		for _, m := range members[start[g]:start[g+1]] {
			buf = f.sets.appendMembers(buf, items[int(m)*nf+axis])
		}
		out[base+axis] = f.sets.own(f.sortUnique(buf))
	}
	sh.items = out
}

// groupExcept numbers the items by their refs in every field but axis:
// gid[i] is item i's group, firsts[g] the first item of group g.
func (f *Folder) groupExcept(items []uint64, nf, axis int) (gid, firsts []int32) {
	n := len(items) / nf
	gid = make([]int32, n)
	switch nf {
	case 1:
		return gid, []int32{0}
	case 2:
		index := map[uint64]int32{}
		var last uint64
		lastG := int32(-1)
		for i := range n {
			k := items[i*2+1-axis]
			if lastG >= 0 && k == last {
				gid[i] = lastG
				continue
			}
			g, ok := index[k]
			if !ok {
				g = int32(len(firsts))
				index[k] = g
				firsts = append(firsts, int32(i))
			}
			gid[i], last, lastG = g, k, g
		}
		return gid, firsts
	}
	index := map[string]int32{}
	var key []byte
	for i := range n {
		key = key[:0]
		for fl, r := range items[i*nf : (i+1)*nf] {
			if fl != axis {
				key = binary.LittleEndian.AppendUint64(key, r)
			}
		}
		g, ok := index[string(key)]
		if !ok {
			g = int32(len(firsts))
			index[string(key)] = g
			firsts = append(firsts, int32(i))
		}
		gid[i] = g
	}
	return gid, firsts
}

// appendItem writes one item in folded notation.
func (sh *shape) appendItem(f *Folder, b []byte, item []uint64) []byte {
	for i, r := range item {
		b = append(b, sh.text[i]...)
		b = f.appendSet(b, r)
	}
	return append(b, sh.text[sh.nf]...)
}

// appendSet writes a set of digit strings: bare when it has one member,
// else as bracketed ranges. A range lo-hi is used only when Expand would
// give back exactly the strings it replaces (lo's padding applied to every
// value).
func (f *Folder) appendSet(b []byte, ref uint64) []byte {
	if ref&setBit == 0 {
		return f.huge.appendDigits(b, ref)
	}
	codes := f.sets.get(ref)
	used := make([]bool, len(codes))
	b = append(b, '[')
	for p := range codes {
		if used[p] {
			continue
		}
		if p > 0 {
			b = append(b, ',')
		}
		used[p] = true
		b = f.huge.appendDigits(b, codes[p])
		if hi := f.extendRange(codes, p, used); hi >= 0 {
			b = append(b, '-')
			b = f.huge.appendDigits(b, codes[hi])
		}
	}
	return append(b, ']')
}

// extendRange marks used the members following codes[p] in its padding
// (the values after it, each written as Expand writes it from codes[p]'s
// width) and returns the last one's index, or -1 if there is none.
func (f *Folder) extendRange(codes []uint64, p int, used []bool) int {
	v, ok, n := f.huge.digits(codes[p])
	if !ok {
		return -1
	}
	width := 0
	if n > 1 && n > numDigits(v) {
		width = n
	}
	hi := -1
	for v < maxUint64 {
		x := v + 1
		want := max(width, numDigits(x))
		next := -1
		for q := p + 1; q < len(codes); q++ {
			qv, qok, qn := f.huge.digits(codes[q])
			if !qok || qv > x {
				break
			}
			if qv == x && qn == want {
				next = q
				break
			}
		}
		if next < 0 || used[next] {
			break
		}
		used[next] = true
		p, hi, v = next, next, x
	}
	return hi
}

// sortUnique sorts codes in compareDigits order and drops repeats.
func (f *Folder) sortUnique(codes []uint64) []uint64 {
	if !f.strictlySorted(codes) {
		if len(f.huge.strs) == 0 {
			slices.Sort(codes)
		} else {
			slices.SortFunc(codes, f.huge.compare)
		}
		codes = slices.Compact(codes)
	}
	return codes
}

func (f *Folder) strictlySorted(codes []uint64) bool {
	for i := 1; i < len(codes); i++ {
		if f.huge.compare(codes[i-1], codes[i]) >= 0 {
			return false
		}
	}
	return true
}
