package ruleset

import (
	"strings"

	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset/condition"
)

// The path index. Most file rules require something of the opened path
// (fd.name in (…), fd.name startswith /etc/cron, fd.filename in (…)), and
// they make up most of the candidates of the commonest events, opens. A
// bucket's rules whose condition requires such a constraint on every path
// to a match are looked up by the event's fd.name, fd.directory and
// fd.filename once per event instead of each testing its own guards: an
// event meets only the rules whose constraint its path satisfies.

// pathNeed is what a condition requires of the event's path: when it holds,
// fd.name is one of exact, or starts with one of prefix, or fd.directory is
// one of dir, or fd.filename one of file (all read as available values).
type pathNeed struct {
	exact, prefix, dir, file []string
}

func (p pathNeed) size() int { return len(p.exact) + len(p.dir) + len(p.file) + 4*len(p.prefix) }

func (p pathNeed) union(o pathNeed) pathNeed {
	return pathNeed{
		exact:  append(append([]string{}, p.exact...), o.exact...),
		prefix: append(append([]string{}, p.prefix...), o.prefix...),
		dir:    append(append([]string{}, p.dir...), o.dir...),
		file:   append(append([]string{}, p.file...), o.file...),
	}
}

// requiredPath returns the path constraint n requires, if one can be
// derived; like requiredNames, a conjunction requires any of its terms'
// constraints (the smallest is kept) and a disjunction the union of all.
func requiredPath(n condition.Node) (pathNeed, bool) {
	switch n := n.(type) {
	case *condition.Compare:
		return comparePath(n)
	case *condition.And:
		var best pathNeed
		found := false
		for _, t := range n.Terms {
			if p, ok := requiredPath(t); ok && (!found || p.size() < best.size()) {
				best, found = p, true
			}
		}
		return best, found
	case *condition.Or:
		var acc pathNeed
		for _, t := range n.Terms {
			p, ok := requiredPath(t)
			if !ok {
				return pathNeed{}, false
			}
			acc = acc.union(p)
		}
		return acc, true
	case *condition.BoolLit:
		if !n.Value {
			return pathNeed{}, true
		}
	}
	return pathNeed{}, false
}

