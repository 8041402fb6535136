package condition

import (
	"fmt"
	"strings"
)

// maxDepth bounds the nesting of parentheses, not and transformers, as
// libsinsp does (100), so a hostile condition cannot exhaust the stack.
const maxDepth = 100

// Operators lists every comparison operator, as Falco spells them.
var Operators = []string{
	"=", "==", "!=", "<", "<=", ">", ">=", "contains", "icontains", "bcontains",
	"startswith", "bstartswith", "endswith", "glob", "iglob", "regex", "pmatch",
	"in", "intersects", "exists",
}

// Transformers lists the field transformers usable on the left side (and on
// the right side of a comparison, besides val).
var Transformers = []string{"tolower", "toupper", "b64", "basename", "len"}

// opKind says what a comparison operator expects on its right side.
type opKind uint8

const (
	opUnary  opKind = iota + 1 // exists
	opNumber                   // < <= > >=: a number
	opString                   // = == != contains …: one string
	opList                     // in intersects pmatch: a list
)

func operatorKind(op string) opKind {
	switch op {
	case "exists":
		return opUnary
	case "<", "<=", ">", ">=":
		return opNumber
	case "in", "intersects", "pmatch":
		return opList
	case "=", "==", "!=", "contains", "icontains", "bcontains", "startswith",
		"bstartswith", "endswith", "glob", "iglob", "regex":
		return opString
	}
	return 0
}

func isTransformer(name string) bool {
	for _, t := range Transformers {
		if t == name {
			return true
		}
	}
	return false
}

// Parse parses one condition. base is added to every byte offset of the
// returned tree and of a returned *Error.
func Parse(src string, base Pos) (Node, error) {
	p := &parser{src: src, base: base}
	return p.parse()
}

type parser struct {
	src   string
	base  Pos
	i     int
	depth int
}

// errAt builds the error for byte offset off; the parser stops at the first
// error, so it panics with it and parse recovers.
func (p *parser) errAt(off int, format string, args ...any) {
	panic(&Error{Offset: p.base + Pos(off), Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) parse() (n Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			n, err = nil, e
		}
	}()
	p.blank()
	if p.i == len(p.src) {
		p.errAt(0, "empty condition")
	}
	n = p.parseOr()
	p.blank()
	if p.i < len(p.src) {
		if p.src[p.i] == ')' {
			p.errAt(p.i, "unbalanced parenthesis: ')' without a matching '('")
		}
		p.errAt(p.i, "unexpected %s, expecting 'and', 'or' or the end of the condition", p.describe())
	}
	return n, nil
}

