package condition

import (
	"errors"
	"strings"
	"testing"
)

func TestParseFormat(t *testing.T) {
	tests := []struct{ src, want string }{
		{"proc.name = bash", "proc.name = bash"},
		{"proc.name=bash", "proc.name = bash"},
		{"proc.name == bash", "proc.name == bash"},
		{"proc.name != bash", "proc.name != bash"},
		{"fd.sport < 1024", "fd.sport < 1024"},
		{"fd.sport <= 1024", "fd.sport <= 1024"},
		{"fd.sport > 0x10", "fd.sport > 0x10"},
		{"fd.sport >= -1", "fd.sport >= -1"},
		{"evt.num>=1.5e+3", "evt.num >= 1.5e+3"},
		{"proc.cmdline contains foo", "proc.cmdline contains foo"},
		{"proc.cmdline icontains FOO", "proc.cmdline icontains FOO"},
		{"evt.buffer bcontains 6c73", "evt.buffer bcontains 6c73"},
		{"fd.name startswith /etc", "fd.name startswith /etc"},
		{"fd.name bstartswith 2f65", "fd.name bstartswith 2f65"},
		{"fd.name endswith .conf", "fd.name endswith .conf"},
		{"fd.name glob /etc/*", "fd.name glob /etc/*"},
		{"fd.name iglob /ETC/*", "fd.name iglob /ETC/*"},
		{`proc.cmdline regex "^a.*b$"`, `proc.cmdline regex "^a.*b$"`},
		{"fd.name pmatch (/etc, /usr/bin)", "fd.name pmatch (/etc, /usr/bin)"},
		{"proc.name in (sh, bash)", "proc.name in (sh, bash)"},
		{"proc.name in(sh,bash)", "proc.name in (sh, bash)"},
		{"proc.name in ( sh , 'ba sh' , \"z\" )", `proc.name in (sh, "ba sh", "z")`},
		{"proc.name in ()", "proc.name in ()"},
		{"proc.name in shell_binaries", "proc.name in shell_binaries"},
		{"proc.args intersects (a, b)", "proc.args intersects (a, b)"},
		{"proc.name exists", "proc.name exists"},
		{"proc.aname[2] = bash", "proc.aname[2] = bash"},
		{"container.mount.dest[/etc] exists", "container.mount.dest[/etc] exists"},
		{"proc.env[HOME] = /root", "proc.env[HOME] = /root"},
		{"evt.arg[0] = x", "evt.arg[0] = x"},
		{`proc.env["A B"] = x`, `proc.env["A B"] = x`},
		{`proc.env['x'] = x`, `proc.env[x] = x`},
		{`container.mount.dest[/etc/!@#$%^&*(){}|] exists`, `container.mount.dest[/etc/!@#$%^&*(){}|] exists`},
		{`proc.env["a]b"] = x`, `proc.env["a]b"] = x`},
		{"tolower(proc.name) = bash", "tolower(proc.name) = bash"},
		{"toupper( b64(proc.name) ) = X", "toupper(b64(proc.name)) = X"},
		{"basename(proc.exe) = sh", "basename(proc.exe) = sh"},
		{"len(proc.args) > 3", "len(proc.args) > 3"},
		{"proc.name = val(proc.pname)", "proc.name = val(proc.pname)"},
		{"proc.name = val( proc.aname[1] )", "proc.name = val(proc.aname[1])"},
		{"proc.name = tolower(proc.pname)", "proc.name = tolower(proc.pname)"},
		{"spawned_process", "spawned_process"},
		{"a and b or c", "(a and b) or c"},
		{"a or b and c", "a or (b and c)"},
		{"(a or b) and c", "(a or b) and c"},
		{"a and (b and c)", "a and (b and c)"},
		{"not a", "not a"},
		{"not a and b", "not a and b"},
		{"not (a and b)", "not (a and b)"},
		{"not(a)", "not a"},
		{"not(a or b)", "not (a or b)"},
		{"not not a", "not not a"},
		{"((a))", "a"},
		{"a and(b or c)", "a and (b or c)"},
		{"a\n  and\tb", "a and b"},
		{`proc.name = "a\"b"`, `proc.name = "a\"b"`},
		{`proc.name = 'a"b'`, `proc.name = "a\"b"`},
		{`proc.name = "tab\there"`, `proc.name = "tab\there"`},
		{`proc.name = ""`, `proc.name = ""`},
		{`fd.name = "a\/b"`, `fd.name = "a/b"`},
		{`proc.name = a\b`, `proc.name = a\b`},
		{"origin and orange", "origin and orange"},
		{"notice", "notice"},
		{"evt.type = open and fd.name = /etc/shadow", "evt.type = open and fd.name = /etc/shadow"},
	}
	for _, tt := range tests {
		n, err := Parse(tt.src, 0)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		got := Format(n)
		if got != tt.want {
			t.Errorf("Format(Parse(%q)) = %q, want %q", tt.src, got, tt.want)
		}
		n2, err := Parse(got, 0)
		if err != nil || !Equal(n, n2) {
			t.Errorf("reparse of %q: %v, equal=%v", got, err, err == nil && Equal(n, n2))
		}
	}
}

