package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ttpwatch/ttpwatch/attack"
)

// runCLI runs the command line in-process and returns stdout and the exit
// code main would use.
func runCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	root := newRootCommand()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return out.String(), 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return out.String() + ee.Error(), ee.code
	}
	return out.String() + err.Error(), 1
}

func TestRulesValidateDefaultsAndFalcoStyle(t *testing.T) {
	out, code := runCLI(t, "rules", "validate", filepath.Join("ruleset", "testdata", "load", "falco_style.yaml"))
	if code != 0 || !strings.Contains(out, ": ok (") {
		t.Fatalf("validate falco_style.yaml: exit %d\n%s", code, out)
	}
}

func TestRulesValidateBadInputs(t *testing.T) {
	bad, err := filepath.Glob(filepath.Join("ruleset", "testdata", "load", "bad", "*.yaml"))
	if err != nil || len(bad) < 25 {
		t.Fatalf("want at least 25 bad fixtures, found %d (%v)", len(bad), err)
	}
	pos := regexp.MustCompile(`(?m)^\S+\.yaml:\d+:\d+: `)
	for _, f := range bad {
		t.Run(filepath.Base(f), func(t *testing.T) {
			out, code := runCLI(t, "rules", "validate", "--defaults=false", f)
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s", code, out)
			}
			if !pos.MatchString(out) {
				t.Fatalf("no file:line:col error in:\n%s", out)
			}
		})
	}
}

func TestRulesValidateMissingFile(t *testing.T) {
	out, code := runCLI(t, "rules", "validate", filepath.Join(t.TempDir(), "nope.yaml"))
	if code != 1 || !strings.Contains(out, "nope.yaml") {
		t.Fatalf("exit %d, out %q", code, out)
	}
}

func TestRulesListJSON(t *testing.T) {
	out, code := runCLI(t, "rules", "list", "-o", "json", "--disable", "tag:mitre_discovery")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	var rows []ruleJSON
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("rules list -o json: %v", err)
	}
	var seed *ruleJSON
	disabled := 0
	for i, r := range rows {
		if r.Name == "Disable recovery features" {
			seed = &rows[i]
		}
		if !r.Enabled {
			disabled++
		}
	}
	if seed == nil || !seed.Enabled || seed.Priority != "Critical" || !slices.Contains(seed.Techniques, "T1490") ||
		!slices.Contains(seed.Tactics, "Impact") || !strings.HasSuffix(seed.Source, ".yaml") {
		t.Fatalf("seed rule row: %+v", seed)
	}
	if disabled == 0 {
		t.Fatal("--disable tag:mitre_discovery disabled nothing")
	}
}

func TestRulesShow(t *testing.T) {
	out, code := runCLI(t, "rules", "show", "Disable recovery features")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	for _, want := range []string{"desc:", "condition:", "expanded condition:", "compiled (expr):", "T1490 Inhibit System Recovery", "event types: execve"} {
		if !strings.Contains(out, want) {
			t.Errorf("rules show lacks %q:\n%s", want, out)
		}
	}
	if _, code := runCLI(t, "rules", "show", "No such rule"); code != 1 {
		t.Error("unknown rule: want exit 1")
	}
}

func TestFieldsJSON(t *testing.T) {
	out, code := runCLI(t, "fields", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var rows []fieldJSON
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	byName := map[string]fieldJSON{}
	for _, r := range rows {
		byName[r.Name] = r
	}
	if f := byName["proc.name"]; !f.Filled || f.Type != "string" || f.Desc == "" {
		t.Errorf("proc.name: %+v", f)
	}
	if f := byName["k8s.pod.name"]; f.Filled {
		t.Errorf("k8s.pod.name must be listed as not filled: %+v", f)
	}
	if f := byName["proc.aname"]; f.Arg == "" {
		t.Errorf("proc.aname takes an argument: %+v", f)
	}
}

func TestAttackLayerIsNavigatorJSON(t *testing.T) {
	out, code := runCLI(t, "attack", "layer")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	var layer struct {
		Name     string `json:"name"`
		Domain   string `json:"domain"`
		Versions struct {
			Layer  string `json:"layer"`
			Attack string `json:"attack"`
		} `json:"versions"`
		Techniques []struct {
			TechniqueID string  `json:"techniqueID"`
			Tactic      string  `json:"tactic"`
			Score       float64 `json:"score"`
		} `json:"techniques"`
		Gradient struct {
			Colors []string `json:"colors"`
		} `json:"gradient"`
	}
	if err := json.Unmarshal([]byte(out), &layer); err != nil {
		t.Fatalf("layer is not JSON: %v", err)
	}
	if layer.Domain != "enterprise-attack" || layer.Versions.Layer != "4.5" || layer.Name == "" || len(layer.Gradient.Colors) == 0 {
		t.Fatalf("layer header: %+v", layer)
	}
	cat := attack.Default()
	found := false
	for _, te := range layer.Techniques {
		tech, ok := cat.Technique(te.TechniqueID)
		if !ok {
			t.Errorf("technique %s not in the catalog", te.TechniqueID)
			continue
		}
		ta, ok := cat.Tactic(te.Tactic)
		if !ok || !tech.HasTactic(ta) {
			t.Errorf("technique %s under tactic %q", te.TechniqueID, te.Tactic)
		}
		if te.TechniqueID == "T1490" && te.Tactic == "impact" && te.Score > 0 {
			found = true
		}
	}
	if !found {
		t.Error("T1490 under impact is not scored")
	}
}

func TestAttackCoverageFollowsSelection(t *testing.T) {
	all, code := runCLI(t, "attack", "coverage", "-o", "json")
	if code != 0 {
		t.Fatal(all)
	}
	fewer, code := runCLI(t, "attack", "coverage", "-o", "json", "--disable", "*")
	if code != 0 {
		t.Fatal(fewer)
	}
	var a, f []coverageRow
	if json.Unmarshal([]byte(all), &a) != nil || json.Unmarshal([]byte(fewer), &f) != nil {
		t.Fatal("coverage -o json is not JSON")
	}
	if len(a) < 45 || len(f) != 0 {
		t.Fatalf("coverage rows: %d with defaults, %d with every rule disabled", len(a), len(f))
	}
}

func TestBadFlagsSayWhatToDo(t *testing.T) {
	for _, args := range [][]string{
		{"rules", "list", "--min-priority", "urgent"},
		{"rules", "list", "-o", "yaml"},
		{"replay", "x.jsonl", "--speed", "fast"},
		{"rules", "list", "--no-default-rules"},
	} {
		out, code := runCLI(t, args...)
		if code == 0 || !strings.Contains(out, "use") && !strings.Contains(out, "give") {
			t.Errorf("%v: exit %d, %q", args, code, out)
		}
	}
}

func TestReplayCorruptCaptureNamesTheLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.jsonl")
	data := `{"format":"ttpwatch-capture","version":1,"host":"h","start":1}` + "\n" + `{"evt":{"num":1,` + "\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runCLI(t, "replay", path, "--json", "--speed", "max")
	if code != 1 || !strings.Contains(out, "bad.jsonl:2") {
		t.Fatalf("exit %d, %q", code, out)
	}
}
