package ruleset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadBad loads each file of testdata/load/bad and checks it fails with
// exactly one error at the expected position with the expected message.
func TestLoadBad(t *testing.T) {
	cases := []struct {
		file string
		pos  string // line:col
		msg  string // substring of the message, item prefix included
	}{
		{"malformed_yaml", "2:9", `invalid YAML: sequence end token ']' not found`},
		{"not_sequence", "1:1", "a rules file must be a YAML sequence"},
		{"item_not_mapping", "3:3", "each item must be a mapping"},
		{"unknown_item", "1:3", `unknown item with keys "rulez", "condition"`},
		{"unknown_field", "3:36", `rule "Unknown field": unknown field "proc.nam"`},
		{"unknown_operator", "3:24", `rule "Unknown operator": `},
		{"unbalanced_parens", "5:5", `rule "Unbalanced": `},
		{"undefined_macro", "3:36", `rule "Undefined macro": undefined macro "is_shell"`},
		{"append_undefined_list", "3:3", `list "shell_binaries": cannot append to or override an undefined list`},
		{"macro_before_definition", "3:36", `rule "Uses later macro": macro "later_macro" is used before its definition at `},
		{"macro_loop", "4:14", `macro "b": macro loop: a -> b -> a`},
		{"duplicate_key", "6:3", `rule "Dup": duplicate key "output" (first at line 4)`},
		{"bad_priority", "5:3", `rule "Bad priority": invalid priority "URGENT"`},
		{"missing_output", "1:3", `rule "Missing output": missing required key(s) output`},
		{"exception_comps_length", "9:15", `rule "Exc comps": exception "two_fields": fields and comps must have the same length (2 fields, 1 comps)`},
		{"exception_values_length", "11:11", `rule "Exc values": exception "two_fields": values entry has 1 values, want 2`},
		{"exception_unknown_comp", "9:15", `rule "Exc comp": exception "bad_comp": unknown comparison operator "like"`},
		{"exception_no_name", "7:7", `rule "Exc no name": exception without a name`},
		{"override_with_append", "9:3", `rule "Base": append and override cannot be used together`},
		{"override_unknown_key", "9:5", `rule "Base": cannot override key "rule_name"`},
		{"override_priority_append", "9:5", `rule "Base": "priority" can only be replaced`},
		{"append_undefined_rule", "1:3", `rule "Never defined": append to an undefined rule`},
		{"empty_condition", "3:3", `rule "Empty": empty condition`},
		{"nonstring_output", "4:3", `rule "Output list": output must be a string, found a sequence`},
		{"nonbool_enabled", "6:3", `rule "Enabled yes": enabled must be true or false, found a string`},
		{"nonlist_tags", "6:3", `rule "Tags string": tags must be a list, found a string`},
		{"bad_regex", "3:52", `rule "Bad regex": bad regular expression`},
		{"bad_cidr", "3:46", `rule "Bad CIDR": bad CIDR`},
		{"wrong_field_arg", "3:36", `rule "Wrong arg": field "proc.name" takes no argument`},
		{"unknown_output_field", "4:32", `rule "Output field": output: unknown field "usr.name"`},
		{"list_loop", "4:14", `list "b": list loop: a -> b -> a`},
		{"enabled_undefined", "1:3", `rule "Not there": enabled set on an undefined rule`},
		{"error_in_folded_condition", "6:9", `rule "Folded": unknown field "proc.nmae"`},
		{"error_in_macro", "2:33", `(in macro "shellish")`},
		{"tab_indent", "2:1", `invalid YAML: found character '\t' that cannot start any token`},
		{"undefined_list", "3:36", `rule "Undefined list": 'in' needs a list such as (a, b); 'shell_binarys' is not a defined list`},
		{"number_compare_text", "3:47", `rule "Pid text": expected a number after '>'`},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.file+".yaml"] = true
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join("testdata", "load", "bad", c.file+".yaml")
			_, err := LoadPaths(path)
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("Load(%s) error = %v, want a *LoadError", path, err)
			}
			if len(le.Diagnostics) != 1 {
				t.Fatalf("got %d errors, want 1:\n%s", len(le.Diagnostics), le)
			}
			got := le.Diagnostics[0].String()
			wantPrefix := path + ":" + c.pos + ": "
			if !strings.HasPrefix(got, wantPrefix) || !strings.Contains(got, c.msg) {
				t.Errorf("error\n  %s\nwant prefix %q containing %q", got, wantPrefix, c.msg)
			}
		})
	}
	// Every fixture must be in the table, so none is silently untested.
	entries, err := os.ReadDir(filepath.Join("testdata", "load", "bad"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !seen[e.Name()] {
			t.Errorf("testdata/load/bad/%s has no case in TestLoadBad", e.Name())
		}
	}
}