// describe names what is at the cursor, quoted and escaped, for errors.
func (p *parser) describe() string {
	if p.i >= len(p.src) {
		return "end of condition"
	}
	w := p.src[p.i:]
	if end := strings.IndexAny(w, " \t\r\n\b()"); end > 0 {
		w = w[:end]
	} else if end == 0 {
		w = w[:1]
	}
	if len(w) > 40 {
		w = w[:40] + "…"
	}
	return fmt.Sprintf("%q", w)
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.errAt(p.i, "condition nested too deeply (more than %d levels)", maxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\b' || c == '\r' || c == '\n' || c == '\f' || c == '\v'
}

// blank skips blanks and reports whether there were any.
func (p *parser) blank() bool {
	start := p.i
	for p.i < len(p.src) && isBlank(p.src[p.i]) {
		p.i++
	}
	return p.i > start
}

// keyword reports whether the keyword kw starts at the cursor and is followed
// by a blank, '(' or the end (so "origin" is not "or"); it does not consume.
func (p *parser) keyword(kw string) bool {
	if !strings.HasPrefix(p.src[p.i:], kw) {
		return false
	}
	j := p.i + len(kw)
	return j == len(p.src) || isBlank(p.src[j]) || p.src[j] == '('
}

func (p *parser) parseOr() Node {
	p.enter()
	defer p.leave()
	start := p.i
	terms := []Node{p.parseAnd()}
	for {
		p.blank()
		if !p.keyword("or") {
			break
		}
		p.i += 2
		p.blank()
		terms = append(terms, p.parseAnd())
	}
	if len(terms) == 1 {
		return terms[0]
	}
	return &Or{At: p.base + Pos(start), Terms: terms}
}

func (p *parser) parseAnd() Node {
	p.enter()
	defer p.leave()
	p.blank()
	start := p.i
	terms := []Node{p.parseNot()}
	for {
		p.blank()
		if !p.keyword("and") {
			break
		}
		p.i += 3
		p.blank()
		terms = append(terms, p.parseNot())
	}
	if len(terms) == 1 {
		return terms[0]
	}
	return &And{At: p.base + Pos(start), Terms: terms}
}

func (p *parser) parseNot() Node {
	p.enter()
	defer p.leave()
	p.blank()
	start := p.i
	if p.keyword("not") {
		p.i += 3
		p.blank()
		return &Not{At: p.base + Pos(start), X: p.parseNot()}
	}
	return p.parseCheck()
}

func (p *parser) parseCheck() Node {
	p.enter()
	defer p.leave()
	p.blank()
	start := p.i
	if p.i >= len(p.src) {
		p.errAt(p.i, "unexpected end of condition, expecting a field check, a macro or '('")
	}
	c := p.src[p.i]
	if c == '(' {
		p.i++
		p.blank()
		if p.i < len(p.src) && p.src[p.i] == ')' {
			p.errAt(p.i, "empty parentheses: expecting a condition between '(' and ')'")
		}
		n := p.parseOr()
		p.blank()
		if p.i >= len(p.src) || p.src[p.i] != ')' {
			if p.i >= len(p.src) {
				p.errAt(start, "unbalanced parenthesis: '(' is never closed")
			}
			p.errAt(p.i, "unexpected %s, expecting 'and', 'or' or ')'", p.describe())
		}
		p.i++
		return n
	}
	if c == ')' {
		p.errAt(p.i, "unbalanced parenthesis: ')' without a matching '('")
	}
	name, dotted := p.ident()
	if name == "" {
		p.errAt(p.i, "unexpected %s, expecting a field check, a macro or '('", p.describe())
	}
	if dotted {
		f := p.fieldRest(name, start)
		return p.parseComparison(f, start)
	}
	if p.i < len(p.src) && p.src[p.i] == '(' && isTransformer(name) {
		p.i++
		f := p.transformerRest(name, start)
		return p.parseComparison(f, start)
	}
	if p.i < len(p.src) && p.src[p.i] == '(' {
		if name == "val" {
			p.errAt(start, "val() is only allowed on the right side of a comparison")
		}
		p.errAt(start, "unknown transformer '%s': expecting one of %s", name, strings.Join(Transformers, ", "))
	}
	if p.i < len(p.src) && p.src[p.i] == '[' {
		p.errAt(start, "'%s' is not a field name (field names contain a dot, e.g. proc.aname[2])", name)
	}
	return &MacroRef{At: p.base + Pos(start), Name: name}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isIdentByte(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '_'
}

// ident lexes an identifier ([A-Za-z][A-Za-z0-9_]*) or a field name (such
// identifiers joined by dots) at the cursor. It returns "" without moving
// when there is none.
func (p *parser) ident() (string, bool) {
	start := p.i
	j := p.i
	dotted := false
	for {
		if j >= len(p.src) || !isLetter(p.src[j]) {
			break
		}
		for j < len(p.src) && isIdentByte(p.src[j]) {
			j++
		}
		if j+1 < len(p.src) && p.src[j] == '.' && isLetter(p.src[j+1]) {
			dotted = true
			j++
			continue
		}
		break
	}
	if j == start {
		return "", false
	}
	p.i = j
	return p.src[start:j], dotted
}

// fieldRest reads an optional [argument] after a field name.
func (p *parser) fieldRest(name string, start int) FieldRef {
	f := FieldRef{At: p.base + Pos(start), Name: name}
	if p.i < len(p.src) && p.src[p.i] == '[' {
		open := p.i
		p.i++
		if p.i < len(p.src) && (p.src[p.i] == '"' || p.src[p.i] == '\'') {
			f.Arg = p.quoted()
		} else {
			// libsinsp's bare argument: no blanks, quotes or brackets
			// (quote an argument that needs them).
			j := p.i
			for j < len(p.src) && isArgByte(p.src[j]) {
				j++
			}
			if j == len(p.src) {
				p.errAt(open, "unbalanced bracket: '[' of field %s is never closed", name)
			}
			if j == p.i {
				if p.src[j] == ']' {
					p.errAt(open, "empty argument for field %s: write %s[ARG]", name, name)
				}
				p.errAt(j, "unexpected %s in the argument of field %s (quote an argument with blanks, quotes or brackets)", p.describe(), name)
			}
			f.Arg = p.src[p.i:j]
			p.i = j
		}
		if p.i >= len(p.src) || p.src[p.i] != ']' {
			p.errAt(p.i, "expected ']' closing the argument of field %s", name)
		}
		p.i++
		f.HasArg = true
	}
	return f
}

// transformerRest reads `field)` or `transformer(…))` after `name(`.
func (p *parser) transformerRest(name string, start int) FieldRef {
	p.enter()
	defer p.leave()
	p.blank()
	innerStart := p.i
	inner, dotted := p.ident()
	var f FieldRef
	switch {
	case inner == "":
		p.errAt(p.i, "expected a field inside %s(), found %s", name, p.describe())
	case dotted:
		f = p.fieldRest(inner, innerStart)
	case p.i < len(p.src) && p.src[p.i] == '(' && isTransformer(inner):
		p.i++
		f = p.transformerRest(inner, innerStart)
	default:
		p.errAt(innerStart, "expected a field inside %s(), found '%s'", name, inner)
	}
	p.blank()
	if p.i >= len(p.src) || p.src[p.i] != ')' {
		p.errAt(p.i, "expected ')' closing %s(", name)
	}
	p.i++
	f.At = p.base + Pos(start)
	f.Transformers = append(f.Transformers, name)
	return f
}

// operator lexes the comparison operator at the cursor.
func (p *parser) operator(field string) string {
	if p.i >= len(p.src) {
		p.errAt(p.i, "unexpected end of condition: expected an operator after %s", field)
	}
	for _, sym := range []string{"==", "!=", "<=", ">=", "=", "<", ">"} {
		if strings.HasPrefix(p.src[p.i:], sym) {
			p.i += len(sym)
			return sym
		}
	}
	start := p.i
	j := p.i
	for j < len(p.src) && isIdentByte(p.src[j]) {
		j++
	}
	word := p.src[p.i:j]
	if word == "" || operatorKind(word) == 0 {
		if word == "" {
			p.errAt(start, "expected an operator after %s, found %s", field, p.describe())
		}
		if best := closestOperator(word); best != "" {
			p.errAt(start, "unknown operator '%s' (did you mean '%s'?)", word, best)
		}
		p.errAt(start, "unknown operator '%s' (operators: %s)", word, strings.Join(Operators, " "))
	}
	p.i = j
	return word
}

// closestOperator returns the word operator within two edits of w, or "".
func closestOperator(w string) string {
	var words []string
	for _, op := range Operators {
		if isLetter(op[0]) {
			words = append(words, op)
		}
	}
	return Suggest(w, words)
}

// Suggest returns the candidate closest to w within two edits (for "did you
// mean" hints), or "" when none is that close.
func Suggest(w string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(w, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func (p *parser) parseComparison(f FieldRef, start int) Node {
	p.blank()
	opAt := p.i
	op := p.operator(f.Name)
	cmp := &Compare{At: p.base + Pos(start), Field: f, Op: op}
	kind := operatorKind(op)
	if kind == opUnary {
		return cmp
	}
	hadBlank := p.blank()
	if p.i >= len(p.src) || p.src[p.i] == ')' {
		p.errAt(opAt, "expected value after '%s'", op)
	}
	if !hadBlank && isLetter(op[0]) && !(kind == opList && p.src[p.i] == '(') {
		// libsinsp needs a blank after a word operator: `contains"x"`.
		p.errAt(p.i, "expected a blank after '%s'", op)
	}
	if rf := p.rightField(); rf != nil {
		cmp.RightField = rf
		return cmp
	}
	switch kind {
	case opNumber:
		cmp.Values = []Value{p.number(op)}
	case opString:
		cmp.Values = []Value{p.value(op)}
	case opList:
		if p.src[p.i] == '(' {
			cmp.List = true
			cmp.Values = p.list(op)
			// A non-nil empty slice tells "in ()" from a missing list.
			if cmp.Values == nil {
				cmp.Values = []Value{}
			}
		} else {
			at := p.i
			name, dotted := p.ident()
			if name == "" || dotted {
				p.errAt(at, "expected a list after '%s', e.g. (a, b)", op)
			}
			// An undefined list name: kept as one value; the compiler
			// reports it, since only it knows no list was substituted.
			cmp.Values = []Value{{At: p.base + Pos(at), Text: name}}
		}
	}
	return cmp
}

// rightField parses val(field) or transformer(field) on the right side; nil
// when the cursor is at neither.
func (p *parser) rightField() *FieldRef {
	save := p.i
	start := p.i
	name, dotted := p.ident()
	if name == "" || dotted || p.i >= len(p.src) || p.src[p.i] != '(' {
		p.i = save
		return nil
	}
	if name == "val" {
		p.i++
		p.blank()
		at := p.i
		inner, dotted := p.ident()
		if inner == "" || !dotted {
			p.errAt(at, "expected a field inside val(), found %s", p.describe())
		}
		f := p.fieldRest(inner, at)
		p.blank()
		if p.i >= len(p.src) || p.src[p.i] != ')' {
			p.errAt(p.i, "expected ')' closing val(")
		}
		p.i++
		f.At = p.base + Pos(start)
		return &f
	}
	if isTransformer(name) {
		p.i++
		f := p.transformerRest(name, start)
		return &f
	}
	p.i = save
	return nil
}

func (p *parser) number(op string) Value {
	start := p.i
	j := p.i
	s := p.src
	if strings.HasPrefix(s[j:], "0x") || strings.HasPrefix(s[j:], "0X") {
		j += 2
		k := j
		for j < len(s) && (isLetter(s[j]) || isDigit(s[j])) {
			j++
		}
		if j == k {
			p.errAt(start, "expected a number after '%s', found %s", op, p.describe())
		}
	} else {
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j == k {
			p.errAt(start, "expected a number after '%s', found %s", op, p.describe())
		}
		if j < len(s) && s[j] == '.' {
			j++
			for j < len(s) && isDigit(s[j]) {
				j++
			}
		}
		if j+1 < len(s) && (s[j] == 'e' || s[j] == 'E') && (s[j+1] == '+' || s[j+1] == '-') {
			k := j + 2
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			if k > j+2 {
				j = k
			}
		}
	}
	if j < len(s) && isBareByte(s[j]) {
		p.errAt(start, "expected a number after '%s', found %s", op, p.describe())
	}
	p.i = j
	return Value{At: p.base + Pos(start), Text: s[start:j]}
}

// isArgByte reports whether c may appear in an unquoted field argument.
func isArgByte(c byte) bool {
	switch c {
	case '[', ']', '"', '\'':
		return false
	}
	return !isBlank(c)
}

// isBareByte reports whether c may appear in an unquoted value; libsinsp's
// bare strings stop at blanks, parentheses, quotes, '=' and ','.
func isBareByte(c byte) bool {
	switch c {
	case '(', ')', '"', '\'', '=', ',':
		return false
	}
	return !isBlank(c)
}

// value lexes one quoted or bare string.
func (p *parser) value(op string) Value {
	start := p.i
	if p.i >= len(p.src) {
		p.errAt(p.i, "expected value after '%s'", op)
	}
	c := p.src[p.i]
	if c == '"' || c == '\'' {
		text := p.quoted()
		return Value{At: p.base + Pos(start), Text: text, Quoted: true}
	}
	j := p.i
	for j < len(p.src) && isBareByte(p.src[j]) {
		j++
	}
	if j == p.i {
		p.errAt(start, "expected value after '%s', found %s", op, p.describe())
	}
	p.i = j
	return Value{At: p.base + Pos(start), Text: p.src[start:j]}
}

// list lexes `( item, item, … )` with the cursor on '('.
func (p *parser) list(op string) []Value {
	open := p.i
	p.i++
	p.blank()
	var out []Value
	if p.i < len(p.src) && p.src[p.i] == ')' {
		p.i++
		return out
	}
	for {
		p.blank()
		if p.i >= len(p.src) {
			p.errAt(open, "unbalanced parenthesis: list after '%s' is never closed", op)
		}
		if p.src[p.i] == ',' || p.src[p.i] == ')' {
			p.errAt(p.i, "expected a list item, found %s", p.describe())
		}
		out = append(out, p.value(op))
		p.blank()
		if p.i >= len(p.src) {
			p.errAt(open, "unbalanced parenthesis: list after '%s' is never closed", op)
		}
		switch p.src[p.i] {
		case ',':
			p.i++
		case ')':
			p.i++
			return out
		default:
			p.errAt(p.i, "expected ',' or ')' in the list after '%s', found %s", op, p.describe())
		}
	}
}

// quoted lexes a '…' or "…" string with libsinsp's escapes: \b \f \n \r \t
// \\ \/ and the enclosing quote; "\ " yields a backslash as libsinsp does.
func (p *parser) quoted() string {
	start := p.i
	q := p.src[p.i]
	p.i++
	var b strings.Builder
	for p.i < len(p.src) {
		c := p.src[p.i]
		switch {
		case c == q:
			p.i++
			return b.String()
		case c == '\\':
			if p.i+1 >= len(p.src) {
				p.errAt(start, "unterminated quoted string")
			}
			e := p.src[p.i+1]
			switch e {
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case ' ', '\\':
				b.WriteByte('\\')
			case '/':
				b.WriteByte('/')
			case '"', '\'':
				if e != q {
					p.errAt(p.i, "invalid escape \\%c in a %c-quoted string", e, q)
				}
				b.WriteByte(e)
			default:
				p.errAt(p.i, "unsupported escape sequence \\%s", strings.Trim(fmt.Sprintf("%q", string(e)), `"`))
			}
			p.i += 2
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	p.errAt(start, "unterminated quoted string: missing closing %c", q)
	return ""
}
