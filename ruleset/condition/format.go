package condition

import "strings"

// Format prints n as a canonical condition: single spaces, lists as
// (a, b), nested and/or parenthesised, values quoted only when they were
// quoted or must be. Parsing the result gives back an equal tree (positions
// aside). BoolLit, which no text produces, prints as true/false.
func Format(n Node) string {
	var b strings.Builder
	format(&b, n, false)
	return b.String()
}

// format writes n; nested says n is an operand of and/or/not, where an
// and/or needs parentheses to keep its shape.
func format(b *strings.Builder, n Node, nested bool) {
	switch n := n.(type) {
	case *And:
		formatTerms(b, n.Terms, " and ", nested)
	case *Or:
		formatTerms(b, n.Terms, " or ", nested)
	case *Not:
		b.WriteString("not ")
		format(b, n.X, true)
	case *MacroRef:
		b.WriteString(n.Name)
	case *BoolLit:
		if n.Value {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case *Compare:
		formatField(b, &n.Field)
		b.WriteByte(' ')
		b.WriteString(n.Op)
		switch {
		case n.Op == "exists":
		case n.RightField != nil:
			b.WriteByte(' ')
			if len(n.RightField.Transformers) == 0 {
				b.WriteString("val(")
				formatField(b, n.RightField)
				b.WriteByte(')')
			} else {
				formatField(b, n.RightField)
			}
		case n.List:
			b.WriteString(" (")
			for i, v := range n.Values {
				if i > 0 {
					b.WriteString(", ")
				}
				formatValue(b, v)
			}
			b.WriteByte(')')
		default:
			for _, v := range n.Values {
				b.WriteByte(' ')
				formatValue(b, v)
			}
		}
	case nil:
		b.WriteString("<nil>")
	}
}

func formatTerms(b *strings.Builder, terms []Node, sep string, nested bool) {
	if nested {
		b.WriteByte('(')
	}
	for i, t := range terms {
		if i > 0 {
			b.WriteString(sep)
		}
		format(b, t, true)
	}
	if nested {
		b.WriteByte(')')
	}
}

func formatField(b *strings.Builder, f *FieldRef) {
	for i := len(f.Transformers) - 1; i >= 0; i-- {
		b.WriteString(f.Transformers[i])
		b.WriteByte('(')
	}
	b.WriteString(f.Name)
	if f.HasArg {
		b.WriteByte('[')
		if isBareArg(f.Arg) {
			b.WriteString(f.Arg)
		} else {
			quote(b, f.Arg)
		}
		b.WriteByte(']')
	}
	for range f.Transformers {
		b.WriteByte(')')
	}
}

func formatValue(b *strings.Builder, v Value) {
	if v.Quoted || !isBare(v.Text) {
		quote(b, v.Text)
		return
	}
	b.WriteString(v.Text)
}

// isBareArg reports whether a field argument can be written unquoted.
func isBareArg(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isArgByte(s[i]) {
			return false
		}
	}
	return true
}

// isBare reports whether s can be written without quotes.
func isBare(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isBareByte(s[i]) {
			return false
		}
	}
	return true
}

// quote writes s double-quoted with the escapes the parser reads back.
func quote(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}
