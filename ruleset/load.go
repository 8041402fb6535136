package ruleset

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/ttpwatch/ttpwatch/ruleset/condition"
)

// Source is one rules file: its name (used in diagnostics) and content.
type Source struct {
	Name string
	Data []byte
}

// Ruleset is the result of loading one or more rules files, in load order.
type Ruleset struct {
	// Rules holds every loaded syscall rule in definition order; a
	// redefinition keeps the place of the first definition. Rules skipped
	// (other sources, skip-if-unknown-filter) are not in it.
	Rules []*Rule
	// Macros and Lists hold the final definitions, in definition order.
	Macros []*Macro
	Lists  []*List
	// Warnings are problems that did not stop the load.
	Warnings []Diagnostic
	// RequiredEngineVersion is the highest required_engine_version seen
	// ("" if none); accepted, not enforced.
	RequiredEngineVersion string
	// RequiredPluginVersions lists the required_plugin_versions entries;
	// accepted, not enforced (this engine has no plugins).
	RequiredPluginVersions []PluginVersion
}

// Rule returns the rule with the given name, or nil.
func (rs *Ruleset) Rule(name string) *Rule {
	for _, r := range rs.Rules {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Macro is a loaded macro.
type Macro struct {
	Name      string
	Condition string // as written, after appends
	// Expanded is the macro's condition with lists substituted and other
	// macros expanded; nil when it failed to load.
	Expanded condition.Node
	File     string
	Line     int
	Col      int
}

// List is a loaded list.
type List struct {
	Name string
	// Items as written, after appends.
	Items []string
	// Expanded holds the items with references to other lists replaced by
	// their items, as substituted into conditions.
	Expanded []string
	File     string
	Line     int
	Col      int
}

// PluginVersion is one entry of required_plugin_versions.
type PluginVersion struct {
	Name         string
	Version      string
	Alternatives []PluginVersion
}

// DefaultSources returns the embedded default rules files, sorted by name.
func DefaultSources() []Source {
	entries, err := fs.ReadDir(defaultRules, "rules")
	if err != nil {
		// The directory is embedded at build time; failing to read it is a
		// build defect, not a runtime condition.
		panic("ruleset: embedded rules missing: " + err.Error())
	}
	var out []Source
	for _, e := range entries {
		if e.IsDir() || !isRulesFile(e.Name()) {
			continue
		}
		data, err := defaultRules.ReadFile("rules/" + e.Name())
		if err != nil {
			panic("ruleset: embedded rules unreadable: " + err.Error())
		}
		out = append(out, Source{Name: "rules/" + e.Name(), Data: data})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LoadDefaults loads the embedded default rules.
func LoadDefaults() (*Ruleset, error) { return Load(DefaultSources()...) }

func isRulesFile(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// ReadPaths reads rules files and directories (their *.yaml and *.yml files,
// sorted by name, not recursive) into sources, in argument order.
func ReadPaths(paths ...string) ([]Source, error) {
	var out []Source
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("read rules %s: %w", p, err)
		}
		if !st.IsDir() {
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("read rules %s: %w", p, err)
			}
			out = append(out, Source{Name: p, Data: data})
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("read rules directory %s: %w", p, err)
		}
		var names []string
		for _, e := range entries {
			if !e.IsDir() && isRulesFile(e.Name()) {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		if len(names) == 0 {
			return nil, fmt.Errorf("read rules directory %s: no *.yaml or *.yml files in it", p)
		}
		for _, n := range names {
			f := filepath.Join(p, n)
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("read rules %s: %w", f, err)
			}
			out = append(out, Source{Name: f, Data: data})
		}
	}
	return out, nil
}

// LoadPaths reads the given files and directories (see ReadPaths) and loads
// them in order.
func LoadPaths(paths ...string) (*Ruleset, error) {
	srcs, err := ReadPaths(paths...)
	if err != nil {
		return nil, err
	}
	return Load(srcs...)
}

// Load loads rules files in order; later files may redefine, append to and
// override items of earlier ones. On error it returns a *LoadError holding
// every error found, and a Ruleset of what did load (for inspection only:
// do not run it). Warnings are in Ruleset.Warnings either way.
func Load(sources ...Source) (*Ruleset, error) {
	l := newLoader()
	for _, s := range sources {
		l.readSource(s)
	}
	rs := l.resolve()
	if len(l.errs) > 0 {
		return rs, &LoadError{Diagnostics: l.errs}
	}
	return rs, nil
}

// loc is a position in a rules file: an index into loader.files and a
// 1-based line and byte column.
type loc struct {
	file      int32
	line, col int32
}

// text is a string taken from a rules file with the position of each byte,
// so that positions in conditions built from it map back to the file.
type text struct {
	s    string
	locs []loc // len(locs) == len(s)
	end  loc   // position reported for offsets at or past the end
}

func (t *text) locAt(off int) loc {
	if off >= 0 && off < len(t.locs) {
		return t.locs[off]
	}
	return t.end
}

// joinTexts concatenates texts with a blank between them, as Falco joins
// appended conditions and outputs.
func joinTexts(ts []*text) *text {
	if len(ts) == 1 {
		return ts[0]
	}
	out := &text{}
	for i, t := range ts {
		if i > 0 {
			out.s += " "
			out.locs = append(out.locs, t.locAt(0))
		}
		out.s += t.s
		out.locs = append(out.locs, t.locs...)
		out.end = t.end
	}
	return out
}

// srcFile is one rules file being read.
type srcFile struct {
	idx   int32
	name  string
	lines [][]byte
	// anchors maps YAML anchor names to their nodes, to resolve aliases.
	anchors map[string]ast.Node
}

// kv is one key of an item mapping.
type kv struct {
	key string
	at  loc // position of the key
	val ast.Node
}

// item is one element of a rules file's top-level sequence.
type item struct {
	f      *srcFile
	at     loc
	kind   string // rule, macro, list, ...
	name   string
	keys   []kv
	byKey  map[string]*kv
	failed bool // a value had the wrong type; the item is dropped
}

func (it *item) has(k string) bool { _, ok := it.byKey[k]; return ok }

func (l *loader) readSource(s Source) {
	f := &srcFile{idx: int32(len(l.files)), name: s.Name, anchors: map[string]ast.Node{}}
	l.files = append(l.files, s.Name)
	f.lines = splitLines(s.Data)
	file, err := parseYAML(s.Data)
	if err != nil {
		at := loc{file: f.idx}
		msg := err.Error()
		var ye yaml.Error
		if asYAMLError(err, &ye) {
			msg = ye.GetMessage()
			if tk := ye.GetToken(); tk != nil && tk.Position != nil {
				at.line, at.col = int32(tk.Position.Line), int32(tk.Position.Column)
			}
		}
		l.errAt(at, "", "", "invalid YAML: %s", msg)
		return
	}
	for _, doc := range file.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		ast.Walk(anchorCollector(f.anchors), doc.Body)
		body := l.deref(f, doc.Body)
		if _, ok := body.(*ast.NullNode); ok {
			continue
		}
		seq, ok := body.(*ast.SequenceNode)
		if !ok {
			l.errAt(l.nodeLoc(f, body), "", "", "a rules file must be a YAML sequence of rule, macro and list items, found %s", describeNode(body))
			continue
		}
		for _, n := range seq.Values {
			l.readItem(f, l.deref(f, n))
		}
	}
}

// parseYAML parses with duplicate keys allowed (the loader reports them with
// the item's name) and turns a panic of the YAML library into an error:
// rules files are user input and must never crash the program.
func parseYAML(data []byte) (file *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			file, err = nil, fmt.Errorf("YAML parser failed: %v", r)
		}
	}()
	return parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
}

