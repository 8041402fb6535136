package ruleset

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ttpwatch/ttpwatch/ruleset/condition"
)

// rule is a minimal valid rule for the table below.
func ruleYAML(name, cond string, extra ...string) string {
	s := "- rule: " + name + "\n  desc: d\n  condition: " + cond + "\n  output: o\n  priority: WARNING\n"
	for _, e := range extra {
		s += "  " + e + "\n"
	}
	return s
}

func mustLoad(t *testing.T, files ...string) *Ruleset {
	t.Helper()
	var srcs []Source
	for i, f := range files {
		srcs = append(srcs, Source{Name: "f" + string(rune('0'+i)) + ".yaml", Data: []byte(f)})
	}
	rs, err := Load(srcs...)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return rs
}

// TestLoadSemantics checks Falco's list, macro, exception, append and
// override behaviour on the expanded condition of a rule.
func TestLoadSemantics(t *testing.T) {
	cases := []struct {
		name  string
		files []string
		rule  string
		want  string // condition.Format of the rule's Expanded tree
	}{
		{"list substituted with extra items",
			[]string{"- list: shells\n  items: [bash, zsh]\n" + ruleYAML("R", "evt.type = execve and proc.name in (shells, sh)")},
			"R", "evt.type = execve and proc.name in (bash, zsh, sh)"},
		{"list defined after use",
			[]string{ruleYAML("R", "evt.type = execve and proc.name in (shells)") + "- list: shells\n  items: [bash]\n"},
			"R", "evt.type = execve and proc.name in (bash)"},
		{"nested lists expand inline",
			[]string{"- list: a\n  items: [x, b]\n- list: b\n  items: [y, z]\n" + ruleYAML("R", "evt.type = execve and proc.name in (a)")},
			"R", "evt.type = execve and proc.name in (x, y, z)"},
		{"list items with blanks are quoted, numbers kept",
			[]string{"- list: a\n  items: [\"disable rescue.service\", 80]\n" + ruleYAML("R", "evt.type = execve and proc.args in (a)")},
			"R", `evt.type = execve and proc.args in ("disable rescue.service", 80)`},
		{"empty list leaves no dangling comma",
			[]string{"- list: e\n  items: []\n" + ruleYAML("R", "evt.type = execve and proc.name in (sh, e)")},
			"R", "evt.type = execve and proc.name in (sh)"},
		{"list name inside a quoted string is not substituted",
			[]string{"- list: sh\n  items: [bash]\n" + ruleYAML("R", `evt.type = execve and proc.cmdline contains "sh"`)},
			"R", `evt.type = execve and proc.cmdline contains "sh"`},
		{"list append (deprecated) and override append",
			[]string{"- list: a\n  items: [x]\n- list: a\n  items: [y]\n  append: true\n",
				"- list: a\n  items: [z]\n  override:\n    items: append\n" + ruleYAML("R", "evt.type = execve and proc.name in (a)")},
			"R", "evt.type = execve and proc.name in (x, y, z)"},
		{"list override replace",
			[]string{"- list: a\n  items: [x]\n- list: a\n  items: [y]\n  override:\n    items: replace\n" + ruleYAML("R", "evt.type = execve and proc.name in (a)")},
			"R", "evt.type = execve and proc.name in (y)"},
		{"macro expanded on the tree",
			[]string{"- macro: m\n  condition: proc.name = sh or proc.name = bash\n" + ruleYAML("R", "evt.type = execve and m")},
			"R", "evt.type = execve and (proc.name = sh or proc.name = bash)"},
		{"macro using macro and list",
			[]string{"- list: l\n  items: [a]\n- macro: m1\n  condition: proc.name in (l)\n- macro: m2\n  condition: not m1\n" + ruleYAML("R", "evt.type = execve and m2")},
			"R", "evt.type = execve and not proc.name in (a)"},
		{"macro redefined in a later file is used by earlier rules",
			[]string{"- macro: m\n  condition: proc.name = a\n" + ruleYAML("R", "evt.type = execve and m"),
				"- macro: m\n  condition: proc.name = b\n"},
			"R", "evt.type = execve and proc.name = b"},
		{"macro append and override append",
			[]string{"- macro: m\n  condition: proc.name = a\n- macro: m\n  condition: or proc.name = b\n  append: true\n- macro: m\n  condition: or proc.name = c\n  override:\n    condition: append\n" + ruleYAML("R", "evt.type = execve and (m)")},
			"R", "evt.type = execve and (proc.name = a or proc.name = b or proc.name = c)"},
		{"exception with a fields list, comps default =",
			[]string{ruleYAML("R", "evt.type = execve", "exceptions:", "  - name: e", "    fields: [proc.name, proc.pname]", "    values:", "      - [rm, make]", "      - [cp, sh]")},
			"R", `evt.type = execve and not ((proc.name = "rm" and proc.pname = "make") or (proc.name = "cp" and proc.pname = "sh"))`},
		{"exception with one field, comps default in",
			[]string{ruleYAML("R", "evt.type = execve", "exceptions:", "  - name: e", "    fields: proc.name", "    values: [rm, cp]")},
			"R", `evt.type = execve and not proc.name in ("rm", "cp")`},
		{"exception with one field and list values",
			[]string{ruleYAML("R", "evt.type = execve", "exceptions:", "  - name: e", "    fields: proc.name", "    values: [[rm, cp], [mv]]")},
			"R", `evt.type = execve and not proc.name in ("rm", "cp", "mv")`},
		{"exception with in comp naming a list",
			[]string{"- list: builders\n  items: [make, ninja]\n" + ruleYAML("R", "evt.type = execve", "exceptions:", "  - name: e", "    fields: [proc.name, proc.pname]", "    comps: [=, in]", "    values:", "      - [rm, builders]", "      - [cp, [sh, bash]]")},
			"R", `evt.type = execve and not ((proc.name = "rm" and proc.pname in ("make", "ninja")) or (proc.name = "cp" and proc.pname in ("sh", "bash")))`},
		{"exception without values adds nothing",
			[]string{ruleYAML("R", "evt.type = execve", "exceptions:", "  - name: e", "    fields: [proc.name]")},
			"R", "evt.type = execve"},
		{"exception values appended by a later override",
			[]string{ruleYAML("R", "evt.type = execve", "exceptions:", "  - name: e", "    fields: [proc.name]", "    values:", "      - [rm]"),
				"- rule: R\n  exceptions:\n    - name: e\n      values:\n        - [cp]\n    - name: f\n      fields: proc.pname\n      comps: startswith\n      values: [ma, ni]\n  override:\n    exceptions: append\n"},
			"R", `evt.type = execve and not (proc.name = "rm" or proc.name = "cp" or proc.pname startswith "ma" or proc.pname startswith "ni")`},
		{"append condition (deprecated)",
			[]string{ruleYAML("R", "evt.type = execve and proc.name = sh") + "- rule: R\n  condition: and proc.pname = x\n  append: true\n"},
			"R", "evt.type = execve and proc.name = sh and proc.pname = x"},
		{"override condition replace",
			[]string{ruleYAML("R", "evt.type = execve") + "- rule: R\n  condition: evt.type = openat\n  override:\n    condition: replace\n"},
			"R", "evt.type = openat"},
		{"rule redefinition replaces",
			[]string{ruleYAML("R", "evt.type = execve"), ruleYAML("R", "evt.type = connect")},
			"R", "evt.type = connect"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := mustLoad(t, c.files...)
			r := rs.Rule(c.rule)
			if r == nil {
				t.Fatalf("rule %q not loaded", c.rule)
			}
			if got := condition.Format(r.Expanded); got != c.want {
				t.Errorf("expanded\n got  %s\n want %s", got, c.want)
			}
			if r.Program == nil {
				t.Error("rule has no compiled Program")
			}
		})
	}
}

