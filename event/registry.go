package event

import (
	"net/netip"
	"sort"
)

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

// knownNum is n, or unavailable when n is 0 (a value the sensor did not get).
func knownNum(n int64) Value {
	if n == 0 {
		return na
	}
	return num(n)
}
func boolean(b bool) Value {
	if b {
		return Value{OK: true, Num: 1}
	}
	return Value{OK: true}
}

// procOf returns the event's process or nil.
func procOf(e *Event) *Process { return e.Proc }

// na is the value of a field that is not available for an event.
var na = Value{}

// ip returns an IP value; v4-mapped IPv6 addresses are unmapped so CIDR
// membership against IPv4 networks works as in Falco.
func ip(a netip.Addr) Value {
	if !a.IsValid() {
		return na
	}
	return Value{OK: true, IP: a.Unmap()}
}