func asYAMLError(err error, out *yaml.Error) bool {
	ye, ok := err.(yaml.Error)
	if ok {
		*out = ye
	}
	return ok
}

func splitLines(b []byte) [][]byte {
	lines := strings.Split(string(b), "\n")
	out := make([][]byte, len(lines))
	for i, s := range lines {
		out[i] = []byte(strings.TrimSuffix(s, "\r"))
	}
	return out
}

type anchorCollector map[string]ast.Node

func (a anchorCollector) Visit(n ast.Node) ast.Visitor {
	if an, ok := n.(*ast.AnchorNode); ok && an.Name != nil {
		a[an.Name.String()] = an.Value
	}
	return a
}

// deref strips anchors and tags and resolves aliases (bounded, so an alias
// cycle cannot loop).
func (l *loader) deref(f *srcFile, n ast.Node) ast.Node {
	for range 16 {
		switch x := n.(type) {
		case *ast.AnchorNode:
			n = x.Value
		case *ast.TagNode:
			n = x.Value
		case *ast.AliasNode:
			if x.Value == nil {
				return n
			}
			t, ok := f.anchors[x.Value.String()]
			if !ok {
				return n
			}
			n = t
		default:
			return n
		}
	}
	return n
}

func (l *loader) nodeLoc(f *srcFile, n ast.Node) loc {
	at := loc{file: f.idx, line: 1, col: 1}
	if n == nil {
		return at
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		at.line, at.col = int32(tk.Position.Line), int32(tk.Position.Column)
		if at.col < 1 {
			at.col = 1
		}
	}
	// A mapping's token is its first ':'; report the first key instead.
	switch m := n.(type) {
	case *ast.MappingNode:
		if len(m.Values) > 0 {
			return l.nodeLoc(f, m.Values[0].Key)
		}
	case *ast.MappingValueNode:
		return l.nodeLoc(f, m.Key)
	}
	return at
}