func TestLoadRuleKeys(t *testing.T) {
	base := ruleYAML("A", "evt.type = execve", "tags: [t1]") + ruleYAML("B", "evt.type = openat") + ruleYAML("C", "evt.type = connect")
	t.Run("redefinition keeps its place", func(t *testing.T) {
		rs := mustLoad(t, base, ruleYAML("A", "evt.type = execve"))
		var names []string
		for _, r := range rs.Rules {
			names = append(names, r.Name)
		}
		if !reflect.DeepEqual(names, []string{"A", "B", "C"}) {
			t.Errorf("order %v", names)
		}
	})
	t.Run("redefinition in the same file warns", func(t *testing.T) {
		rs := mustLoad(t, base+ruleYAML("B", "evt.type = openat")+"- macro: m\n  condition: evt.num = 1\n- macro: m\n  condition: evt.num = 2\n")
		if !hasWarning(rs, `f0.yaml:17:3: rule "B": redefined in the same file (first at line 7)`) || !hasWarning(rs, `f0.yaml:24:3: macro "m": redefined in the same file (first at line 22)`) {
			t.Errorf("warnings %v", rs.Warnings)
		}
		if rs2 := mustLoad(t, base, ruleYAML("B", "evt.type = openat")); len(rs2.Warnings) != 0 {
			t.Errorf("redefinition in another file warned: %v", rs2.Warnings)
		}
	})
	t.Run("enabled-only item toggles", func(t *testing.T) {
		rs := mustLoad(t, base, "- rule: B\n  enabled: false\n")
		if rs.Rule("B").Enabled || !rs.Rule("A").Enabled {
			t.Error("B should be disabled, A enabled")
		}
		if rs.Rule("B").Condition != "evt.type = openat" {
			t.Errorf("condition changed: %q", rs.Rule("B").Condition)
		}
	})
	t.Run("override replace of priority and enabled, append of output desc tags", func(t *testing.T) {
		rs := mustLoad(t, base, "- rule: A\n  priority: info\n  enabled: false\n  output: more\n  desc: extra\n  tags: [t2]\n  override:\n    priority: replace\n    enabled: replace\n    output: append\n    desc: append\n    tags: append\n")
		r := rs.Rule("A")
		if r.Priority != Informational || r.Enabled || r.Output != "o more" || r.Desc != "d extra" || !reflect.DeepEqual(r.Tags, []string{"t1", "t2"}) {
			t.Errorf("got priority %v enabled %v output %q desc %q tags %v", r.Priority, r.Enabled, r.Output, r.Desc, r.Tags)
		}
	})
	t.Run("priorities case-insensitive", func(t *testing.T) {
		for in, want := range map[string]Priority{"emergency": Emergency, "Alert": Alert, "CRITICAL": Critical, "error": Error,
			"Warning": Warning, "NOTICE": Notice, "informational": Informational, "INFO": Informational, "debug": Debug} {
			rs := mustLoad(t, strings.Replace(ruleYAML("P", "evt.type = execve"), "WARNING", in, 1))
			if got := rs.Rule("P").Priority; got != want {
				t.Errorf("%s: got %v want %v", in, got, want)
			}
		}
	})
	t.Run("other sources skipped with a warning, their appends ignored", func(t *testing.T) {
		rs := mustLoad(t, ruleYAML("K", "ka.verb = create", "source: k8s_audit")+"- rule: K\n  condition: and x\n  append: true\n"+ruleYAML("S", "evt.type = execve", "source: syscall"))
		if rs.Rule("K") != nil || rs.Rule("S") == nil {
			t.Fatal("K must be skipped, S loaded")
		}
		if !hasWarning(rs, `rule "K": source "k8s_audit" is not supported`) {
			t.Errorf("warnings %v", rs.Warnings)
		}
	})
	t.Run("skip-if-unknown-filter", func(t *testing.T) {
		rs := mustLoad(t, ruleYAML("U", "evt.type = execve and foo.bar = 1", "skip-if-unknown-filter: true")+ruleYAML("V", "evt.type = execve"))
		if rs.Rule("U") != nil || rs.Rule("V") == nil {
			t.Fatal("U must be skipped, V loaded")
		}
		if !hasWarning(rs, `f0.yaml:3:36: rule "U": unknown field "foo.bar"`) {
			t.Errorf("warnings %v", rs.Warnings)
		}
	})
	t.Run("unknown keys warn", func(t *testing.T) {
		rs := mustLoad(t, ruleYAML("W", "evt.type = execve", "colour: red"))
		if rs.Rule("W") == nil || !hasWarning(rs, `f0.yaml:6:3: rule "W": unknown key "colour" ignored`) {
			t.Errorf("warnings %v", rs.Warnings)
		}
	})
	t.Run("warn_evttypes", func(t *testing.T) {
		rs := mustLoad(t, ruleYAML("All", "proc.name = sh")+ruleYAML("Quiet", "proc.name = sh", "warn_evttypes: false"))
		if !hasWarning(rs, `rule "All": condition admits every event type`) || hasWarning(rs, `rule "Quiet"`) {
			t.Errorf("warnings %v", rs.Warnings)
		}
	})
	t.Run("required versions and compatibility keys accepted", func(t *testing.T) {
		rs := mustLoad(t, "- required_engine_version: 0.31.0\n- required_engine_version: 0.9.1\n- required_plugin_versions:\n  - name: k8saudit\n    version: 0.7.0\n    alternatives:\n      - name: k8saudit-eks\n        version: 0.4.0\n"+
			ruleYAML("X", "evt.type = execve", "capture: true", "capture_duration: 5000"))
		if rs.RequiredEngineVersion != "0.31.0" || len(rs.RequiredPluginVersions) != 1 || rs.RequiredPluginVersions[0].Alternatives[0].Name != "k8saudit-eks" {
			t.Errorf("got %q %+v", rs.RequiredEngineVersion, rs.RequiredPluginVersions)
		}
		if r := rs.Rule("X"); !r.Capture || r.CaptureDuration != 5000 {
			t.Errorf("capture %v %d", r.Capture, r.CaptureDuration)
		}
	})
	t.Run("exceptions display form", func(t *testing.T) {
		rs := mustLoad(t, ruleYAML("E", "evt.type = execve", "exceptions:", "  - name: e", "    fields: [proc.name, proc.pname]", "    comps: [=, in]", "    values:", "      - [rm, [make, ninja]]"))
		want := []Exception{{Name: "e", Fields: []string{"proc.name", "proc.pname"}, Comps: []string{"=", "in"}, Values: [][]string{{"rm", "(make, ninja)"}}}}
		if got := rs.Rule("E").Exceptions; !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v", got)
		}
	})
}

