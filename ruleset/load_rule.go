package ruleset

import (
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// rawVal is an exception value as written: a scalar or a list of values. Its
// shape is checked against the exception's fields at resolve time, because
// an appended exception takes its fields from the earlier definition.
type rawVal struct {
	at     loc
	t      *text
	list   []rawVal
	isList bool
}

// rulePart holds the keys present on one rule item.
type rulePart struct {
	desc, cond, output *text
	condAt             loc
	priority           *Priority
	tags               []string
	enabled            *bool
	exceptions         []*excDef
	source             string
	warnEvttypes       *bool
	skipUnknown        *bool
	capture            *bool
	captureDuration    int
}

// applyFlags sets the boolean keys the item gave on r, leaving the others.
func (p *rulePart) applyFlags(r *Rule) {
	if p.enabled != nil {
		r.Enabled = *p.enabled
	}
	if p.warnEvttypes != nil {
		r.WarnEvttypes = *p.warnEvttypes
	}
	if p.skipUnknown != nil {
		r.SkipIfUnknownFilter = *p.skipUnknown
	}
	if p.capture != nil {
		r.Capture = *p.capture
	}
}

func (l *loader) readRule(it *item) {
	l.warnUnknownKeys(it)
	ov := l.readOverride(it)
	app := l.readAppend(it)
	if it.failed {
		return
	}
	p := l.rulePart(it)
	if it.failed {
		return
	}
	enabledOnly := ov == nil && !app && it.has("enabled") && !it.has("condition") &&
		!it.has("output") && !it.has("desc") && !it.has("priority") && !it.has("exceptions") &&
		!it.has("tags")
	if l.skipped[it.name] && (ov != nil || app || enabledOnly) {
		return
	}
	prev := l.rules[it.name]
	switch {
	case ov != nil:
		if prev == nil {
			l.errAt(it.at, "rule", it.name, "override of an undefined rule: define the rule first (or check the name)")
			return
		}
		l.mergeRule(it, prev, p, func(k string) bool { return ov[k] == "append" })
	case app:
		for _, k := range []string{"priority", "source", "warn_evttypes", "skip-if-unknown-filter", "capture", "capture_duration"} {
			if it.has(k) {
				l.errAt(it.byKey[k].at, "rule", it.name, "%q cannot be appended: use override: {%s: replace}", k, k)
				return
			}
		}
		if prev == nil {
			l.errAt(it.at, "rule", it.name, "append to an undefined rule: define the rule first (or check the name)")
			return
		}
		l.mergeRule(it, prev, p, func(string) bool { return true })
	case enabledOnly:
		if prev == nil {
			l.errAt(it.at, "rule", it.name, "enabled set on an undefined rule: define the rule first (or check the name)")
			return
		}
		prev.r.Enabled = *p.enabled
	default:
		l.defineRule(it, prev, p)
	}
}

// rulePart reads and type-checks every key present on a rule item.
func (l *loader) rulePart(it *item) *rulePart {
	p := &rulePart{}
	if it.has("desc") {
		if _, ok := l.str(it, "desc"); ok {
			p.desc = l.textOf(it.f, it.byKey["desc"].val)
		}
	}
	if it.has("condition") {
		if _, ok := l.str(it, "condition"); ok {
			p.cond = l.textOf(it.f, it.byKey["condition"].val)
			p.condAt = it.byKey["condition"].at
		}
	}
	if it.has("output") {
		if _, ok := l.str(it, "output"); ok {
			p.output = l.textOf(it.f, it.byKey["output"].val)
		}
	}
	if it.has("priority") {
		if s, ok := l.str(it, "priority"); ok {
			pr, ok := ParsePriority(strings.TrimSpace(s))
			if !ok {
				l.errAt(it.byKey["priority"].at, "rule", it.name, "invalid priority %q: want one of EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL (INFO), DEBUG", s)
				it.failed = true
			}
			p.priority = &pr
		}
	}
	if it.has("tags") {
		p.tags, _, _ = l.strList(it, "tags")
	}
	for key, dst := range map[string]**bool{"enabled": &p.enabled, "warn_evttypes": &p.warnEvttypes,
		"skip-if-unknown-filter": &p.skipUnknown, "capture": &p.capture} {
		if it.has(key) {
			if b, ok := l.boolean(it, key); ok {
				*dst = &b
			}
		}
	}
	if it.has("capture_duration") {
		e := it.byKey["capture_duration"]
		n, ok := e.val.(*ast.IntegerNode)
		if !ok {
			l.errAt(e.at, "rule", it.name, "capture_duration must be a number of milliseconds, found %s", describeNode(e.val))
			it.failed = true
		} else {
			switch v := n.Value.(type) {
			case int64:
				p.captureDuration = int(v)
			case uint64:
				p.captureDuration = int(v)
			}
		}
	}
	if it.has("source") {
		p.source, _ = l.str(it, "source")
	}
	if it.has("exceptions") {
		p.exceptions = l.readExceptions(it)
	}
	return p
}

// defineRule handles a full rule definition, new or replacing one.
func (l *loader) defineRule(it *item, prev *ruleDef, p *rulePart) {
	var missing []string
	for _, k := range []string{"condition", "output", "desc", "priority"} {
		if !it.has(k) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		l.errAt(it.at, "rule", it.name, "missing required key(s) %s: a new rule needs condition, output, desc and priority", strings.Join(missing, ", "))
		return
	}
	src := strings.TrimSpace(p.source)
	if src != "" && src != "syscall" {
		l.warnAt(it.at, "rule", it.name, "source %q is not supported (only syscall); rule skipped", src)
		l.skipped[it.name] = true
		return
	}
	for _, e := range p.exceptions {
		if len(e.fields) == 0 {
			l.errAt(e.at, "rule", it.name, "exception %q has no fields", e.name)
			return
		}
	}
	r := &Rule{
		Name:         it.name,
		Desc:         p.desc.s,
		Priority:     *p.priority,
		Tags:         p.tags,
		Enabled:      true,
		Source:       "syscall",
		WarnEvttypes: true,
		File:         l.file(it.at),
		Line:         int(it.at.line),
		Col:          int(it.at.col),
	}
	p.applyFlags(r)
	r.CaptureDuration = p.captureDuration
	d := &ruleDef{r: r, idx: l.order, ctxIdx: l.order, at: it.at,
		cond: []*text{p.cond}, condAt: p.condAt, output: []*text{p.output}, exceptions: p.exceptions}
	if prev != nil {
		if prev.at.file == it.at.file {
			l.warnAt(it.at, "rule", it.name, "redefined in the same file (first at line %d): the earlier definition is replaced", prev.at.line)
		}
		d.idx = prev.idx
		*prev = *d
		return
	}
	delete(l.skipped, it.name)
	l.rules[it.name] = d
	l.ruleOrder = append(l.ruleOrder, d)
}

// mergeRule applies an append or override item to an existing rule;
// appendKey says whether a key appends (else it replaces).
func (l *loader) mergeRule(it *item, d *ruleDef, p *rulePart, appendKey func(string) bool) {
	r := d.r
	if p.cond != nil {
		if appendKey("condition") {
			d.cond = append(d.cond, p.cond)
		} else {
			d.cond = []*text{p.cond}
		}
		d.ctxIdx = l.order
	}
	if p.output != nil {
		if appendKey("output") {
			d.output = append(d.output, p.output)
		} else {
			d.output = []*text{p.output}
		}
	}
	if p.desc != nil {
		if appendKey("desc") {
			r.Desc += " " + p.desc.s
		} else {
			r.Desc = p.desc.s
		}
	}
	if it.has("tags") {
		if appendKey("tags") {
			r.Tags = append(r.Tags, p.tags...)
		} else {
			r.Tags = p.tags
		}
	}
	if it.has("exceptions") {
		if appendKey("exceptions") {
			for _, e := range p.exceptions {
				if old := findException(d.exceptions, e.name); old != nil {
					if len(e.fields) > 0 || len(e.comps) > 0 {
						l.errAt(e.at, "rule", it.name, "exception %q already exists: an append may only add values, not fields or comps", e.name)
						continue
					}
					old.values = append(old.values, e.values...)
					continue
				}
				if len(e.fields) == 0 {
					l.errAt(e.at, "rule", it.name, "exception %q has no fields (it does not exist yet, so it needs fields)", e.name)
					continue
				}
				d.exceptions = append(d.exceptions, e)
			}
		} else {
			d.exceptions = p.exceptions
		}
	}
	if p.priority != nil {
		r.Priority = *p.priority
	}
	p.applyFlags(r)
	if it.has("capture_duration") {
		r.CaptureDuration = p.captureDuration
	}
	if it.has("source") && strings.TrimSpace(p.source) != "syscall" {
		l.errAt(it.byKey["source"].at, "rule", it.name, "cannot change the source of a syscall rule to %q", p.source)
	}
}

func findException(es []*excDef, name string) *excDef {
	for _, e := range es {
		if e.name == name {
			return e
		}
	}
	return nil
}

// readExceptions parses a rule's exceptions list.
func (l *loader) readExceptions(it *item) []*excDef {
	e := it.byKey["exceptions"]
	if _, null := e.val.(*ast.NullNode); null {
		return nil
	}
	seq, ok := e.val.(*ast.SequenceNode)
	if !ok {
		l.errAt(e.at, "rule", it.name, "exceptions must be a list of {name, fields, comps, values}, found %s", describeNode(e.val))
		it.failed = true
		return nil
	}
	var out []*excDef
	names := map[string]bool{}
	for _, n := range seq.Values {
		n = l.deref(it.f, n)
		x, ok := l.readException(it, n)
		if !ok {
			it.failed = true
			continue
		}
		if names[x.name] {
			l.errAt(x.at, "rule", it.name, "exception %q defined twice", x.name)
			it.failed = true
			continue
		}
		names[x.name] = true
		out = append(out, x)
	}
	return out
}

func (l *loader) readException(it *item, n ast.Node) (*excDef, bool) {
	at := l.nodeLoc(it.f, n)
	mvs, ok := mappingValues(n)
	if !ok {
		l.errAt(at, "rule", it.name, "each exception must be a mapping with name, fields, comps and values, found %s", describeNode(n))
		return nil, false
	}
	x := &excDef{at: at}
	hasName := false
	for _, mv := range mvs {
		k, _ := scalarString(l.deref(it.f, mv.Key), false)
		kat := l.nodeLoc(it.f, mv.Key)
		v := l.deref(it.f, mv.Value)
		switch k {
		case "name":
			s, ok := scalarString(v, true)
			if !ok || s == "" {
				l.errAt(kat, "rule", it.name, "exception name must be a non-empty string, found %s", describeNode(v))
				return nil, false
			}
			x.name, hasName = s, true
		case "fields":
			if seq, ok := v.(*ast.SequenceNode); ok {
				x.fieldsList = true
				for _, f := range seq.Values {
					f = l.deref(it.f, f)
					if _, ok := scalarString(f, false); !ok {
						l.errAt(l.nodeLoc(it.f, f), "rule", it.name, "exception fields must be field names, found %s", describeNode(f))
						return nil, false
					}
					x.fields = append(x.fields, l.textOf(it.f, f))
				}
			} else if _, ok := scalarString(v, false); ok {
				x.fields = []*text{l.textOf(it.f, v)}
			} else {
				l.errAt(kat, "rule", it.name, "exception fields must be a field name or a list of field names, found %s", describeNode(v))
				return nil, false
			}
		case "comps":
			if seq, ok := v.(*ast.SequenceNode); ok {
				for _, c := range seq.Values {
					c = l.deref(it.f, c)
					s, ok := scalarString(c, false)
					if !ok {
						l.errAt(l.nodeLoc(it.f, c), "rule", it.name, "exception comps must be operators, found %s", describeNode(c))
						return nil, false
					}
					x.comps = append(x.comps, strings.TrimSpace(s))
					x.compLocs = append(x.compLocs, l.nodeLoc(it.f, c))
				}
			} else if s, ok := scalarString(v, false); ok {
				x.comps = []string{strings.TrimSpace(s)}
				x.compLocs = []loc{l.nodeLoc(it.f, v)}
			} else {
				l.errAt(kat, "rule", it.name, "exception comps must be an operator or a list of operators, found %s", describeNode(v))
				return nil, false
			}
		case "values":
			if _, null := v.(*ast.NullNode); null {
				continue
			}
			seq, ok := v.(*ast.SequenceNode)
			if !ok {
				l.errAt(kat, "rule", it.name, "exception values must be a list, found %s", describeNode(v))
				return nil, false
			}
			for _, e := range seq.Values {
				rv, ok := l.rawValue(it, l.deref(it.f, e), 0)
				if !ok {
					return nil, false
				}
				x.values = append(x.values, rv)
			}
		default:
			l.warnAt(kat, "rule", it.name, "unknown exception key %q ignored", k)
		}
	}
	if !hasName {
		l.errAt(at, "rule", it.name, "exception without a name")
		return nil, false
	}
	return x, true
}

// rawValue reads a value entry; lists nest at most two deep (a tuple of
// lists).
func (l *loader) rawValue(it *item, n ast.Node, depth int) (rawVal, bool) {
	at := l.nodeLoc(it.f, n)
	if seq, ok := n.(*ast.SequenceNode); ok {
		if depth >= 2 {
			l.errAt(at, "rule", it.name, "exception values nest too deep: use a list of tuples of values or lists")
			return rawVal{}, false
		}
		rv := rawVal{at: at, isList: true}
		for _, e := range seq.Values {
			c, ok := l.rawValue(it, l.deref(it.f, e), depth+1)
			if !ok {
				return rawVal{}, false
			}
			rv.list = append(rv.list, c)
		}
		return rv, true
	}
	if _, ok := scalarString(n, true); !ok {
		if b, isBool := n.(*ast.BoolNode); isBool {
			return rawVal{at: at, t: fixedText(b.Token.Value, at)}, true
		}
		l.errAt(at, "rule", it.name, "exception values must be strings, numbers or lists, found %s", describeNode(n))
		return rawVal{}, false
	}
	return rawVal{at: at, t: l.textOf(it.f, n)}, true
}
