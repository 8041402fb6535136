package event

import "sort"

// registry holds every known field by name. It is filled by init functions
// of this package and read-only afterwards.
var registry = map[string]*Field{}

// register adds fields to the registry; a duplicate name is a programming
// error.
func register(fields ...*Field) {
	for _, f := range fields {
		if _, dup := registry[f.Name]; dup {
			panic("event: field registered twice: " + f.Name)
		}
		registry[f.Name] = f
	}
}

// Lookup returns the field with the given name (without any bracketed
// argument).
func Lookup(name string) (*Field, bool) {
	f, ok := registry[name]
	return f, ok
}

// All returns every field, sorted by name.
func All() []*Field {
	out := make([]*Field, 0, len(registry))
	for _, f := range registry {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func str(s string) Value { return Value{OK: true, Str: s} }
func num(n int64) Value  { return Value{OK: true, Num: n} }
func boolean(b bool) Value {
	if b {
		return Value{OK: true, Num: 1}
	}
	return Value{OK: true}
}

// procOf returns the event's process or nil.
func procOf(e *Event) *Process { return e.Proc }

func init() {
	register(
		&Field{Name: "evt.type", Type: String, Filled: true,
			Desc: "Event type (Falco name), e.g. execve, openat, connect.",
			Get:  func(e *Event, _ Arg) Value { return str(e.Type.String()) }},
		&Field{Name: "proc.name", Type: String, Filled: true,
			Desc: "Name of the executable generating the event (the task comm).",
			Get: func(e *Event, _ Arg) Value {
				if p := procOf(e); p != nil {
					return str(p.Comm)
				}
				return Value{}
			}},
		&Field{Name: "proc.args", Type: String, Filled: true,
			Desc: "Arguments passed on the command line when starting the process, space separated.",
			Get: func(e *Event, _ Arg) Value {
				if p := procOf(e); p != nil {
					return str(p.ArgLine)
				}
				return Value{}
			}},
	)
}
