package ruleset

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unsafe"

	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset/condition"
)

// maxAncestors bounds the walk of a bare ancestor field (proc.aname = x
// matches if any ancestor's name is x).
const maxAncestors = 32

// operand is one side of a comparison: a field with its argument and
// transformers, read from the current event.
type operand struct {
	env  *evalEnv
	f    *event.Field
	arg  event.Arg
	slot *slot
	// anyAncestor is set for a bare ancestor field: the check holds if it
	// holds for any ancestor (depth 1, 2, … until unavailable).
	anyAncestor bool
	anc         []*slot         // depth d at anc[d-1], for anyAncestor
	xf          []string        // transformers, innermost first
	typ         event.FieldType // type after transformers
	bufs        [2][]byte       // scratch for transformers, reused per event
	// cur holds the value under test: tests take a pointer, and a pointer
	// to a local would make every evaluation allocate it.
	cur event.Value
}

// operand resolves a field reference: its argument and its transformers.
func (c *compiler) operand(f *event.Field, r *condition.FieldRef) (*operand, error) {
	o := &operand{env: c.env, f: f, typ: f.Type}
	switch f.Arg {
	case event.ArgNone:
		if r.HasArg {
			return nil, &condition.Error{Offset: r.At, Msg: fmt.Sprintf("field '%s' takes no argument; write %s", r.Name, r.Name)}
		}
	case event.ArgIndexOptional, event.ArgIndexRequired:
		if !r.HasArg {
			if f.Arg == event.ArgIndexRequired {
				return nil, &condition.Error{Offset: r.At, Msg: fmt.Sprintf("field '%s' needs an index argument, e.g. %s[0]", r.Name, r.Name)}
			}
			o.anyAncestor = f.Ancestor
			break
		}
		i, err := strconv.Atoi(strings.TrimSpace(r.Arg))
		if err != nil || i < 0 {
			return nil, &condition.Error{Offset: r.At, Msg: fmt.Sprintf("field '%s' needs a numeric argument, e.g. %s[1], not [%s]", r.Name, r.Name, r.Arg)}
		}
		o.arg = event.Arg{Set: true, Index: i}
	case event.ArgKeyRequired, event.ArgKeyOptional:
		if !r.HasArg {
			if f.Arg == event.ArgKeyRequired {
				return nil, &condition.Error{Offset: r.At, Msg: fmt.Sprintf("field '%s' needs an argument, e.g. %s[NAME]", r.Name, r.Name)}
			}
			break
		}
		o.arg = event.Arg{Set: true, Key: r.Arg}
		if i, err := strconv.Atoi(r.Arg); err == nil {
			o.arg.Index = i
		}
	}
	for _, t := range r.Transformers {
		switch t {
		case "tolower", "toupper", "b64", "basename":
			if o.typ != event.String {
				return nil, &condition.Error{Offset: r.At, Msg: fmt.Sprintf("transformer %s() applies to string fields; '%s' is a %s field", t, r.Name, o.typ)}
			}
		case "len":
			if o.typ != event.String {
				return nil, &condition.Error{Offset: r.At, Msg: fmt.Sprintf("transformer len() applies to string fields; '%s' is a %s field", r.Name, o.typ)}
			}
			o.typ = event.Number
		default:
			return nil, &condition.Error{Offset: r.At, Msg: fmt.Sprintf("unknown transformer '%s'", t)}
		}
	}
	o.xf = r.Transformers
	if o.anyAncestor {
		// One slot per depth, shared by every check on this field, so an
		// event's ancestors are read once however many rules ask.
		o.anc = make([]*slot, maxAncestors)
		for d := range o.anc {
			o.anc[d] = c.env.slot(f, event.Arg{Set: true, Index: d + 1})
		}
	} else {
		o.slot = c.env.slot(f, o.arg)
	}
	return o, nil
}

