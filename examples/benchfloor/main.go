// Command benchfloor measures the floors `make bench` compares fleetq
// with: the least in-memory work a query needs on the same data, with the
// same roaring bitmaps, and nothing else (no file format, no checks, no
// process start). It loads one column of an inventory CSV into a code
// array (a uint32 per host, ids in row order) and a sorted dictionary,
// runs the work -iters times and prints the median as "elapsed: DURATION"
// (examples/benchrun reads that line for a command named "@…").
//
//	benchfloor count -csv inventory.csv -col cluster -value ams1-ci-01
//	benchfloor by -csv inventory.csv -col cluster
//	benchfloor spread -csv inventory.csv -col rack -n 1
//	benchfloor databytes fleetq.db
//
// count: the hosts of `all` (a roaring bitmap of every id) whose code is
// the value's, counted while iterating the bitmap. by: a count per code
// over the same iteration, then one line per value in dictionary order.
// spread: hosts per value counted, one random index chosen per value, a
// second iteration picks those hosts into a roaring bitmap and their names
// are appended to a buffer (fleetq prints them). databytes is not a floor:
// it sums the key and value bytes of every bucket of a bbolt file, so the
// bench can say how much data a dry run appended.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	bolt "go.etcd.io/bbolt"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchfloor count|by|spread|databytes ...")
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "count", "by", "spread":
		err = floor(cmd, args)
	case "databytes":
		err = dataBytes(args)
	default:
		err = fmt.Errorf("unknown subcommand %q", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchfloor:", err)
		os.Exit(1)
	}
}

func floor(cmd string, args []string) error {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	csvPath := fs.String("csv", "", "inventory CSV (header line, unquoted fields)")
	col := fs.String("col", "", "column to load")
	value := fs.String("value", "", "count: the value to count")
	n := fs.Int("n", 1, "spread: hosts per value")
	iters := fs.Int("iters", 5, "runs of the work; the median is printed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	t, err := load(*csvPath, *col)
	if err != nil {
		return err
	}
	all := roaring.New()
	all.AddRange(0, uint64(len(t.codes)))
	var work func() string
	switch cmd {
	case "count":
		code, ok := slices.BinarySearch(t.dict, *value)
		if !ok {
			return fmt.Errorf("no host has %s = %q", *col, *value)
		}
		work = func() string { return strconv.Itoa(count(all, t.codes, uint32(code))) }
	case "by":
		work = func() string { return by(all, t) }
	case "spread":
		work = func() string { return spread(all, t, *n) }
	}
	var walls []time.Duration
	var out string
	for range max(*iters, 1) {
		start := time.Now()
		out = work()
		walls = append(walls, time.Since(start))
	}
	slices.Sort(walls)
	fmt.Printf("%s (%d hosts, %d values of %s)\nelapsed: %s\n", firstLine(out), len(t.codes), len(t.dict), *col, walls[len(walls)/2])
	return nil
}

func count(all *roaring.Bitmap, codes []uint32, code uint32) int {
	c := 0
	each(all, func(id uint32) {
		if codes[id] == code {
			c++
		}
	})
	return c
}

func by(all *roaring.Bitmap, t *table) string {
	counts := make([]int, len(t.dict))
	each(all, func(id uint32) { counts[t.codes[id]]++ })
	var b bytes.Buffer
	for code, c := range counts {
		if c > 0 {
			fmt.Fprintf(&b, "%s\t%d\n", t.dict[code], c)
		}
	}
	return b.String()
}

func spread(all *roaring.Bitmap, t *table, n int) string {
	counts := make([]int32, len(t.dict))
	each(all, func(id uint32) { counts[t.codes[id]]++ })
	// One random index below the group's size per group (n = 1); for
	// n > 1 the first n seen, which is no cheaper for the floor's purpose.
	pick := make([]int32, len(t.dict))
	for code, c := range counts {
		if c > 0 && n == 1 {
			pick[code] = rand.Int32N(c)
		}
	}
	seen := make([]int32, len(t.dict))
	res := roaring.New()
	var picked []uint32
	each(all, func(id uint32) {
		code := t.codes[id]
		k := seen[code]
		seen[code]++
		if (n == 1 && k == pick[code]) || (n > 1 && int(k) < n) {
			picked = append(picked, id)
		}
	})
	res.AddMany(picked)
	var names []byte
	each(res, func(id uint32) {
		names = append(names, t.hosts[id]...)
		names = append(names, '\n')
	})
	return fmt.Sprintf("%d hosts, %d bytes of names", res.GetCardinality(), len(names))
}

// each calls f for every id of b in order, a block of ids at a time.
func each(b *roaring.Bitmap, f func(uint32)) {
	buf := make([]uint32, 4096)
	it := b.ManyIterator()
	for n := it.NextMany(buf); n > 0; n = it.NextMany(buf) {
		for _, id := range buf[:n] {
			f(id)
		}
	}
}

// table is one column of the CSV: a code per row into a sorted dictionary,
// and the host names (for spread's output).
type table struct {
	codes []uint32
	dict  []string
	hosts [][]byte
}

func load(path, col string) (*table, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if bytes.IndexByte(data, '"') >= 0 {
		return nil, errors.New(path + ": quoted fields; the floor reads plain CSV only")
	}
	header, rest, _ := bytes.Cut(data, []byte("\n"))
	ci := slices.Index(strings.Split(strings.TrimRight(string(header), "\r"), ","), col)
	if ci < 0 {
		return nil, fmt.Errorf("%s: no column %q", path, col)
	}
	var raw []uint32
	t := &table{}
	ids := map[string]uint32{}
	var names []string
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		if len(line) == 0 {
			continue
		}
		host, f := field(line, 0), field(line, ci)
		id, ok := ids[string(f)]
		if !ok {
			id = uint32(len(names))
			ids[string(f)] = id
			names = append(names, string(f))
		}
		raw = append(raw, id)
		t.hosts = append(t.hosts, host)
	}
	// Sort the dictionary and renumber, so codes follow byte order.
	order := make([]uint32, len(names))
	for i := range order {
		order[i] = uint32(i)
	}
	sort.Slice(order, func(a, b int) bool { return names[order[a]] < names[order[b]] })
	remap := make([]uint32, len(names))
	t.dict = make([]string, len(names))
	for code, old := range order {
		remap[old] = uint32(code)
		t.dict[code] = names[old]
	}
	t.codes = make([]uint32, len(raw))
	for i, old := range raw {
		t.codes[i] = remap[old]
	}
	return t, nil
}

func field(line []byte, i int) []byte {
	for ; i > 0; i-- {
		j := bytes.IndexByte(line, ',')
		if j < 0 {
			return nil
		}
		line = line[j+1:]
	}
	if j := bytes.IndexByte(line, ','); j >= 0 {
		line = line[:j]
	}
	return bytes.TrimRight(line, "\r")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func dataBytes(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: benchfloor databytes FILE")
	}
	db, err := bolt.Open(args[0], 0o444, &bolt.Options{ReadOnly: true, Timeout: 10 * time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	var total int64
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			total += int64(len(name)) + bucketBytes(b)
			return nil
		})
	})
	fmt.Println(total)
	return err
}

func bucketBytes(b *bolt.Bucket) int64 {
	var n int64
	_ = b.ForEach(func(k, v []byte) error {
		n += int64(len(k))
		if v == nil {
			if sub := b.Bucket(k); sub != nil {
				n += bucketBytes(sub)
			}
			return nil
		}
		n += int64(len(v))
		return nil
	})
	return n
}
