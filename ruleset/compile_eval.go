package ruleset

import (
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/expr-lang/expr/vm"
	"github.com/ttpwatch/ttpwatch/event"
)

// evalEnv is what compiled programs read while they run: the current event
// and the per-event cache of field values. The functions registered with
// expr are closures over one evalEnv, so every program compiled into it must
// run on one goroutine at a time (an Engine, a Filter, a standalone Program).
type evalEnv struct {
	ev *event.Event
	// gen changes with every event; a slot whose gen differs is stale.
	gen   uint64
	slots map[slotKey]*slot // compile time only
	preds map[string]*pred  // compile time only, by canonical check text
	vm    vm.VM

	// Preds and slots are allocated in chunks so that the ones evaluated
	// for an event sit close together in memory (fewer cache misses than
	// one heap object each).
	predChunk []pred
	slotChunk []slot

	// failures counts program runs that failed (a panic inside the VM);
	// atomic because the ui reads it.
	failures atomic.Uint64
}

const chunkSize = 128

func (e *evalEnv) newPred(p pred) *pred {
	if len(e.predChunk) == cap(e.predChunk) {
		e.predChunk = make([]pred, 0, chunkSize)
	}
	p.env = e
	e.predChunk = append(e.predChunk, p)
	return &e.predChunk[len(e.predChunk)-1]
}

func (e *evalEnv) newSlot(s slot) *slot {
	if len(e.slotChunk) == cap(e.slotChunk) {
		e.slotChunk = make([]slot, 0, chunkSize)
	}
	e.slotChunk = append(e.slotChunk, s)
	return &e.slotChunk[len(e.slotChunk)-1]
}

func newEvalEnv() *evalEnv {
	return &evalEnv{slots: map[slotKey]*slot{}, preds: map[string]*pred{}}
}

// pred is one comparison's result, computed at most once per event.
type pred struct {
	// gen, val and env come first: a cached lookup touches only them,
	// within the struct's first cache line.
	gen uint64
	val bool
	// kind and lit inline the commonest string tests (no call through
	// test); need is the bigram filter of a literal the value must
	// contain (contains, startswith, endswith), 0 when there is none.
	kind predKind
	env  *evalEnv
	need uint64
	// A plain field test (no transformer, no ancestor walk, no val()) is
	// slot+test, evaluated without an intermediate closure; others use fn.
	slot *slot
	lit  string
	test func(*event.Value) bool
	fn   func() bool
}

// predKind selects an inlined string test of a slot predicate.
type predKind uint8

const (
	kindTest predKind = iota // call test
	kindEqual
	kindPrefix
	kindSuffix
	kindContains
)

func (p *pred) eval() bool {
	if p.gen != p.env.gen {
		p.gen = p.env.gen
		if p.slot == nil {
			p.val = p.fn()
			return p.val
		}
		v := p.slot.get()
		switch {
		case !v.OK:
			p.val = false
		case p.need != 0 && p.need&^p.slot.valueBigrams() != 0:
			p.val = false
		default:
			switch p.kind {
			case kindEqual:
				p.val = v.Str == p.lit
			case kindPrefix:
				p.val = strings.HasPrefix(v.Str, p.lit)
			case kindSuffix:
				p.val = strings.HasSuffix(v.Str, p.lit)
			case kindContains:
				p.val = strings.Contains(v.Str, p.lit)
			default:
				p.val = p.test(v)
			}
		}
	}
	return p.val
}

// begin makes ev the current event and invalidates every cached value.
func (e *evalEnv) begin(ev *event.Event) {
	e.ev = ev
	e.gen++
}

// run evaluates p on the current event. A program that fails (only a bug
// can make one fail: predicates do not return errors) does not match.
func (e *evalEnv) run(p *Program) bool { return e.eval(p.guards, p.prog) }

// eval tests the guards, then runs the program.
func (e *evalEnv) eval(guards []guard, prog *vm.Program) bool {
guards:
	for _, g := range guards {
		for _, pr := range g {
			if pr.eval() {
				continue guards
			}
		}
		return false
	}
	out, err := e.vm.Run(prog, nil)
	if err != nil {
		e.failures.Add(1)
		return false
	}
	b, _ := out.(bool)
	return b
}

type slotKey struct {
	name string
	arg  event.Arg
}

// slot caches one field (with its argument) for the current event, so the
// rules that read proc.name all share one extraction.
type slot struct {
	// gen, env and val first: what a cached read touches.
	gen uint64
	env *evalEnv
	val event.Value
	f   *event.Field
	arg event.Arg

	// box is an interface value whose data word points at str: returning
	// box to expr hands it a string without the allocation that converting
	// a string to `any` costs. It is built once (newStringBox) and its
	// string rewritten in place before each return; expr only compares it
	// and drops it before the next call of the same function.
	box any
	str *string

	// bigrams is a 64-bit Bloom filter of the byte pairs of the value,
	// computed on first use per event (bigramGen): a literal whose pairs are
	// not all in it cannot be a substring, so most contains/startswith/
	// endswith tests end with one AND.
	bigramGen uint64
	bigrams   uint64
}

// bigramBit maps a byte pair to its filter bit.
func bigramBit(a, b byte) uint64 { return 1 << ((uint(a)*31 + uint(b)) & 63) }

// bigramMask returns the filter bits of s.
func bigramMask(s string) uint64 {
	var m uint64
	for i := 0; i+1 < len(s); i++ {
		m |= bigramBit(s[i], s[i+1])
	}
	return m
}

// valueBigrams returns the filter of the slot's current (available) value.
func (s *slot) valueBigrams() uint64 {
	if s.bigramGen != s.env.gen {
		s.bigrams = bigramMask(s.val.Str)
		s.bigramGen = s.env.gen
	}
	return s.bigrams
}

func (e *evalEnv) slot(f *event.Field, a event.Arg) *slot {
	k := slotKey{f.Name, a}
	if s, ok := e.slots[k]; ok {
		return s
	}
	s := e.newSlot(slot{env: e, f: f, arg: a})
	e.slots[k] = s
	return s
}

// get returns the field's value for the current event, extracting it once.
func (s *slot) get() *event.Value {
	if s.gen != s.env.gen {
		s.val = s.f.Get(s.env.ev, s.arg)
		s.gen = s.env.gen
	}
	return &s.val
}

// eface is the runtime layout of an empty interface.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

// newStringBox returns an `any` holding a string whose storage is *p, so
// that writing *p changes what the interface holds. The data word must point
// to memory we own: a constant or empty string converted to `any` points to
// read-only or shared memory instead.
func newStringBox() (any, *string) {
	p := new(string)
	var v any = *p // type word of string; data word replaced below
	(*eface)(unsafe.Pointer(&v)).data = unsafe.Pointer(p)
	return v, p
}

// stringValue returns the slot's value as a boxed string for expr's native
// ==; an unavailable field reads as "", which the compiler never compares
// natively against "" (it uses a predicate then).
func (s *slot) stringValue() (any, error) {
	v := s.get()
	if v.OK {
		*s.str = v.Str
	} else {
		*s.str = ""
	}
	return s.box, nil
}
