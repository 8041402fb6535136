package sensor

import (
	"bytes"
	"hash/maphash"
	"unsafe"

	"github.com/ttpwatch/ttpwatch/event"
)

// envCap bounds the environment kept per process image: ENV_CAP of
// bpf/sensor.bpf.c for execs, the same for images read from /proc.
const envCap = 4096

// DefaultMaxEnvBytes bounds the memory of the environments the process table
// holds: past it, new images whose environment is not already held get none
// (proc.env reads as unavailable for them).
const DefaultMaxEnvBytes = 8 << 20

// envEntryOverhead is what an entry costs beyond its text and slice: the
// entry itself and its two map slots, roughly.
const envEntryOverhead = 128

// envStore interns the environments of the process table's images and keeps
// their memory within a budget. Identical environments (every child of one
// shell) share one line and one slice; an entry is counted once, however
// many images hold it, and freed from the count when the last image that
// holds it leaves the table. Images referenced from outside the table (a
// child's Parent link, an event in flight) keep their strings alive a little
// longer than the count says; that is bounded by the table's own bounds.
// Not safe for concurrent use: the table calls it with its mutex held.
type envStore struct {
	max    int
	bytes  int
	seed   maphash.Seed
	byHash map[uint64]*envEntry
	byLine map[*byte]*envEntry // by the first byte of the entry's line
}

type envEntry struct {
	vars []string
	line string
	hash uint64
	refs int
	size int
}

func newEnvStore(max int) *envStore {
	return &envStore{max: max, seed: maphash.MakeSeed(),
		byHash: map[uint64]*envEntry{}, byLine: map[*byte]*envEntry{}}
}

// Bytes returns the memory counted for the environments held.
func (s *envStore) Bytes() int { return s.bytes }

// Len returns the number of distinct environments held.
func (s *envStore) Len() int { return len(s.byLine) }

// block returns the environment of an exec record (NUL-separated, as
// ExecInfo.Env) as the vars and line of an image, sharing an entry with the
// same content when there is one: then nothing is allocated. A new entry is
// registered unreferenced; the caller stores an image holding it (acquire)
// before releasing the mutex. nil, "" when env is nil or the budget is spent.
func (s *envStore) block(env []byte) ([]string, string) {
	if env == nil {
		return nil, ""
	}
	if len(env) == 0 {
		return []string{}, ""
	}
	h := maphash.Bytes(s.seed, env)
	if e := s.byHash[h]; e != nil && e.equalBlock(env) {
		return e.vars, e.line
	}
	n := bytes.Count(env, []byte{0}) + 1
	size := len(env) + n*int(unsafe.Sizeof("")) + envEntryOverhead
	if s.bytes+size > s.max {
		return nil, ""
	}
	// one allocation for the text, as argv: the line is the block with
	// spaces for the NULs, and the vars are its substrings
	buf := make([]byte, len(env))
	vars := make([]string, 0, n)
	start := 0
	for i, c := range env {
		if c == 0 {
			c = ' '
		}
		buf[i] = c
	}
	line := unsafe.String(unsafe.SliceData(buf), len(buf))
	for i, c := range env {
		if c == 0 {
			vars = append(vars, line[start:i])
			start = i + 1
		}
	}
	vars = append(vars, line[start:])
	s.add(&envEntry{vars: vars, line: line, hash: h, size: size})
	return vars, line
}

// equalBlock reports whether e holds the NUL-separated block env.
func (e *envEntry) equalBlock(env []byte) bool {
	if len(env) != len(e.line) {
		return false
	}
	for _, v := range e.vars {
		if len(env) < len(v) || string(env[:len(v)]) != v {
			return false
		}
		env = env[len(v):]
		if len(env) > 0 {
			if env[0] != 0 {
				return false
			}
			env = env[1:]
		}
	}
	return len(env) == 0
}

// equalVars reports whether e holds vars.
func (e *envEntry) equalVars(vars []string) bool {
	if len(vars) != len(e.vars) {
		return false
	}
	for i, v := range vars {
		if e.vars[i] != v {
			return false
		}
	}
	return true
}

func (s *envStore) add(e *envEntry) {
	s.bytes += e.size
	s.byLine[unsafe.StringData(e.line)] = e
	if _, taken := s.byHash[e.hash]; !taken {
		s.byHash[e.hash] = e
	}
}

// acquire counts one more table image holding p's environment. An
// environment the store does not hold (read from /proc, replayed, inherited
// from an image whose entry was freed) is interned: p then shares an equal
// entry's strings, or gets a compact copy of its own when the budget allows,
// or none. p must not be published yet when its Env may change.
func (s *envStore) acquire(p *event.Process) {
	if len(p.EnvLine) == 0 {
		return // unknown, empty, or a lone empty variable: nothing to count
	}
	if e := s.byLine[unsafe.StringData(p.EnvLine)]; e != nil && e.line == p.EnvLine {
		e.refs++
		return
	}
	if len(p.Env) == 0 {
		p.Env, p.EnvLine = nil, "" // inconsistent image: treat as unknown
		return
	}
	var hh maphash.Hash
	hh.SetSeed(s.seed)
	for i, v := range p.Env {
		if i > 0 {
			hh.WriteByte(0)
		}
		hh.WriteString(v)
	}
	h := hh.Sum64()
	if e := s.byHash[h]; e != nil && e.equalVars(p.Env) {
		p.Env, p.EnvLine = e.vars, e.line
		e.refs++
		return
	}
	size := len(p.EnvLine) + len(p.Env)*int(unsafe.Sizeof("")) + envEntryOverhead
	if s.bytes+size > s.max {
		p.Env, p.EnvLine = nil, ""
		return
	}
	vars, line := event.JoinEnv(p.Env)
	if len(line) == 0 {
		p.Env, p.EnvLine = vars, line
		return
	}
	e := &envEntry{vars: vars, line: line, hash: h, size: size, refs: 1}
	s.add(e)
	p.Env, p.EnvLine = vars, line
}

// release counts one table image fewer holding p's environment, freeing the
// entry from the count when none is left.
func (s *envStore) release(p *event.Process) {
	if p == nil || len(p.EnvLine) == 0 {
		return
	}
	e := s.byLine[unsafe.StringData(p.EnvLine)]
	if e == nil || e.line != p.EnvLine {
		return
	}
	if e.refs--; e.refs > 0 {
		return
	}
	delete(s.byLine, unsafe.StringData(e.line))
	if s.byHash[e.hash] == e {
		delete(s.byHash, e.hash)
	}
	s.bytes -= e.size
}

// capEnv keeps the leading variables of vars that fit in envCap bytes (NUL
// separated, as an exec record counts them), as the sensor does for execs.
func capEnv(vars []string) []string {
	n := 0
	for i, v := range vars {
		n += len(v) + 1
		if n > envCap {
			return vars[:i]
		}
	}
	return vars
}
