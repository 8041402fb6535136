package attack

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestLayerSchema decodes the layer generically and checks Navigator's layer
// format 4.5 keys and value types, so a typo in a struct tag fails here.
func TestLayerSchema(t *testing.T) {
	c := Default()
	out, err := c.Layer(c.Coverage(testRules), "ttpwatch coverage")
	if err != nil {
		t.Fatal(err)
	}
	var l map[string]any
	if err := json.Unmarshal(out, &l); err != nil {
		t.Fatalf("layer is not JSON: %v", err)
	}

	str := func(m map[string]any, k string) string {
		t.Helper()
		s, ok := m[k].(string)
		if !ok {
			t.Errorf("%q: %T, want string", k, m[k])
		}
		return s
	}
	boolean := func(m map[string]any, k string) bool {
		t.Helper()
		b, ok := m[k].(bool)
		if !ok {
			t.Errorf("%q: %T, want bool", k, m[k])
		}
		return b
	}
	num := func(m map[string]any, k string) float64 {
		t.Helper()
		n, ok := m[k].(float64)
		if !ok {
			t.Errorf("%q: %T, want number", k, m[k])
		}
		return n
	}
	obj := func(m map[string]any, k string) map[string]any {
		t.Helper()
		o, ok := m[k].(map[string]any)
		if !ok {
			t.Fatalf("%q: %T, want object", k, m[k])
		}
		return o
	}
	arr := func(m map[string]any, k string) []any {
		t.Helper()
		a, ok := m[k].([]any)
		if !ok {
			t.Fatalf("%q: %T, want array", k, m[k])
		}
		return a
	}

	if str(l, "name") != "ttpwatch coverage" {
		t.Errorf("name = %v", l["name"])
	}
	v := obj(l, "versions")
	if str(v, "layer") != "4.5" || str(v, "attack") != "18" || str(v, "navigator") != "5.1.0" {
		t.Errorf("versions = %v, want layer 4.5, attack 18, navigator 5.1.0", v)
	}
	if str(l, "domain") != "enterprise-attack" {
		t.Errorf("domain = %v", l["domain"])
	}
	if !strings.Contains(str(l, "description"), "Score") {
		t.Errorf("description does not explain the score: %v", l["description"])
	}
	plat := arr(obj(l, "filters"), "platforms")
	if len(plat) != 2 || plat[0] != "Linux" || plat[1] != "Containers" {
		t.Errorf("filters.platforms = %v", plat)
	}
	num(l, "sorting")
	lay := obj(l, "layout")
	if str(lay, "layout") != "side" || !boolean(lay, "showID") || !boolean(lay, "showName") {
		t.Errorf("layout = %v", lay)
	}
	boolean(l, "hideDisabled")
	boolean(l, "showTacticRowBackground")
	boolean(l, "selectTechniquesAcrossTactics")
	boolean(l, "selectSubtechniquesWithParent")
	arr(l, "legendItems")
	arr(l, "metadata")

	g := obj(l, "gradient")
	colors := arr(g, "colors")
	if len(colors) != 3 {
		t.Errorf("gradient.colors = %v", colors)
	}
	for _, col := range colors {
		if s, ok := col.(string); !ok || len(s) != 9 || s[0] != '#' {
			t.Errorf("gradient colour %v is not #rrggbbaa", col)
		}
	}
	minV, maxV := num(g, "minValue"), num(g, "maxValue")

	type key struct{ id, tactic string }
	got := map[key]map[string]any{}
	for i, e := range arr(l, "techniques") {
		te, ok := e.(map[string]any)
		if !ok {
			t.Fatalf("techniques[%d]: %T, want object", i, e)
		}
		id, tactic := str(te, "techniqueID"), str(te, "tactic")
		tech, ok := c.Technique(id)
		if !ok || tech.ID != id {
			t.Errorf("techniques[%d]: %q is not a catalog id", i, id)
			continue
		}
		ta, ok := c.Tactic(tactic)
		if !ok || ta.ShortName != tactic {
			t.Errorf("techniques[%d]: tactic %q is not a short name", i, tactic)
			continue
		}
		if !tech.HasTactic(ta) {
			t.Errorf("techniques[%d]: %s does not serve %s", i, id, tactic)
		}
		score := num(te, "score")
		if score < minV || score > maxV || score < 1 {
			t.Errorf("%s@%s: score %v outside [%v, %v]", id, tactic, score, minV, maxV)
		}
		str(te, "comment")
		if !boolean(te, "enabled") {
			t.Errorf("%s@%s: not enabled", id, tactic)
		}
		boolean(te, "showSubtechniques")
		for _, md := range arr(te, "metadata") {
			m, ok := md.(map[string]any)
			if !ok {
				t.Fatalf("%s metadata entry %T", id, md)
			}
			str(m, "name")
			str(m, "value")
		}
		if _, dup := got[key{id, tactic}]; dup {
			t.Errorf("%s@%s listed twice", id, tactic)
		}
		got[key{id, tactic}] = te
	}

	// The covered cells of testRules, and nothing else.
	want := map[key]struct {
		score    float64
		showSubs bool
		rules    string
	}{
		{"T1490", "impact"}:          {1, false, "Disable recovery features (3 hits)"},
		{"T1053", "persistence"}:     {1, true, "Cron job written (2 hits)"},
		{"T1053.003", "persistence"}: {1, false, "Cron job written (2 hits)"},
		{"T1059", "execution"}:       {2, true, "Interpreter spawned (5 hits); Shell spawned"},
		{"T1059.004", "execution"}:   {1, false, "Shell spawned"},
	}
	if len(got) != len(want) {
		t.Errorf("layer has %d entries, want %d: %v", len(got), len(want), got)
	}
	for k, w := range want {
		e, ok := got[k]
		if !ok {
			t.Errorf("missing %s@%s", k.id, k.tactic)
			continue
		}
		if e["score"] != w.score || e["showSubtechniques"] != w.showSubs {
			t.Errorf("%s@%s: score %v showSubtechniques %v, want %v %v", k.id, k.tactic, e["score"], e["showSubtechniques"], w.score, w.showSubs)
		}
		md := e["metadata"].([]any)[0].(map[string]any)
		if md["name"] != "rules" || md["value"] != w.rules {
			t.Errorf("%s@%s: metadata %v, want rules %q", k.id, k.tactic, md, w.rules)
		}
		if !strings.Contains(e["comment"].(string), w.rules) {
			t.Errorf("%s@%s: comment %q does not list %q", k.id, k.tactic, e["comment"], w.rules)
		}
	}
	if maxV != 2 {
		t.Errorf("gradient.maxValue = %v, want the top score 2", maxV)
	}
}

