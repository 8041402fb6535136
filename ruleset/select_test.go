package ruleset

import (
	"reflect"
	"testing"
)

func TestSelection(t *testing.T) {
	rules := []*Rule{
		{Name: "Disable recovery features", Priority: Critical, Enabled: true, Tags: []string{"mitre_impact", "T1490"}},
		{Name: "Inhibit system recovery", Priority: Critical, Enabled: true, Tags: []string{"mitre_impact", "T1490"}},
		{Name: "Shell spawned", Priority: Notice, Enabled: true, Tags: []string{"mitre_execution", "T1059.004"}},
		{Name: "Noisy debug rule", Priority: Debug, Enabled: false, Tags: []string{"mitre_discovery"}},
	}
	type step struct {
		enable  bool
		pattern string
	}
	cases := []struct {
		name  string
		steps []step
		min   *Priority
		want  []bool
	}{
		{"nothing changes the rules' own enabled", nil, nil, []bool{true, true, true, false}},
		{"disable by exact name, case-insensitive", []step{{false, "shell SPAWNED"}}, nil, []bool{true, true, false, false}},
		{"disable by glob", []step{{false, "*recovery*"}}, nil, []bool{false, false, true, false}},
		{"disable by tag", []step{{false, "tag:mitre_impact"}}, nil, []bool{false, false, true, false}},
		{"tag glob", []step{{false, "tag:T1059*"}}, nil, []bool{true, true, false, false}},
		{"enable a disabled rule", []step{{true, "Noisy*"}}, nil, []bool{true, true, true, true}},
		{"later steps win", []step{{false, "*"}, {true, "tag:T1490"}}, nil, []bool{true, true, false, false}},
		{"later steps win, reversed", []step{{true, "tag:T1490"}, {false, "*"}}, nil, []bool{false, false, false, false}},
		{"min priority", []step{{true, "*"}}, ptr(Warning), []bool{true, true, false, false}},
		{"glob anchors both ends", []step{{false, "Disable"}}, nil, []bool{true, true, true, false}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s Selection
			for _, st := range c.steps {
				var err error
				if st.enable {
					err = s.Enable(st.pattern)
				} else {
					err = s.Disable(st.pattern)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if c.min != nil {
				s.SetMinPriority(*c.min)
			}
			if got := s.Apply(rules); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v want %v", got, c.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestSelectionErrorsAndHelpers(t *testing.T) {
	var s Selection
	for _, bad := range []string{"", "  ", "tag:", "tag:  "} {
		if err := s.Enable(bad); err == nil {
			t.Errorf("Enable(%q) accepted", bad)
		}
	}
	if !s.Empty() {
		t.Error("failed steps were kept")
	}
	rules := []*Rule{{Name: "A one", Tags: []string{"x"}}, {Name: "B two"}}
	en, dis := s.FlagValue(true), s.FlagValue(false)
	for _, v := range []struct {
		f interface{ Set(string) error }
		p string
	}{{dis, "*"}, {en, "tag:x"}, {dis, "nothing*"}} {
		if err := v.f.Set(v.p); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Apply(rules); !reflect.DeepEqual(got, []bool{true, false}) {
		t.Errorf("flags in order: got %v", got)
	}
	if en.String() != "tag:x" || dis.String() != "*,nothing*" || en.Type() != "pattern" {
		t.Errorf("flag strings %q %q", en.String(), dis.String())
	}
	if got := s.Unmatched(rules); !reflect.DeepEqual(got, []string{"nothing*"}) {
		t.Errorf("Unmatched = %v", got)
	}
	m, err := MatchRules("b*", rules)
	if err != nil || len(m) != 1 || m[0].Name != "B two" {
		t.Errorf("MatchRules = %v, %v", m, err)
	}
}

func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"abc", "abc", true}, {"abc", "abcd", false}, {"a*", "a", true}, {"*a*a", "a", false},
		{"ab*b", "ab", false}, {"ab*b", "abb", true}, {"*", "", true}, {"a*c*e", "abcde", true}, {"a*c*e", "abcdf", false},
	} {
		if got := globMatch(c.p, c.s); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v", c.p, c.s, got)
		}
	}
}
