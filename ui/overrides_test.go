package ui

import (
	"testing"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
)

// FuzzOverridesYAML checks that any rule name survives the round trip
// through the overrides file, so a saved toggle always names its rule.
func FuzzOverridesYAML(f *testing.F) {
	for _, s := range []string{"Disable recovery features", `a "quoted": name`, "tab\there", "- rule: x", "#comment", "ünïcödé", "\x00\x1b]0;x\x07"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, name string, on bool) {
		if !utf8.ValidString(name) {
			t.Skip("rule names are UTF-8 (the loader reads YAML)")
		}
		data, n := OverridesYAML([]RuleInfo{{Name: name, Enabled: on, LoadedEnabled: !on}}, t0)
		if n != 1 {
			t.Fatalf("n = %d", n)
		}
		var items []struct {
			Rule    string `yaml:"rule"`
			Enabled bool   `yaml:"enabled"`
		}
		if err := yaml.Unmarshal(data, &items); err != nil {
			t.Fatalf("not YAML: %v\n%s", err, data)
		}
		if len(items) != 1 || items[0].Rule != name || items[0].Enabled != on {
			t.Fatalf("round trip of %q gave %+v\n%s", name, items, data)
		}
	})
}