// comparePath derives the constraint of one comparison: every test below
// fails on an unavailable value and compares the raw string exactly.
func comparePath(n *condition.Compare) (pathNeed, bool) {
	if n.Field.HasArg || len(n.Field.Transformers) > 0 || n.RightField != nil || len(n.Values) == 0 {
		return pathNeed{}, false
	}
	vals := make([]string, len(n.Values))
	for i, v := range n.Values {
		vals[i] = v.Text
	}
	eq := (n.Op == "=" || n.Op == "==") && len(vals) == 1
	in := (n.Op == "in" || n.Op == "intersects") && n.List
	switch n.Field.Name {
	case "fd.name":
		switch {
		case eq || in:
			return pathNeed{exact: vals}, true
		case n.Op == "startswith" && len(vals) == 1 && vals[0] != "":
			return pathNeed{prefix: vals}, true
		case n.Op == "glob" && len(vals) == 1:
			// The literal run before the first special character is a
			// prefix of every match; without one the pattern is exact.
			lit := vals[0]
			i := strings.IndexAny(lit, `*?[\`)
			if i < 0 {
				return pathNeed{exact: vals}, true
			}
			if i == 0 {
				return pathNeed{}, false
			}
			return pathNeed{prefix: []string{lit[:i]}}, true
		case n.Op == "pmatch":
			var p pathNeed
			for _, v := range vals {
				d := strings.TrimRight(v, "/")
				if d == "" {
					p.exact = append(p.exact, "/")
					p.prefix = append(p.prefix, "/")
					continue
				}
				p.exact = append(p.exact, d)
				p.prefix = append(p.prefix, d+"/")
			}
			return p, true
		}
	case "fd.directory":
		if eq || in {
			return pathNeed{dir: vals}, true
		}
	case "fd.filename":
		if eq || in {
			return pathNeed{file: vals}, true
		}
	}
	return pathNeed{}, false
}

// pathIndex maps path values to the bits (pathBit of entries) of the rules
// of one bucket they can satisfy.
type pathIndex struct {
	nbits int // entries indexed
	words int
	exact map[string][]int32
	dir   map[string][]int32
	file  map[string][]int32
	// prefixes are keyed by their head (see pathHead); those without one
	// are in short, tested one by one.
	prefixes map[string][]prefixBit
	short    []prefixBit
	// The filters of the maps' keys: most paths are in none, and a
	// filter miss costs less than hashing the string.
	exactF, dirF, fileF, headF keyFilter
}

// keyFilter is a 256-bit Bloom filter (one hash) of a map's keys, hashing
// the length and two bytes.
type keyFilter [4]uint64

func filterBit(s string) uint {
	if s == "" {
		return 0
	}
	return (uint(len(s))*131 + uint(s[len(s)-1])*7 + uint(s[len(s)/2])) & 255
}

func (f *keyFilter) add(s string) { b := filterBit(s); f[b>>6] |= 1 << (b & 63) }

func (f *keyFilter) has(s string) bool { b := filterBit(s); return f[b>>6]&(1<<(b&63)) != 0 }

type prefixBit struct {
	prefix string
	bit    int32
}

// pathHead returns s up to its first '/' after the first byte, included
// ("/etc/cron" → "/etc/"). A string with prefix p has p's head, when p has
// one, as its own head: this keys prefixes so that a path meets only those
// below its first directory.
func pathHead(s string) (string, bool) {
	if len(s) < 2 {
		return "", false
	}
	i := strings.IndexByte(s[1:], '/')
	if i < 0 {
		return "", false
	}
	return s[:i+2], true
}

func (ix *pathIndex) add(bit int32, need pathNeed) {
	add := func(m *map[string][]int32, f *keyFilter, keys []string) {
		for _, k := range keys {
			f.add(k)
			if *m == nil {
				*m = map[string][]int32{}
			}
			(*m)[k] = append((*m)[k], bit)
		}
	}
	add(&ix.exact, &ix.exactF, need.exact)
	add(&ix.dir, &ix.dirF, need.dir)
	add(&ix.file, &ix.fileF, need.file)
	for _, p := range need.prefix {
		h, ok := pathHead(p)
		if !ok {
			ix.short = append(ix.short, prefixBit{p, bit})
			continue
		}
		if ix.prefixes == nil {
			ix.prefixes = map[string][]prefixBit{}
		}
		ix.headF.add(h)
		ix.prefixes[h] = append(ix.prefixes[h], prefixBit{p, bit})
	}
	ix.words = max(ix.words, int(bit)/64+1)
}

// pathSlots are the fields the path index reads, shared with the
// predicates that test them.
type pathSlots struct {
	name, dir, file *slot
}

func newPathSlots(env *evalEnv) (pathSlots, bool) {
	var s pathSlots
	for _, f := range []struct {
		name string
		dst  **slot
	}{{"fd.name", &s.name}, {"fd.directory", &s.dir}, {"fd.filename", &s.file}} {
		fd, ok := event.Lookup(f.name)
		if !ok {
			return s, false
		}
		*f.dst = env.slot(fd, event.Arg{})
	}
	return s, true
}

// Sources of a path constraint besides fd.name, read only when an entry
// that needs one is reached: most events meet no rule on fd.directory.
const (
	pathSrcDir uint8 = 1 << iota
	pathSrcFile
)

// sources returns the lazily read fields need refers to.
func (p pathNeed) sources() uint8 {
	var s uint8
	if len(p.dir) > 0 {
		s |= pathSrcDir
	}
	if len(p.file) > 0 {
		s |= pathSrcFile
	}
	return s
}

// begin clears bits (ix.words long) and sets those of the rules whose
// fd.name constraint the current event satisfies. It returns the sources
// still to read (fill).
func (ix *pathIndex) begin(s *pathSlots, bits []uint64) (pending uint8) {
	clear(bits)
	if v := s.name.get(); v.OK {
		if ix.exact != nil && ix.exactF.has(v.Str) {
			setBits(bits, ix.exact[v.Str])
		}
		if h, ok := pathHead(v.Str); ok && ix.prefixes != nil && ix.headF.has(h) {
			for _, p := range ix.prefixes[h] {
				if strings.HasPrefix(v.Str, p.prefix) {
					bits[p.bit>>6] |= 1 << (p.bit & 63)
				}
			}
		}
		for _, p := range ix.short {
			if strings.HasPrefix(v.Str, p.prefix) {
				bits[p.bit>>6] |= 1 << (p.bit & 63)
			}
		}
	}
	if ix.dir != nil {
		pending |= pathSrcDir
	}
	if ix.file != nil {
		pending |= pathSrcFile
	}
	return pending
}

// fill reads the sources src (a subset of pending) and sets their rules'
// bits; it returns the sources still pending.
func (ix *pathIndex) fill(s *pathSlots, bits []uint64, src, pending uint8) uint8 {
	if src&pathSrcDir != 0 {
		if v := s.dir.get(); v.OK && ix.dirF.has(v.Str) {
			setBits(bits, ix.dir[v.Str])
		}
	}
	if src&pathSrcFile != 0 {
		if v := s.file.get(); v.OK && ix.fileF.has(v.Str) {
			setBits(bits, ix.file[v.Str])
		}
	}
	return pending &^ src
}

func setBits(bits []uint64, list []int32) {
	for _, b := range list {
		bits[b>>6] |= 1 << (b & 63)
	}
}

// admits reports whether the entry's path constraint holds, reading the
// lazy sources it needs; pending is updated.
func (ix *pathIndex) admits(s *pathSlots, bits []uint64, en *entry, pending *uint8) bool {
	bit := en.pathBit
	if bits[bit>>6]&(1<<(bit&63)) != 0 {
		return true
	}
	src := en.pathSrc & *pending
	if src == 0 {
		return false
	}
	*pending = ix.fill(s, bits, src, *pending)
	return bits[bit>>6]&(1<<(bit&63)) != 0
}