func TestParseTree(t *testing.T) {
	n, err := Parse("not proc.aname[2] in (a, 'b c') and toupper(b64(fd.name)) exists or m1", 100)
	if err != nil {
		t.Fatal(err)
	}
	or, ok := n.(*Or)
	if !ok || len(or.Terms) != 2 || or.At != 100 {
		t.Fatalf("top: %#v", n)
	}
	and := or.Terms[0].(*And)
	not := and.Terms[0].(*Not)
	c := not.X.(*Compare)
	if c.Field.Name != "proc.aname" || c.Field.Arg != "2" || !c.Field.HasArg || c.Op != "in" || !c.List ||
		len(c.Values) != 2 || c.Values[1].Text != "b c" || !c.Values[1].Quoted || c.At != 104 {
		t.Errorf("compare: %#v", c)
	}
	if c.Values[1].At != 100+int64Pos(strings.Index("not proc.aname[2] in (a, 'b c')", "'b c'")) {
		t.Errorf("value pos %d", c.Values[1].At)
	}
	c2 := and.Terms[1].(*Compare)
	if c2.Op != "exists" || strings.Join(c2.Field.Transformers, ",") != "b64,toupper" || c2.Field.Name != "fd.name" {
		t.Errorf("transformers: %#v", c2.Field)
	}
	if m := or.Terms[1].(*MacroRef); m.Name != "m1" {
		t.Errorf("macro %#v", m)
	}
	r, err := Parse("proc.name = val(proc.pname)", 0)
	if err != nil {
		t.Fatal(err)
	}
	if rc := r.(*Compare); rc.RightField == nil || rc.RightField.Name != "proc.pname" || len(rc.Values) != 0 {
		t.Errorf("val: %#v", rc)
	}
	e, err := Parse("proc.name in ()", 0)
	if err != nil {
		t.Fatal(err)
	}
	if ec := e.(*Compare); !ec.List || ec.Values == nil || len(ec.Values) != 0 {
		t.Errorf("empty list: %#v", ec)
	}
}

func int64Pos(i int) Pos { return Pos(i) }

