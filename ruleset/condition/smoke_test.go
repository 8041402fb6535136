package condition

import "testing"

// TestLibsinspSmoke replays the accept/reject cases of libsinsp's parser
// tests (falcosecurity/libs, userspace/libsinsp/test/filter_parser.ut.cpp),
// the reference grammar. Known deliberate difference: "test.op existsand
// macro", which libsinsp accepts by reading "exists" as a prefix, is
// rejected here as an unknown operator.
func TestLibsinspSmoke(t *testing.T) {
	accept := []string{
		"  a", "(a)", "a and b", "a and b and c", "a and b and(c)", "(a)and(b)and(c)", "(a and b)",
		"a or b", "a or b or c", "a or b or(c)", "(a)or(b)or(c)", "(a or b)", "(a.a exists and b)",
		"(a.a exists) and (b)", "a.a exists and b", "a.a=1 or b.b=2 and c", "not (a)", "not(a)",
		"not (not (a))", "not (a.b=1)", "not (a.a exists)", "not a", "a.b = 1 and not a", "not not a",
		"(not not a)", "not not(a)", "not(not(a))", "not(a)and(not(b))", "not a.b=1", "not a.a exists",
		"a.b = bla", "a.b = 'bla'", "a.b = not", "a.b contains bla", "a.b icontains 'bla'",
		"a.g in (1, 'a', b)", "evt.dir=> and fd.name=*.log", "a.g in (1, 'a', b.c)", "a.b = a.a",
		"a and notb", "a or notb", "notz and a and b", "macro and not_macro", "macro and not not_macro",
		"macro and not(not_macro)", "((macro) and (not_macro))", "macro and and_macro",
		"((macro) and (and_macro))", "macro and or_macro", "((macro) and (or_macro))",
		"evt.arg[0] contains /bin", "evt.arg[a] contains /bin",
		"test.str = testval", `test.str = 0a!@#456:/\.;!$%^&*[]{}|`, `test.str = ""`, "test.str = ''",
		`test.str = "0a!@#456:/.; !$%^&*[]{}|"`, `test.str = "test value"`, "test.str = 'test value'",
		`test.str[0a!@#456:/\.;!$%^&*(){}|] = testval`, "test.str[aaaa1] = a", "test.str[1234] = a",
		"test.str[+0.25e+10] = a", `test.str[""] = empty`, "test.str['a aa'] = a",
		`test.str["test \"with\"escaping"] = a`, `test.str = "escape double quote \" "`,
		`test.str = 'escape single quote \' '`, `test.str = 'multiple escape single quote \' \\'`,
		`test.str = 'mixed "'`, `test.str = "mixed '"`, `test.str = "bad escape \ "`,
		"test.num > 1000", "test.num < +1", "test.num >= -1", "test.num <= 0x12345", "test.num <= 0XaB00AB",
		"test.num > 1.2", "test.num < -1.2", "test.num > -0.1222e+10", "test.str = !0.1222e+10",
		"test.str = 0xAAA.1", "test.str = 0aaaaa", "test.str = a",
		"test.list in ()", "test.list in (a)", "test.list in ('single-quoted')", `test.list in ("double-quoted")`,
		`test.list in (0a!@#456:/\.;!$%^&*[]{}|)`, `test.list in (0a!@#456:/\.;!$%^&*[]{}|, value)`,
		`test.list in (value, "value", 'value')`, "test.list intersects (value)", "test.list pmatch (value)",
		"test.op exists and macro", "test.op exists", "test.op = value", "test.op == value", "test.op != value",
		"test.op glob value", "test.op iglob value", "test.op contains value", "test.op icontains value",
		"test.op bcontains 48545450", "test.op startswith value", "test.op bstartswith 12ab001fc5",
		"test.op endswith value", "test.op > 1", "test.op < 1", "test.op >= 1", "test.op <= 1",
		"test.op in ()", "test.op intersects ()", "test.op pmatch ()", "test.op in()",
		"not not not not not(not not(not not_macro))",
	}
	reject := []string{
		"a andb", "aand b", "a and b and", "a and b or", "a and b not", "and a", "or a", "a or b and",
		"a or b or", "a or b not", "a not b and", "a not b or", "a not b not", "a orb", "aor b",
		"a and or b", "a andor b", "a not b", "a notb", "anot b", "a andnot b", "a andnotb",
		"(a)andnot(b)", "a ornot b", "a ornotb", "(a)ornot(b)", "evt.arg[] contains /bin",
		"a.b = b = 1", "(a.b = 1", "a.a invalidoperator xxx", "macro > 12", "a.g in ( 1 ,, , b)",
		"#a and b; a and b", "#a and b; # ; ; a and b", "evt.dir=> and fd.name=/var/lo);g/httpd.log",
		"test.str = a,", "test.str = a=", `test.str = a('")`, "test.str = '", `test.str = "`,
		`test.str = '"`, `test.str = "'`, "test.str = missing start quote", "test.str = 'missing end quote",
		`test.str = "broken escape double quote""`, "test.str = 'broken escape single quote''",
		`test.str = "mixed \'"`, `test.str = 'mixed \"'`,
		`test.str[0a!@#456:/\.;!$%^&*[]{}] = testval`, "test.str[] = testval", "test.str[[] = testval",
		"test.str[]] = testval", "test.str['''] = a", `test.str[aaa"] = a`, "test.str[   test   ] = testval",
		"test.str[ = testval", "test.str] = testval",
		"test.num > !0.1222e+10", "test.num < 0xAAA.1", "test.num >= 0aaaaa", "test.num <= a",
		"test.list in (", "test.list in )", "test.list in (value,)", "test.list in (value,,)",
		"test.list in (,)", "test.list in (,   ,)", "test.list > (value)", "test.list = (value)",
		"test.list < (value)", "test.list startswith (value)", "test.list bstartswith (value)",
		"test.list contains (value)", "test.list icontains (value)",
		"test.op ExIsTs", "test.op exists something", "test.op ===", "test.op !==", "test.op startswithvalue",
		"test.op bstartswithvalue", "test.op endswithvalue", "test.op containsvalue", "test.op icontainsvalue",
		"test.op bcontainsvalue", "test.op globvalue", "test.op iglobvalue",
	}
	for _, s := range accept {
		if _, err := Parse(s, 0); err != nil {
			t.Errorf("libsinsp accepts %q; Parse: %v", s, err)
		}
	}
	for _, s := range reject {
		if n, err := Parse(s, 0); err == nil {
			t.Errorf("libsinsp rejects %q; Parse gave %s", s, Format(n))
		}
	}
}