func TestLayerEmpty(t *testing.T) {
	c := Default()
	out, err := c.Layer(c.Coverage(nil), "empty")
	if err != nil {
		t.Fatal(err)
	}
	var l struct {
		Techniques []any `json:"techniques"`
		Gradient   struct {
			MaxValue int `json:"maxValue"`
		} `json:"gradient"`
	}
	if err := json.Unmarshal(out, &l); err != nil {
		t.Fatal(err)
	}
	// An empty array, not null: Navigator rejects a null techniques list.
	if l.Techniques == nil || len(l.Techniques) != 0 || !strings.Contains(string(out), `"techniques": []`) {
		t.Errorf("techniques = %v, want []", l.Techniques)
	}
	if l.Gradient.MaxValue < 1 {
		t.Errorf("gradient.maxValue = %d, want >= 1 so the gradient is valid", l.Gradient.MaxValue)
	}
}

func TestLayerReadableText(t *testing.T) {
	c := Default()
	out, err := c.Layer(c.Coverage([]RuleRef{{Name: "A & <B>", Tags: []string{"T1490"}, Enabled: true}}), "ATT&CK coverage")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"name": "ATT&CK coverage"`, `"comment": "Rules: A & <B>"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("layer lacks %s:\n%s", want, out)
		}
	}
}