func hasWarning(rs *Ruleset, sub string) bool {
	for _, w := range rs.Warnings {
		if strings.Contains(w.String(), sub) {
			return true
		}
	}
	return false
}

// TestLoadCollectsAllErrors checks that one load reports every error, in
// file order, and never stops at the first.
func TestLoadCollectsAllErrors(t *testing.T) {
	_, err := Load(Source{Name: "a.yaml", Data: []byte(ruleYAML("A", "evt.type = execve and nope.x = 1") + ruleYAML("B", "evt.type = execve and (proc.name = x"))},
		Source{Name: "b.yaml", Data: []byte("- rule: C\n  enabled: maybe\n")})
	le, ok := err.(*LoadError)
	if !ok || len(le.Diagnostics) != 3 {
		t.Fatalf("got %v", err)
	}
	for i, want := range []string{`a.yaml:3:36: rule "A"`, `a.yaml:8:36: rule "B"`, `b.yaml:2:3: rule "C"`} {
		if !strings.HasPrefix(le.Diagnostics[i].String(), want) {
			t.Errorf("error %d = %s, want prefix %s", i, le.Diagnostics[i], want)
		}
	}
}

// TestLoadFalcoStyle loads a file written in the style of Falco's official
// rules (30+ macros, 20+ lists, exceptions, appends, overrides).
func TestLoadFalcoStyle(t *testing.T) {
	rs, err := LoadPaths("testdata/load/falco_style.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Macros) < 30 || len(rs.Lists) < 20 || len(rs.Rules) != 7 {
		t.Fatalf("got %d macros, %d lists, %d rules", len(rs.Macros), len(rs.Lists), len(rs.Rules))
	}
	for _, w := range rs.Warnings {
		t.Errorf("unexpected warning: %s", w)
	}
	if !rs.Rule("Clear Log Activities").Enabled {
		t.Error("enabled-only item did not enable the rule")
	}
	r := rs.Rule("Run shell untrusted")
	if len(r.Exceptions) != 1 || len(r.Exceptions[0].Values) != 2 {
		t.Errorf("appended exception values: %+v", r.Exceptions)
	}
	if !strings.HasSuffix(rs.Rule("Read sensitive file untrusted").Condition, "and not proc.name in (sshd)") {
		t.Error("appended condition missing")
	}
	var db *List
	for _, l := range rs.Lists {
		if l.Name == "db_mgmt_binaries" {
			db = l
		}
	}
	if db == nil || strings.Join(db.Expanded, ",") != "mysql_install_d,mysql_ssl_rsa_s,pg_dumpall,pg_ctl,pg_lsclusters,pg_ctlcluster" {
		t.Errorf("nested list: %+v", db)
	}
}
