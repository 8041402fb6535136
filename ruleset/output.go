package ruleset

import (
	"fmt"
	"strings"

	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset/condition"
)

// outputPart is one piece of a parsed output: literal text or a field.
type outputPart struct {
	lit   string
	field *event.Field // nil for literal text
	arg   event.Arg
	key   string // the field as written, e.g. proc.aname[2]: its output_fields key
}

// outputFormat is a rule's output parsed once at load.
type outputFormat struct {
	parts []outputPart
	// fields are the distinct field parts, in first-use order.
	fields []outputPart
}

// isOutputNameByte reports the bytes of a %field name (Falco's).
func isOutputNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.'
}

// parseOutput parses r's output into parts; an unknown field or a bad
// argument is a load error at its position in the output.
func (l *loader) parseOutput(r *Rule, t *text) bool {
	f, errs := parseOutputFormat(t.s)
	for _, e := range errs {
		l.errAt(t.locAt(e.off), "rule", r.Name, "output: %s", e.msg)
	}
	if len(errs) > 0 {
		return false
	}
	r.output = f
	return true
}

type outputErr struct {
	off int
	msg string
}

// ParseOutput checks an output format string (`%field`, `%(field)`,
// `%proc.aname[2]`) and returns the fields it names, as written; the ui and
// the CLI use it for outputs they build themselves.
func ParseOutput(s string) ([]string, error) {
	f, errs := parseOutputFormat(s)
	if len(errs) > 0 {
		return nil, &condition.Error{Offset: condition.Pos(errs[0].off), Msg: errs[0].msg}
	}
	keys := make([]string, len(f.fields))
	for i, p := range f.fields {
		keys[i] = p.key
	}
	return keys, nil
}

func parseOutputFormat(s string) (outputFormat, []outputErr) {
	var f outputFormat
	var errs []outputErr
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			f.parts = append(f.parts, outputPart{lit: lit.String()})
			lit.Reset()
		}
	}
	seen := map[string]bool{}
	i := 0
	for i < len(s) {
		c := s[i]
		if c != '%' || i+1 >= len(s) {
			lit.WriteByte(c)
			i++
			continue
		}
		start := i
		var name, arg string
		hasArg := false
		j := i + 1
		if s[j] == '(' {
			end := strings.IndexByte(s[j:], ')')
			if end < 0 {
				errs = append(errs, outputErr{start, "unclosed %( in output: add ')'"})
				break
			}
			inner := strings.TrimSpace(s[j+1 : j+end])
			j += end + 1
			name = inner
			if k := strings.IndexByte(inner, '['); k >= 0 && strings.HasSuffix(inner, "]") {
				name, arg, hasArg = inner[:k], inner[k+1:len(inner)-1], true
			}
		} else {
			for j < len(s) && isOutputNameByte(s[j]) {
				j++
			}
			// Trailing dots belong to the sentence, not the name.
			for j > i+1 && s[j-1] == '.' {
				j--
			}
			name = s[i+1 : j]
			if j < len(s) && s[j] == '[' && name != "" {
				if end := strings.IndexByte(s[j:], ']'); end > 0 {
					arg, hasArg = s[j+1:j+end], true
					j += end + 1
				}
			}
		}
		// A '%' not followed by a field name stays text ("100%").
		if name == "" || !strings.Contains(name, ".") {
			lit.WriteByte('%')
			i++
			continue
		}
		if name == "container.info" {
			// Falco's placeholder for the container fields its options
			// configure; here it is the container id.
			if _, ok := event.Lookup(name); !ok {
				name = "container.id"
			}
		}
		ref := &condition.FieldRef{Name: name, Arg: arg, HasArg: hasArg}
		if msg, _ := fieldProblem(ref); msg != "" {
			errs = append(errs, outputErr{start, msg})
			i = j
			continue
		}
		fd, _ := event.Lookup(name)
		key := name
		if hasArg {
			key += "[" + arg + "]"
		}
		p := outputPart{field: fd, arg: fieldArg(ref), key: key}
		flush()
		f.parts = append(f.parts, p)
		if !seen[key] {
			seen[key] = true
			f.fields = append(f.fields, p)
		}
		i = j
	}
	flush()
	return f, errs
}

// SetOutput parses s as the rule's output and sets Output, for rules built
// in code rather than loaded (the loader parses outputs itself).
func (r *Rule) SetOutput(s string) error {
	f, errs := parseOutputFormat(s)
	if len(errs) > 0 {
		return fmt.Errorf("rule %q: output: %s", r.Name, errs[0].msg)
	}
	r.Output, r.output = s, f
	return nil
}

// FormatOutput renders the rule's output for an event, substituting every
// field (unavailable ones as <NA>, as Falco does). The result is raw: escape
// it before printing it to a terminal.
func (r *Rule) FormatOutput(ev *event.Event) string {
	var b strings.Builder
	for _, p := range r.output.parts {
		if p.field == nil {
			b.WriteString(p.lit)
			continue
		}
		b.WriteString(p.field.Format(p.field.Get(ev, p.arg)))
	}
	return b.String()
}

// OutputFields returns the fields named by the rule's output, as written
// (proc.aname[2]), in first-use order.
func (r *Rule) OutputFields() []string {
	keys := make([]string, len(r.output.fields))
	for i, p := range r.output.fields {
		keys[i] = p.key
	}
	return keys
}

// outputFieldValues returns the output's fields typed for JSON: numbers as
// numbers, bools as bools, unavailable as nil; plus evt.time in ns.
func (r *Rule) outputFieldValues(ev *event.Event) map[string]any {
	m := make(map[string]any, len(r.output.fields)+1)
	for _, p := range r.output.fields {
		m[p.key] = jsonValue(p.field, p.field.Get(ev, p.arg))
	}
	m["evt.time"] = ev.Time
	return m
}

func jsonValue(f *event.Field, v event.Value) any {
	if !v.OK {
		return nil
	}
	switch f.Type {
	case event.Number:
		return v.Num
	case event.Bool:
		return v.Num != 0
	case event.String:
		return v.Str
	}
	return f.Format(v)
}
