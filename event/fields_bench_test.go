package event

import "testing"

// lazyFields build their text once per event (one allocation, then cached);
// every other field must never allocate.
var lazyFields = map[string]bool{"evt.args": true, "evt.datetime": true}

// lazyOn reports whether f builds text on e: the socket tuple of fd.name and
// evt.arg.tuple on IP sockets, and the lazyFields.
func lazyOn(f *Field, e *Event) bool {
	if lazyFields[f.Name] {
		return true
	}
	return (f.Name == "fd.name" || f.Name == "evt.arg.tuple") &&
		kindOf(e) == kindSock && isInet(&e.Sock)
}

// benchEvents are the realistic events the allocation test and benchmarks
// run every field on.
func benchEvents() map[string]*Event {
	return map[string]*Event{
		"exec":         execEvent(),
		"exec-cont":    func() *Event { e := execEvent(); e.Proc = containerProc(); return e }(),
		"open":         openEvent(),
		"open-failed":  failedOpenEvent(),
		"connect4":     connect4Event(),
		"connect6":     connect6Event(),
		"connect-unix": unixConnectEvent(),
		"accept":       acceptEvent(),
		"setuid":       {Type: TypeSetuid, Proc: containerProc(), UIDs: [3]int64{65534, -1, -1}},
		"kill":         {Type: TypeKill, Res: -3, Proc: containerProc(), TargetPid: 99999, Signal: 0},
		"mount":        {Type: TypeMount, Proc: containerProc(), Path: "/mnt", Path2: "/", Flags: 4096},
	}
}

// argsFor returns the arguments to try a field with.
func argsFor(f *Field) []Arg {
	switch {
	case f.Ancestor:
		return []Arg{{}, {Set: true, Index: 0}, {Set: true, Index: 2}, {Set: true, Index: 9}}
	case f.Arg == ArgKeyRequired || f.Arg == ArgKeyOptional:
		return []Arg{{Set: true, Key: "HOME"}}
	}
	return []Arg{{}}
}

// TestGetDoesNotAllocate runs every filled field on fresh copies of the
// realistic events and asserts zero allocations, except the lazily built
// texts: one allocation on first use, zero once cached.
func TestGetDoesNotAllocate(t *testing.T) {
	// Warm the number caches the way a running pipeline would.
	for _, base := range benchEvents() {
		for _, f := range All() {
			for _, a := range argsFor(f) {
				c := *base
				f.Get(&c, a)
			}
		}
	}
	e := new(Event)
	for name, base := range benchEvents() {
		for _, f := range All() {
			if !f.Filled {
				continue
			}
			for _, a := range argsFor(f) {
				first := testing.AllocsPerRun(20, func() {
					*e = *base
					f.Get(e, a)
				})
				cached := testing.AllocsPerRun(20, func() { f.Get(e, a) })
				limit := 0.0
				if lazyOn(f, base) {
					limit = 1
				}
				if first > limit {
					t.Errorf("%s on %s (arg %+v): %.0f allocations on first Get, want ≤ %.0f", f.Name, name, a, first, limit)
				}
				if cached != 0 {
					t.Errorf("%s on %s (arg %+v): %.0f allocations on a repeated Get, want 0", f.Name, name, a, cached)
				}
			}
		}
	}
}

// BenchmarkGet measures one Get of every filled field on each realistic
// event, the event reset before each round as the pipeline reuses it (so the
// lazily built texts are paid once per round).
func BenchmarkGet(b *testing.B) {
	type call struct {
		f *Field
		a Arg
	}
	var calls []call
	for _, f := range All() {
		if f.Filled {
			for _, a := range argsFor(f) {
				calls = append(calls, call{f, a})
			}
		}
	}
	for _, name := range []string{"exec", "open", "connect4", "connect6"} {
		base := benchEvents()[name]
		b.Run(name+"/all-fields", func(b *testing.B) {
			e := new(Event)
			b.ReportAllocs()
			for b.Loop() {
				*e = *base
				for _, c := range calls {
					c.f.Get(e, c.a)
				}
			}
			b.ReportMetric(float64(len(calls)), "gets/op")
		})
		b.Run(name+"/condition-fields", func(b *testing.B) {
			// What a typical rule reads: no output-only texts.
			refs := []string{"evt.type", "proc.name", "proc.pname", "user.uid", "fd.name",
				"fd.sip", "fd.sport", "evt.arg.flags", "evt.is_open_write", "container.id",
				"proc.cmdline", "fd.typechar", "evt.res"}
			fs := make([]*Field, len(refs))
			for i, r := range refs {
				fs[i], _ = Lookup(r)
			}
			e := new(Event)
			b.ReportAllocs()
			for b.Loop() {
				*e = *base
				for _, f := range fs {
					f.Get(e, Arg{})
				}
			}
		})
	}
	b.Run("proc.acmdline-indexed", func(b *testing.B) {
		f, _ := Lookup("proc.acmdline")
		e := execEvent()
		a := Arg{Set: true, Index: 2}
		b.ReportAllocs()
		for b.Loop() {
			if v := f.Get(e, a); !v.OK {
				b.Fatal("proc.acmdline[2] unavailable")
			}
		}
	})
	b.Run("proc.acmdline-any-ancestor", func(b *testing.B) {
		f, _ := Lookup("proc.acmdline")
		e := execEvent()
		b.ReportAllocs()
		for b.Loop() {
			for d := 1; ; d++ {
				if v := f.Get(e, Arg{Set: true, Index: d}); !v.OK || v.Str == "systemd" {
					break
				}
			}
		}
	})
	b.Run("proc.aname-any-ancestor", func(b *testing.B) {
		f, _ := Lookup("proc.aname")
		e := execEvent()
		b.ReportAllocs()
		for b.Loop() {
			for d := 1; ; d++ {
				if v := f.Get(e, Arg{Set: true, Index: d}); !v.OK || v.Str == "sshd" {
					break
				}
			}
		}
	})
}
