package ruleset

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"

	"github.com/ttpwatch/ttpwatch/ruleset/condition"
)

// loader holds the state of one Load: the collect phase (readSource) fills
// the definitions, the resolve phase substitutes lists, expands macros,
// folds exceptions and compiles.
type loader struct {
	files []string
	errs  []Diagnostic
	warns []Diagnostic
	order int // item counter: an item's index in load order

	lists      map[string]*listDef
	listOrder  []*listDef
	macros     map[string]*macroDef
	macroOrder []*macroDef
	rules      map[string]*ruleDef
	ruleOrder  []*ruleDef
	// skipped names rules of other sources: changes to them are ignored.
	skipped map[string]bool

	engineVersion  string
	pluginVersions []PluginVersion

	spans    []span
	nextBase condition.Pos
	// curMacro is the macro whose text is being parsed, for span.macro.
	curMacro string
	// substFailed is set by substitute when it met a list that failed.
	substFailed bool
	seenErr     map[string]bool
}

// span maps a range of condition.Pos to the text it was parsed from and
// the macro it belongs to ("" for a rule's own text).
type span struct {
	base  condition.Pos
	t     *text
	macro string
}

// firstBase is far above any relative offset, so an absolute Pos can never
// be mistaken for one.
const firstBase condition.Pos = 1 << 24

func newLoader() *loader {
	return &loader{
		lists:    map[string]*listDef{},
		macros:   map[string]*macroDef{},
		rules:    map[string]*ruleDef{},
		skipped:  map[string]bool{},
		nextBase: firstBase,
		seenErr:  map[string]bool{},
	}
}

func (l *loader) diag(at loc, kind, name, format string, args ...any) Diagnostic {
	d := Diagnostic{Line: int(at.line), Col: int(at.col), Kind: kind, Name: escapeControls(name), Msg: escapeControls(fmt.Sprintf(format, args...))}
	if int(at.file) < len(l.files) {
		d.File = l.files[at.file]
	}
	return d
}

// errAt records an error; the same message at the same place is reported
// once (several rules using one broken macro).
func (l *loader) errAt(at loc, kind, name, format string, args ...any) {
	d := l.diag(at, kind, name, format, args...)
	key := fmt.Sprintf("%d:%d:%d:%s", at.file, at.line, at.col, d.Msg)
	if l.seenErr[key] {
		return
	}
	l.seenErr[key] = true
	l.errs = append(l.errs, d)
}

func (l *loader) warnAt(at loc, kind, name, format string, args ...any) {
	l.warns = append(l.warns, l.diag(at, kind, name, format, args...))
}