// transform applies the transformers to v; false when one fails (b64 of
// text that is not base64), which makes the field unavailable as in libsinsp.
// Results live in the operand's scratch buffers until its next use.
func (o *operand) transform(v event.Value) (event.Value, bool) {
	for i, t := range o.xf {
		buf := o.bufs[i%2][:0]
		switch t {
		case "tolower":
			for j := 0; j < len(v.Str); j++ {
				ch := v.Str[j]
				if ch >= 'A' && ch <= 'Z' {
					ch += 'a' - 'A'
				}
				buf = append(buf, ch)
			}
			v.Str = bytesView(buf)
		case "toupper":
			for j := 0; j < len(v.Str); j++ {
				ch := v.Str[j]
				if ch >= 'a' && ch <= 'z' {
					ch -= 'a' - 'A'
				}
				buf = append(buf, ch)
			}
			v.Str = bytesView(buf)
		case "b64":
			n := base64.StdEncoding.DecodedLen(len(v.Str))
			if cap(buf) < n {
				buf = make([]byte, n)
			}
			buf = buf[:n]
			m, err := base64.StdEncoding.Decode(buf, unsafe.Slice(unsafe.StringData(v.Str), len(v.Str)))
			if err != nil {
				return v, false
			}
			buf = buf[:m]
			v.Str = bytesView(buf)
		case "basename":
			if k := strings.LastIndexByte(v.Str, '/'); k >= 0 {
				v.Str = v.Str[k+1:]
			}
		case "len":
			v.Num = int64(len(v.Str))
		}
		o.bufs[i%2] = buf
	}
	return v, true
}

