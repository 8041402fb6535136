// Package condition parses Falco rule conditions (libsinsp's filter grammar)
// into a syntax tree. It knows nothing of fields' meaning or of macros'
// bodies: a bare identifier parses as a MacroRef, and the ruleset package
// resolves it, checks fields against the event registry and compiles the tree.
package condition

// Pos is a position in a set of condition texts, like go/token.Pos: the
// caller parses each text with a distinct base (Parse(src, base)) and a Pos
// is base + byte offset. The ruleset keeps the bases to map a Pos back to
// file:line:col, so errors inside a macro point into the macro.
type Pos int

// Node is a node of the condition syntax tree.
type Node interface {
	// Pos is the offset of the node's first byte in the source.
	Pos() Pos
	node()
}

// And is a conjunction of two or more terms.
type And struct {
	At    Pos
	Terms []Node
}

// Or is a disjunction of two or more terms.
type Or struct {
	At    Pos
	Terms []Node
}

// Not negates its operand.
type Not struct {
	At Pos
	X  Node
}

// MacroRef is a bare identifier: a macro reference, resolved by the ruleset.
type MacroRef struct {
	At   Pos
	Name string
}

// BoolLit is a constant the ruleset produces (an exception with no values
// folds to false); the parser never emits it.
type BoolLit struct {
	At    Pos
	Value bool
}

// FieldRef names a field with an optional bracketed argument and an optional
// transformer chain, e.g. proc.aname[2], tolower(proc.name),
// container.mount.dest[/etc].
type FieldRef struct {
	At   Pos
	Name string // e.g. "proc.aname"
	// Arg is the text between the brackets, "" when HasArg is false.
	Arg    string
	HasArg bool
	// Transformers applied innermost first: toupper(b64(x)) is [b64 toupper].
	Transformers []string
}

// Value is one literal on the right side of a comparison.
type Value struct {
	At Pos
	// Text is the literal text, unquoted and unescaped.
	Text string
	// Quoted is set when the literal was written in quotes.
	Quoted bool
}

// Compare is `field op value`, `field op (v1, v2, …)`, `field op val(other)`
// or `field exists`.
type Compare struct {
	At    Pos
	Field FieldRef
	// Op is the operator exactly as Falco spells it: "=", "==", "!=", "<",
	// "<=", ">", ">=", "contains", "icontains", "bcontains", "startswith",
	// "bstartswith", "endswith", "glob", "iglob", "regex", "pmatch", "in",
	// "intersects", "exists".
	Op string
	// Values holds the right side: one value for scalar operators, the list
	// items for in/intersects/pmatch, none for exists or when RightField is set.
	Values []Value
	// List is set when the right side was a parenthesised list.
	List bool
	// RightField is set for `op val(field)` (and `op field` comparisons
	// written with val()).
	RightField *FieldRef
}

func (n *And) Pos() Pos      { return n.At }
func (n *Or) Pos() Pos       { return n.At }
func (n *Not) Pos() Pos      { return n.At }
func (n *MacroRef) Pos() Pos { return n.At }
func (n *BoolLit) Pos() Pos  { return n.At }
func (n *Compare) Pos() Pos  { return n.At }

func (*And) node()      {}
func (*Or) node()       {}
func (*Not) node()      {}
func (*MacroRef) node() {}
func (*BoolLit) node()  {}
func (*Compare) node()  {}

// Error is a parse error at a byte offset of the condition.
type Error struct {
	Offset Pos
	Msg    string
}

func (e *Error) Error() string { return e.Msg }