// escapeControls makes text from rules files safe to print: control and
// format characters and invalid UTF-8 become visible escapes.
func escapeControls(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || unicode.Is(unicode.Cf, r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || unicode.Is(unicode.Cf, r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func (l *loader) file(at loc) string {
	if int(at.file) < len(l.files) {
		return l.files[at.file]
	}
	return ""
}

// listDef is a list being loaded.
type listDef struct {
	name  string
	idx   int
	at    loc
	items []string
	locs  []loc
	// resolve state
	state    int // 0 new, 1 expanding, 2 done
	expanded []string
	used     bool
	failed   bool
}

// macroDef is a macro being loaded.
type macroDef struct {
	name   string
	idx    int // index of the first definition (visibility)
	ctxIdx int // index of the latest item that set its condition
	at     loc
	cond   []*text
	// resolve state
	state    int // 0 new, 1 expanding, 2 done
	failed   bool
	parsed   condition.Node
	expanded condition.Node
	substed  *text
}

// excDef is one exception of a rule being loaded.
type excDef struct {
	name       string
	at         loc
	fields     []*text
	fieldsList bool
	comps      []string
	compLocs   []loc
	values     []rawVal // one entry per tuple (or value, for a single field)
}

// ruleDef is a rule being loaded.
type ruleDef struct {
	r          *Rule
	idx        int
	ctxIdx     int
	at         loc
	cond       []*text
	condAt     loc
	output     []*text
	exceptions []*excDef
}

var ruleKeys = map[string]bool{
	"rule": true, "desc": true, "condition": true, "output": true, "priority": true,
	"tags": true, "enabled": true, "exceptions": true, "source": true, "append": true,
	"override": true, "warn_evttypes": true, "skip-if-unknown-filter": true,
	"capture": true, "capture_duration": true,
}

// overrideModes lists, per item kind, the keys an override may name and
// whether they may be appended to (else replace only).
var overrideModes = map[string]map[string]bool{
	"rule": {
		"condition": true, "output": true, "desc": true, "tags": true, "exceptions": true,
		"priority": false, "enabled": false, "source": false, "warn_evttypes": false,
		"skip-if-unknown-filter": false, "capture": false, "capture_duration": false,
	},
	"macro": {"condition": true},
	"list":  {"items": true},
}

// readOverride parses an item's override mapping; nil when absent.
func (l *loader) readOverride(it *item) map[string]string {
	e, ok := it.byKey["override"]
	if !ok {
		return nil
	}
	if it.has("append") {
		l.errAt(e.at, it.kind, it.name, "append and override cannot be used together: use only override")
		it.failed = true
		return nil
	}
	mvs, ok := mappingValues(e.val)
	if !ok {
		l.errAt(e.at, it.kind, it.name, "override must be a mapping of key: append|replace, found %s", describeNode(e.val))
		it.failed = true
		return nil
	}
	modes := overrideModes[it.kind]
	out := map[string]string{}
	for _, mv := range mvs {
		k, _ := scalarString(l.deref(it.f, mv.Key), false)
		at := l.nodeLoc(it.f, mv.Key)
		v, _ := scalarString(l.deref(it.f, mv.Value), false)
		appendable, known := modes[k]
		switch {
		case !known:
			l.errAt(at, it.kind, it.name, "cannot override key %q of a %s (allowed: %s)", k, it.kind, keysOf(modes))
			it.failed = true
		case v != "append" && v != "replace":
			l.errAt(at, it.kind, it.name, "override of %q must be append or replace, found %q", k, v)
			it.failed = true
		case v == "append" && !appendable:
			l.errAt(at, it.kind, it.name, "%q can only be replaced, not appended to", k)
			it.failed = true
		case !it.has(k):
			l.errAt(at, it.kind, it.name, "override names %q but the item does not set it", k)
			it.failed = true
		default:
			out[k] = v
		}
	}
	if it.failed {
		return nil
	}
	for _, k := range it.keys {
		if k.key == it.kind || k.key == "override" || !isKnownKey(it.kind, k.key) {
			continue
		}
		if _, ok := out[k.key]; !ok {
			l.errAt(k.at, it.kind, it.name, "key %q has no override entry: add %s: replace (or append) under override", k.key, k.key)
			it.failed = true
		}
	}
	return out
}

func isKnownKey(kind, key string) bool {
	switch kind {
	case "rule":
		return ruleKeys[key]
	case "macro":
		return key == "condition" || key == "append"
	case "list":
		return key == "items" || key == "append"
	}
	return false
}

func keysOf(m map[string]bool) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// readAppend reads the deprecated append flag.
func (l *loader) readAppend(it *item) bool {
	if !it.has("append") {
		return false
	}
	b, _ := l.boolean(it, "append")
	return b
}

func (l *loader) warnUnknownKeys(it *item) {
	for _, k := range it.keys {
		if k.key != it.kind && k.key != "override" && !isKnownKey(it.kind, k.key) {
			l.warnAt(k.at, it.kind, it.name, "unknown key %q ignored", k.key)
		}
	}
}

func (l *loader) readList(it *item) {
	l.warnUnknownKeys(it)
	ov := l.readOverride(it)
	app := l.readAppend(it)
	if it.failed {
		return
	}
	var items []string
	var locs []loc
	if it.has("items") {
		items, locs, _ = l.strList(it, "items")
	} else if ov == nil && !app {
		l.errAt(it.at, "list", it.name, "missing required key \"items\"")
		return
	}
	if it.failed {
		return
	}
	prev := l.lists[it.name]
	if ov != nil || app {
		if prev == nil {
			l.errAt(it.at, "list", it.name, "cannot append to or override an undefined list: define it first (or check the name)")
			return
		}
		if app || ov["items"] == "append" {
			prev.items = append(prev.items, items...)
			prev.locs = append(prev.locs, locs...)
		} else {
			prev.items, prev.locs = items, locs
		}
		return
	}
	if prev != nil {
		if prev.at.file == it.at.file {
			l.warnAt(it.at, "list", it.name, "redefined in the same file (first at line %d): the earlier definition is replaced", prev.at.line)
		}
		prev.items, prev.locs, prev.at = items, locs, it.at
		return
	}
	d := &listDef{name: it.name, idx: l.order, at: it.at, items: items, locs: locs}
	l.lists[it.name] = d
	l.listOrder = append(l.listOrder, d)
}

func (l *loader) readMacro(it *item) {
	l.warnUnknownKeys(it)
	ov := l.readOverride(it)
	app := l.readAppend(it)
	if it.failed {
		return
	}
	var cond *text
	if it.has("condition") {
		if _, ok := l.str(it, "condition"); !ok {
			return
		}
		cond = l.textOf(it.f, it.byKey["condition"].val)
		if strings.TrimSpace(cond.s) == "" && ov == nil && !app {
			l.errAt(it.byKey["condition"].at, "macro", it.name, "empty condition")
			return
		}
	} else {
		l.errAt(it.at, "macro", it.name, "missing required key \"condition\"")
		return
	}
	prev := l.macros[it.name]
	if ov != nil || app {
		if prev == nil {
			l.errAt(it.at, "macro", it.name, "cannot append to or override an undefined macro: define it first (or check the name)")
			return
		}
		if app || ov["condition"] == "append" {
			prev.cond = append(prev.cond, cond)
		} else {
			prev.cond = []*text{cond}
		}
		prev.ctxIdx = l.order
		return
	}
	if prev != nil {
		if prev.at.file == it.at.file {
			l.warnAt(it.at, "macro", it.name, "redefined in the same file (first at line %d): the earlier definition is replaced", prev.at.line)
		}
		prev.cond, prev.at, prev.ctxIdx = []*text{cond}, it.at, l.order
		return
	}
	d := &macroDef{name: it.name, idx: l.order, ctxIdx: l.order, at: it.at, cond: []*text{cond}}
	l.macros[it.name] = d
	l.macroOrder = append(l.macroOrder, d)
}

func (l *loader) readEngineVersion(it *item) {
	e := it.byKey["required_engine_version"]
	s, ok := scalarString(e.val, true)
	if !ok {
		l.errAt(e.at, "", "", "required_engine_version must be a version string or number, found %s", describeNode(e.val))
		return
	}
	if versionLess(l.engineVersion, s) {
		l.engineVersion = s
	}
}

// versionLess compares dotted versions numerically ("0.9" < "0.10").
func versionLess(a, b string) bool {
	if a == "" {
		return b != ""
	}
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			fmt.Sscan(pa[i], &x)
		}
		if i < len(pb) {
			fmt.Sscan(pb[i], &y)
		}
		if x != y {
			return x < y
		}
	}
	return false
}

func (l *loader) readPluginVersions(it *item) {
	e := it.byKey["required_plugin_versions"]
	seq, ok := e.val.(*ast.SequenceNode)
	if !ok {
		l.errAt(e.at, "", "", "required_plugin_versions must be a list of {name, version}, found %s", describeNode(e.val))
		return
	}
	for _, n := range seq.Values {
		if pv, ok := l.pluginVersion(it.f, l.deref(it.f, n)); ok {
			l.pluginVersions = append(l.pluginVersions, pv)
		}
	}
}

func (l *loader) pluginVersion(f *srcFile, n ast.Node) (PluginVersion, bool) {
	mvs, ok := mappingValues(n)
	if !ok {
		l.errAt(l.nodeLoc(f, n), "", "", "required_plugin_versions entries must be mappings with name and version, found %s", describeNode(n))
		return PluginVersion{}, false
	}
	var pv PluginVersion
	for _, mv := range mvs {
		k, _ := scalarString(l.deref(f, mv.Key), false)
		v := l.deref(f, mv.Value)
		switch k {
		case "name":
			pv.Name, _ = scalarString(v, true)
		case "version":
			pv.Version, _ = scalarString(v, true)
		case "alternatives":
			if seq, ok := v.(*ast.SequenceNode); ok {
				for _, a := range seq.Values {
					if alt, ok := l.pluginVersion(f, l.deref(f, a)); ok {
						pv.Alternatives = append(pv.Alternatives, alt)
					}
				}
			}
		}
	}
	if pv.Name == "" {
		l.errAt(l.nodeLoc(f, n), "", "", "required_plugin_versions entry without a name")
		return pv, false
	}
	return pv, true
}