func TestParseErrors(t *testing.T) {
	tests := []struct {
		src string
		off Pos
		msg string
	}{
		{"", 0, "empty condition"},
		{"   ", 0, "empty condition"},
		{"(a and b", 0, "unbalanced parenthesis"},
		{"a and b)", 7, "unbalanced parenthesis"},
		{"a and (b or (c)", 6, "unbalanced parenthesis"},
		{")", 0, "unbalanced parenthesis"},
		{"proc.name foo bar", 10, "unknown operator 'foo'"},
		{"proc.name startwith /x", 10, "unknown operator 'startwith' (did you mean 'startswith'?)"},
		{"proc.name ni (a)", 10, "unknown operator 'ni' (did you mean 'in'?)"},
		{"proc.name contains", 10, "expected value after 'contains'"},
		{"proc.name contains   ", 10, "expected value after 'contains'"},
		{"(proc.name =)", 11, "expected value after '='"},
		{"proc.name", 9, "unexpected end of condition"},
		{"a and", 5, "unexpected end of condition"},
		{"a or ", 5, "unexpected end of condition"},
		{"not", 3, "unexpected end of condition"},
		{"a b", 2, "unexpected \"b\""},
		{"proc.name in (a, b", 13, "unbalanced parenthesis"},
		{"proc.name in (a b)", 16, "expected ',' or ')'"},
		{"proc.name in (a,,b)", 16, "expected a list item"},
		{"proc.name in (a,)", 16, "expected a list item"},
		{"proc.name in 'x'", 13, "expected a list after 'in'"},
		{"fd.sport < abc", 11, "expected a number after '<'"},
		{"fd.sport < 12ab", 11, "expected a number after '<'"},
		{`proc.name = "abc`, 12, "unterminated quoted string"},
		{`proc.name = "a\qb"`, 14, "unsupported escape"},
		{`proc.name = "a\'b"`, 14, "invalid escape"},
		{"proc.aname[2 = x", 12, "expected ']' closing the argument"},
		{"proc.aname[2", 10, "unbalanced bracket"},
		{"proc.env[[] = x", 9, "in the argument of field proc.env"},
		{"proc.env[ HOME ] = x", 9, "unexpected"},
		{"proc.aname[] = x", 10, "empty argument"},
		{"foo(proc.name) = x", 0, "unknown transformer 'foo'"},
		{"val(proc.name) = x", 0, "val() is only allowed on the right side"},
		{"tolower(proc.name = x", 18, "expected ')' closing tolower("},
		{"tolower(x) = y", 8, "expected a field inside tolower()"},
		{"proc.name = val(x)", 16, "expected a field inside val()"},
		{"proc.name contains\"x\"", 18, "expected a blank after 'contains'"},
		{"= x", 0, "unexpected \"=\""},
		{"()", 1, "empty parentheses"},
		{"macro[1]", 0, "not a field name"},
		{"a and b c", 8, "expecting 'and', 'or'"},
		{strings.Repeat("(", 200) + "a" + strings.Repeat(")", 200), 0, "nested too deeply"},
		{strings.Repeat("not ", 200) + "a", 0, "nested too deeply"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.src, 1000)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) = %v, want *Error", tt.src, err)
			continue
		}
		if !strings.Contains(pe.Msg, tt.msg) {
			t.Errorf("Parse(%q) error %q, want it to contain %q", tt.src, pe.Msg, tt.msg)
		}
		if tt.msg != "nested too deeply" && pe.Offset != 1000+tt.off {
			t.Errorf("Parse(%q) error %q at %d, want %d", tt.src, pe.Msg, pe.Offset-1000, tt.off)
		}
	}
}

func FuzzParse(f *testing.F) {
	seeds := []string{
		"proc.name = bash and not (fd.name startswith /etc or proc.aname[2] in (a, 'b c'))",
		"toupper(b64(proc.name)) exists or m1",
		`proc.name = "a\"b\tc" and proc.env[HOME] != val(proc.cwd)`,
		"fd.sport > 0x10 and evt.num <= -1.5e+3",
		"not(a) and(b or c)",
		"proc.name in () and fd.name pmatch (/a, /b) and proc.name in lst",
		"proc.env[\"a]b\"] = x",
		"len(proc.args) > 3",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		n, err := Parse(src, 0)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error is %T, want *Error", err)
			}
			if pe.Offset < 0 || int(pe.Offset) > len(src) {
				t.Fatalf("error offset %d outside [0,%d]", pe.Offset, len(src))
			}
			return
		}
		out := Format(n)
		n2, err := Parse(out, 0)
		if err != nil {
			t.Fatalf("Format(Parse(%q)) = %q does not parse: %v", src, out, err)
		}
		if !Equal(n, n2) {
			t.Fatalf("Format(Parse(%q)) = %q parses to a different tree", src, out)
		}
	})
}