func describeNode(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a sequence"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode, *ast.FloatNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	case *ast.NullNode, nil:
		return "nothing"
	case *ast.AliasNode:
		return "an unresolved alias"
	}
	return "a " + strings.ToLower(n.Type().String())
}

// itemKinds are the keys that name an item's kind, in the order they are
// looked for.
var itemKinds = []string{"rule", "macro", "list", "required_engine_version", "required_plugin_versions"}

func mappingValues(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}, true
	}
	return nil, false
}

func (l *loader) readItem(f *srcFile, n ast.Node) {
	l.order++
	mvs, ok := mappingValues(n)
	if !ok {
		l.errAt(l.nodeLoc(f, n), "", "", "each item must be a mapping with a rule, macro or list key, found %s", describeNode(n))
		return
	}
	it := &item{f: f, at: l.nodeLoc(f, n), byKey: map[string]*kv{}}
	var dups []kv
	for _, mv := range mvs {
		key := ""
		if k := l.deref(f, mv.Key); k != nil {
			if s, ok := k.(*ast.StringNode); ok {
				key = s.Value
			} else {
				key = k.String()
			}
		}
		e := kv{key: key, at: l.nodeLoc(f, mv.Key), val: l.deref(f, mv.Value)}
		if _, dup := it.byKey[key]; dup {
			dups = append(dups, e)
			continue
		}
		it.keys = append(it.keys, e)
		it.byKey[key] = &it.keys[len(it.keys)-1]
	}
	// Re-point byKey: appends may have moved the backing array.
	for i := range it.keys {
		it.byKey[it.keys[i].key] = &it.keys[i]
	}
	for _, k := range itemKinds {
		if e, ok := it.byKey[k]; ok {
			it.kind = k
			if k != "required_engine_version" && k != "required_plugin_versions" {
				name, ok := scalarString(e.val, true)
				if !ok || strings.TrimSpace(name) == "" {
					l.errAt(e.at, k, name, "the %s name must be a non-empty string, found %s", k, describeNode(e.val))
					return
				}
				it.name = name
			}
			break
		}
	}
	if it.kind == "" {
		var ks []string
		for _, k := range it.keys {
			ks = append(ks, fmt.Sprintf("%q", k.key))
		}
		l.errAt(it.at, "", "", "unknown item with keys %s: each item needs one of the keys rule, macro, list, required_engine_version, required_plugin_versions", strings.Join(ks, ", "))
		return
	}
	for _, d := range dups {
		first := it.byKey[d.key]
		l.errAt(d.at, it.kind, it.name, "duplicate key %q (first at line %d): remove one of them", d.key, first.at.line)
	}
	if len(dups) > 0 {
		return
	}
	switch it.kind {
	case "rule":
		l.readRule(it)
	case "macro":
		l.readMacro(it)
	case "list":
		l.readList(it)
	case "required_engine_version":
		l.readEngineVersion(it)
	case "required_plugin_versions":
		l.readPluginVersions(it)
	}
}

// scalarString returns a scalar's text; numbers are accepted only when
// numbers is set (list items, names), as their written text.
func scalarString(n ast.Node, numbers bool) (string, bool) {
	switch x := n.(type) {
	case *ast.StringNode:
		return x.Value, true
	case *ast.LiteralNode:
		if x.Value == nil {
			return "", true
		}
		return x.Value.Value, true
	case *ast.IntegerNode:
		if numbers {
			return x.Token.Value, true
		}
	case *ast.FloatNode:
		if numbers {
			return x.Token.Value, true
		}
	}
	return "", false
}