// bytesView returns b as a string without copying; the string is only read
// before b is next written.
func bytesView(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// value returns the operand's value for the current event.
func (o *operand) value() (event.Value, bool) {
	v := o.slot.get()
	if !v.OK {
		return event.Value{}, false
	}
	if len(o.xf) == 0 {
		return *v, true
	}
	return o.transform(*v)
}

// at returns the value of the depth-th ancestor (bare ancestor fields).
func (o *operand) at(depth int) (event.Value, bool) {
	v := o.anc[depth-1].get()
	if !v.OK {
		return event.Value{}, false
	}
	if len(o.xf) == 0 {
		return *v, true
	}
	return o.transform(*v)
}

// exists is the `exists` check: the field is available.
func (o *operand) exists() bool {
	if o.anyAncestor {
		_, ok := o.at(1)
		return ok
	}
	_, ok := o.value()
	return ok
}

// matcher turns a value test into a check on the current event: false when
// the field is unavailable (Falco's rule for every operator, != and in
// included); for a bare ancestor field, true when any ancestor passes.
func (o *operand) matcher(test func(*event.Value) bool) func() bool {
	if o.anyAncestor {
		return func() bool {
			for d := 1; d <= maxAncestors; d++ {
				var ok bool
				if o.cur, ok = o.at(d); !ok {
					return false
				}
				if test(&o.cur) {
					return true
				}
			}
			return false
		}
	}
	if len(o.xf) == 0 {
		// Test the cached value in place: no copy.
		s := o.slot
		return func() bool {
			v := s.get()
			return v.OK && test(v)
		}
	}
	return func() bool {
		var ok bool
		o.cur, ok = o.value()
		return ok && test(&o.cur)
	}
}

// valCompare compiles `field op val(other)`.
func (c *compiler) valCompare(n *condition.Compare, left *operand) (func() bool, error) {
	rf, ok := event.Lookup(n.RightField.Name)
	if !ok {
		return nil, &condition.Error{Offset: n.RightField.At, Msg: fmt.Sprintf("unknown field '%s'%s", n.RightField.Name, suggestField(n.RightField.Name))}
	}
	right, err := c.operand(rf, n.RightField)
	if err != nil {
		return nil, err
	}
	if right.anyAncestor {
		return nil, &condition.Error{Offset: n.RightField.At, Msg: fmt.Sprintf("val(%s) needs an ancestor index, e.g. val(%s[1])", n.RightField.Name, n.RightField.Name)}
	}
	lt, rt := comparable(left.typ), comparable(right.typ)
	if lt != rt {
		return nil, errAt(n, "cannot compare %s field '%s' with %s field '%s'", left.typ, n.Field.Name, right.typ, n.RightField.Name)
	}
	var test func(a, b *event.Value) bool
	switch lt {
	case event.String:
		switch n.Op {
		case "=", "==":
			test = func(a, b *event.Value) bool { return a.Str == b.Str }
		case "!=":
			test = func(a, b *event.Value) bool { return a.Str != b.Str }
		case "<":
			test = func(a, b *event.Value) bool { return a.Str < b.Str }
		case "<=":
			test = func(a, b *event.Value) bool { return a.Str <= b.Str }
		case ">":
			test = func(a, b *event.Value) bool { return a.Str > b.Str }
		case ">=":
			test = func(a, b *event.Value) bool { return a.Str >= b.Str }
		case "contains":
			test = func(a, b *event.Value) bool { return strings.Contains(a.Str, b.Str) }
		case "icontains":
			test = func(a, b *event.Value) bool { return containsFold(a.Str, b.Str) }
		case "startswith":
			test = func(a, b *event.Value) bool { return strings.HasPrefix(a.Str, b.Str) }
		case "endswith":
			test = func(a, b *event.Value) bool { return strings.HasSuffix(a.Str, b.Str) }
		}
	case event.Number:
		switch n.Op {
		case "=", "==":
			test = func(a, b *event.Value) bool { return a.Num == b.Num }
		case "!=":
			test = func(a, b *event.Value) bool { return a.Num != b.Num }
		case "<":
			test = func(a, b *event.Value) bool { return a.Num < b.Num }
		case "<=":
			test = func(a, b *event.Value) bool { return a.Num <= b.Num }
		case ">":
			test = func(a, b *event.Value) bool { return a.Num > b.Num }
		case ">=":
			test = func(a, b *event.Value) bool { return a.Num >= b.Num }
		}
	case event.IP:
		switch n.Op {
		case "=", "==":
			test = func(a, b *event.Value) bool { return a.IP.Unmap() == b.IP.Unmap() }
		case "!=":
			test = func(a, b *event.Value) bool { return a.IP.Unmap() != b.IP.Unmap() }
		}
	}
	if test == nil {
		return nil, errAt(n, "operator '%s' cannot compare with a field (val()); use =, !=, <, <=, >, >=, contains, icontains, startswith or endswith", n.Op)
	}
	if left.anyAncestor {
		return left.matcher(func(a *event.Value) bool {
			var ok bool
			right.cur, ok = right.value()
			return ok && test(a, &right.cur)
		}), nil
	}
	return func() bool {
		var ok bool
		if left.cur, ok = left.value(); !ok {
			return false
		}
		right.cur, ok = right.value()
		return ok && test(&left.cur, &right.cur)
	}, nil
}

// comparable maps a field type to the class of values it compares as.
func comparable(t event.FieldType) event.FieldType {
	switch t {
	case event.Bool, event.Flags:
		return event.Number
	case event.Net:
		return event.IP
	}
	return t
}

// valueTest compiles the literal side of a comparison into a test of one
// value of type typ.
func (c *compiler) valueTest(n *condition.Compare, f *event.Field, typ event.FieldType) (func(*event.Value) bool, error) {
	switch n.Op {
	case "in", "intersects", "pmatch":
		if !n.List {
			return nil, listError(n)
		}
	default:
		if n.List || len(n.Values) != 1 {
			return nil, errAt(n, "'%s' takes one value, not a list", n.Op)
		}
	}
	switch typ {
	case event.String:
		return c.stringTest(n)
	case event.Number, event.Bool:
		return c.numberTest(n, f, typ)
	case event.Flags:
		return c.flagsTest(n, f)
	case event.IP, event.Net:
		return c.ipTest(n, typ)
	}
	return nil, errAt(n, "field '%s' has no comparable type", n.Field.Name)
}

func opError(n *condition.Compare, typ event.FieldType, valid string) error {
	return errAt(n, "operator '%s' is not valid for %s field '%s' (use %s)", n.Op, typ, n.Field.Name, valid)
}

func (c *compiler) stringTest(n *condition.Compare) (func(*event.Value) bool, error) {
	switch n.Op {
	case "in", "intersects":
		return stringSet(n.Values), nil
	case "pmatch":
		return pathPrefixes(n.Values), nil
	}
	s := n.Values[0].Text
	switch n.Op {
	case "=", "==":
		return func(v *event.Value) bool { return v.Str == s }, nil
	case "!=":
		return func(v *event.Value) bool { return v.Str != s }, nil
	case "<":
		return func(v *event.Value) bool { return v.Str < s }, nil
	case "<=":
		return func(v *event.Value) bool { return v.Str <= s }, nil
	case ">":
		return func(v *event.Value) bool { return v.Str > s }, nil
	case ">=":
		return func(v *event.Value) bool { return v.Str >= s }, nil
	case "contains":
		return func(v *event.Value) bool { return strings.Contains(v.Str, s) }, nil
	case "icontains":
		ls := strings.ToLower(s)
		return func(v *event.Value) bool { return containsFold(v.Str, ls) }, nil
	case "startswith":
		return func(v *event.Value) bool { return strings.HasPrefix(v.Str, s) }, nil
	case "endswith":
		return func(v *event.Value) bool { return strings.HasSuffix(v.Str, s) }, nil
	case "bcontains", "bstartswith":
		raw, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
		if err != nil {
			return nil, &condition.Error{Offset: n.Values[0].At, Msg: fmt.Sprintf("'%s' takes hex bytes, e.g. %s 2f6574, not '%s'", n.Op, n.Op, s)}
		}
		b := string(raw)
		if n.Op == "bcontains" {
			return func(v *event.Value) bool { return strings.Contains(v.Str, b) }, nil
		}
		return func(v *event.Value) bool { return strings.HasPrefix(v.Str, b) }, nil
	case "glob", "iglob":
		fold := n.Op == "iglob"
		pat := s
		if fold {
			pat = strings.ToLower(s)
		}
		if err := validFnmatch(pat); err != nil {
			return nil, &condition.Error{Offset: n.Values[0].At, Msg: fmt.Sprintf("bad glob pattern '%s': %v", s, err)}
		}
		return func(v *event.Value) bool { return fnmatch(pat, v.Str, fold) }, nil
	case "regex":
		// libsinsp anchors the pattern at both ends (RE2 ANCHOR_BOTH).
		match, err := regexMatcher(s)
		if err != nil {
			return nil, &condition.Error{Offset: n.Values[0].At, Msg: fmt.Sprintf("bad regular expression '%s': %v", s, err)}
		}
		return func(v *event.Value) bool { return match(v.Str) }, nil
	}
	return nil, opError(n, event.String, "a string operator")
}

// stringSet tests membership: a short list is scanned, a long one hashed
// (a map lookup with a string key does not allocate).
func stringSet(vals []condition.Value) func(*event.Value) bool {
	if len(vals) <= 8 {
		list := make([]string, len(vals))
		for i, v := range vals {
			list[i] = v.Text
		}
		return func(v *event.Value) bool {
			for _, s := range list {
				if v.Str == s {
					return true
				}
			}
			return false
		}
	}
	set := make(map[string]struct{}, len(vals))
	for _, v := range vals {
		set[v.Text] = struct{}{}
	}
	return func(v *event.Value) bool {
		_, ok := set[v.Str]
		return ok
	}
}

// pathPrefixes is pmatch: the value is one of the paths or lies below one.
func pathPrefixes(vals []condition.Value) func(*event.Value) bool {
	type prefix struct{ exact, dir string }
	list := make([]prefix, 0, len(vals))
	for _, v := range vals {
		p := strings.TrimRight(v.Text, "/")
		if p == "" {
			list = append(list, prefix{exact: "/", dir: "/"})
			continue
		}
		list = append(list, prefix{exact: p, dir: p + "/"})
	}
	return func(v *event.Value) bool {
		for _, p := range list {
			if v.Str == p.exact || strings.HasPrefix(v.Str, p.dir) {
				return true
			}
		}
		return false
	}
}

// containsFold reports whether s contains the lower-case needle, ignoring
// ASCII case, without allocating.
func containsFold(s, lowerNeedle string) bool {
	n := len(lowerNeedle)
	if n == 0 {
		return true
	}
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			ch := s[i+j]
			if ch >= 'A' && ch <= 'Z' {
				ch += 'a' - 'A'
			}
			if ch != lowerNeedle[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

// number parses a numeric literal for field f: decimal or 0x hex, true and
// false for bool fields, errno names (ENOENT = -2) for evt.res/evt.rawres.
func number(f *event.Field, typ event.FieldType, v condition.Value) (int64, error) {
	t := v.Text
	if typ == event.Bool {
		switch strings.ToLower(t) {
		case "true":
			return 1, nil
		case "false":
			return 0, nil
		}
	}
	if strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "0X") {
		if u, err := strconv.ParseUint(t[2:], 16, 64); err == nil {
			return int64(u), nil
		}
	} else if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		return n, nil
	}
	if f.Name == "evt.res" || f.Name == "evt.rawres" {
		if n, ok := event.ErrnoValue(t); ok {
			return -n, nil
		}
		if t == "SUCCESS" {
			return 0, nil
		}
	}
	if typ == event.Bool {
		return 0, &condition.Error{Offset: v.At, Msg: fmt.Sprintf("'%s' is a bool field: compare it with true or false, not '%s'", f.Name, t)}
	}
	return 0, &condition.Error{Offset: v.At, Msg: fmt.Sprintf("'%s' is a number field: '%s' is not a number", f.Name, t)}
}

func (c *compiler) numberTest(n *condition.Compare, f *event.Field, typ event.FieldType) (func(*event.Value) bool, error) {
	switch n.Op {
	case "in", "intersects":
		list := make([]int64, 0, len(n.Values))
		for _, v := range n.Values {
			x, err := number(f, typ, v)
			if err != nil {
				return nil, err
			}
			list = append(list, x)
		}
		return func(v *event.Value) bool {
			for _, x := range list {
				if v.Num == x {
					return true
				}
			}
			return false
		}, nil
	case "=", "==", "!=", "<", "<=", ">", ">=":
	default:
		if (f.Name == "evt.res" || f.Name == "evt.rawres") && len(n.Field.Transformers) == 0 {
			return c.errnoTextTest(n)
		}
		return nil, opError(n, typ, "=, !=, <, <=, >, >=, in or exists")
	}
	x, err := number(f, typ, n.Values[0])
	if err != nil {
		return nil, err
	}
	switch n.Op {
	case "=", "==":
		return func(v *event.Value) bool { return v.Num == x }, nil
	case "!=":
		return func(v *event.Value) bool { return v.Num != x }, nil
	case "<":
		return func(v *event.Value) bool { return v.Num < x }, nil
	case "<=":
		return func(v *event.Value) bool { return v.Num <= x }, nil
	case ">":
		return func(v *event.Value) bool { return v.Num > x }, nil
	default:
		return func(v *event.Value) bool { return v.Num >= x }, nil
	}
}

// errnoTextTest applies a string operator to a numeric result read as
// Falco's evt.res text: "SUCCESS" or the errno name (evt.res startswith E).
func (c *compiler) errnoTextTest(n *condition.Compare) (func(*event.Value) bool, error) {
	st, err := c.stringTest(n)
	if err != nil {
		return nil, err
	}
	t := new(event.Value) // reused: a local would escape through st
	return func(v *event.Value) bool {
		*t = event.Value{OK: true, Str: "SUCCESS"}
		if v.Num < 0 {
			t.Str = event.ErrnoName(-v.Num)
		}
		return st(t)
	}, nil
}

// flagMask resolves a flag literal: a name, names joined by '|', or a number.
func flagMask(f *event.Field, v condition.Value) (uint64, error) {
	var mask uint64
	for _, part := range strings.Split(v.Text, "|") {
		part = strings.TrimSpace(part)
		if f.FlagValue != nil {
			if m, ok := f.FlagValue(part); ok {
				mask |= m
				continue
			}
		}
		if strings.HasPrefix(part, "0x") || strings.HasPrefix(part, "0X") {
			if u, err := strconv.ParseUint(part[2:], 16, 64); err == nil {
				mask |= u
				continue
			}
		} else if u, err := strconv.ParseUint(part, 10, 64); err == nil {
			mask |= u
			continue
		}
		return 0, &condition.Error{Offset: v.At, Msg: fmt.Sprintf("unknown flag name '%s' for field '%s'", part, f.Name)}
	}
	return mask, nil
}

// Registry flag values carry a table tag from bit 48 up (and a synthetic
// O_RDONLY bit at 40) above the Linux bits; see event's flag tables.
const (
	flagTagBits   = ^(uint64(1)<<48 - 1)
	flagLinuxBits = uint64(1)<<40 - 1
)

// flagsEqual compares a flags value with a mask from the rule. A mask written
// as a number carries no table tag, so it is compared with the Linux bits of
// a tagged value (`evt.arg.flags = 577`); a mask from names carries the tag
// and is compared whole.
func flagsEqual(v, m uint64) bool {
	if m&flagTagBits == 0 && v&flagTagBits != 0 {
		v &= flagLinuxBits
	}
	return v == m
}

func (c *compiler) flagsTest(n *condition.Compare, f *event.Field) (func(*event.Value) bool, error) {
	masks := make([]uint64, 0, len(n.Values))
	for _, v := range n.Values {
		m, err := flagMask(f, v)
		if err != nil {
			return nil, err
		}
		masks = append(masks, m)
	}
	switch n.Op {
	case "contains":
		m := masks[0]
		if m == 0 {
			// A name worth no bits is "contained" only in an empty set.
			return func(v *event.Value) bool { return v.Num == 0 }, nil
		}
		return func(v *event.Value) bool { return uint64(v.Num)&m == m }, nil
	case "=", "==":
		m := masks[0]
		return func(v *event.Value) bool { return flagsEqual(uint64(v.Num), m) }, nil
	case "!=":
		m := masks[0]
		return func(v *event.Value) bool { return !flagsEqual(uint64(v.Num), m) }, nil
	case "in":
		return func(v *event.Value) bool {
			for _, m := range masks {
				if flagsEqual(uint64(v.Num), m) {
					return true
				}
			}
			return false
		}, nil
	case "intersects":
		// Any of the names is set (each name may carry several bits, e.g.
		// the registry's table tag, so this is not a plain AND).
		return func(v *event.Value) bool {
			for _, m := range masks {
				if uint64(v.Num)&m == m {
					return true
				}
			}
			return false
		}, nil
	}
	return nil, opError(n, event.Flags, "contains, =, !=, in, intersects or exists")
}

// ipValue parses an address or a CIDR; a bare address is a one-address
// prefix.
func ipValue(v condition.Value) (netip.Prefix, error) {
	if strings.Contains(v.Text, "/") {
		p, err := netip.ParsePrefix(v.Text)
		if err != nil {
			return p, &condition.Error{Offset: v.At, Msg: fmt.Sprintf("bad CIDR '%s': write e.g. 10.0.0.0/8", v.Text)}
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(v.Text)
	if err != nil {
		return netip.Prefix{}, &condition.Error{Offset: v.At, Msg: fmt.Sprintf("bad IP address '%s'", v.Text)}
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func (c *compiler) ipTest(n *condition.Compare, typ event.FieldType) (func(*event.Value) bool, error) {
	switch n.Op {
	case "=", "==", "!=", "in", "intersects":
	default:
		return nil, opError(n, typ, "=, !=, in or exists, with addresses or CIDRs")
	}
	prefixes := make([]netip.Prefix, 0, len(n.Values))
	for _, v := range n.Values {
		p, err := ipValue(v)
		if err != nil {
			return nil, err
		}
		prefixes = append(prefixes, p)
	}
	member := func(v *event.Value) bool {
		a := v.IP.Unmap()
		for _, p := range prefixes {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	if n.Op == "!=" {
		return func(v *event.Value) bool { return !member(v) }, nil
	}
	return member, nil
}