// str reads a string-valued key, reporting a type error.
func (l *loader) str(it *item, key string) (string, bool) {
	e := it.byKey[key]
	s, ok := scalarString(e.val, false)
	if !ok {
		l.errAt(e.at, it.kind, it.name, "%s must be a string, found %s", key, describeNode(e.val))
		it.failed = true
	}
	return s, ok
}

// boolean reads a bool-valued key.
func (l *loader) boolean(it *item, key string) (bool, bool) {
	e := it.byKey[key]
	if b, ok := e.val.(*ast.BoolNode); ok {
		return b.Value, true
	}
	l.errAt(e.at, it.kind, it.name, "%s must be true or false, found %s", key, describeNode(e.val))
	it.failed = true
	return false, false
}

// strList reads a sequence of scalars (numbers allowed, as text).
func (l *loader) strList(it *item, key string) ([]string, []loc, bool) {
	e := it.byKey[key]
	if _, null := e.val.(*ast.NullNode); null || e.val == nil {
		return nil, nil, true
	}
	seq, ok := e.val.(*ast.SequenceNode)
	if !ok {
		l.errAt(e.at, it.kind, it.name, "%s must be a list, found %s", key, describeNode(e.val))
		it.failed = true
		return nil, nil, false
	}
	out := make([]string, 0, len(seq.Values))
	locs := make([]loc, 0, len(seq.Values))
	for _, v := range seq.Values {
		v = l.deref(it.f, v)
		s, ok := scalarString(v, true)
		if !ok {
			l.errAt(l.nodeLoc(it.f, v), it.kind, it.name, "%s entries must be strings or numbers, found %s", key, describeNode(v))
			it.failed = true
			return nil, nil, false
		}
		out = append(out, s)
		locs = append(locs, l.nodeLoc(it.f, v))
	}
	return out, locs, true
}

// textOf returns a scalar's value with the file position of each byte. The
// value is the YAML-decoded string (folded, unescaped); positions are found
// by matching each source line's content against it, which is exact for
// plain, folded and literal scalars and degrades to the last matched
// position where escapes make the source differ from the value.
func (l *loader) textOf(f *srcFile, n ast.Node) *text {
	s, _ := scalarString(n, true)
	start := l.nodeLoc(f, n)
	t := &text{s: s, locs: make([]loc, len(s)), end: start}
	line, col := int(start.line), int(start.col)
	quoted := false
	switch x := n.(type) {
	case *ast.LiteralNode:
		// Block scalar: content starts on the line after the header (the
		// value token's own position is its last line).
		line, col = int(start.line)+1, 1
	case *ast.StringNode:
		if x.Token != nil {
			quoted = x.Token.Type == token.DoubleQuoteType || x.Token.Type == token.SingleQuoteType
		}
	}
	last := start
	cur := 0
	for ln := line; ln >= 1 && ln <= len(f.lines) && cur < len(s); ln++ {
		src := f.lines[ln-1]
		i := 0
		if ln == line {
			i = col - 1
			if quoted {
				i++
			}
		}
		if i > len(src) {
			i = len(src)
		}
		for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
			i++
		}
		seg := src[i:]
		j := cur
		for j < len(s) && isFoldSpace(s[j]) && (len(seg) == 0 || s[j] != seg[0]) {
			t.locs[j] = last
			j++
		}
		k := 0
		for k < len(seg) && j+k < len(s) && seg[k] == s[j+k] {
			t.locs[j+k] = loc{file: f.idx, line: int32(ln), col: int32(i + k + 1)}
			k++
		}
		if k == 0 && len(seg) > 0 && ln != line {
			cur = j
			break
		}
		if k > 0 {
			last = t.locs[j+k-1]
		}
		cur = j + k
	}
	for ; cur < len(s); cur++ {
		t.locs[cur] = last
	}
	t.end = last
	return t
}

func isFoldSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// fixedText is a text whose every byte maps to one position (generated
// condition pieces such as exception values).
func fixedText(s string, at loc) *text {
	t := &text{s: s, locs: make([]loc, len(s)), end: at}
	for i := range t.locs {
		t.locs[i] = at
	}
	return t
}
