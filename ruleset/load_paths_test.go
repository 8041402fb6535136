package ruleset

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadPathsDirectory(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// b.yaml redefines the list a.yml defines: files load sorted by name.
	write("b.yaml", "- list: l\n  items: [b]\n  override:\n    items: append\n")
	write("a.yml", "- list: l\n  items: [a]\n"+ruleYAML("R", "evt.type = execve and proc.name in (l)"))
	write("notes.txt", "not rules")
	rs, err := LoadPaths(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := rs.Lists[0].Expanded; !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("items %v", got)
	}
	if rs.Rule("R").File != filepath.Join(dir, "a.yml") {
		t.Errorf("File = %q", rs.Rule("R").File)
	}
	if _, err := LoadPaths(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
	empty := t.TempDir()
	if _, err := LoadPaths(empty); err == nil || !strings.Contains(err.Error(), "no *.yaml or *.yml files") {
		t.Errorf("empty dir: %v", err)
	}
}

func TestDefaultSourcesSorted(t *testing.T) {
	srcs := DefaultSources()
	if len(srcs) < 2 || srcs[0].Name != "rules/000-macros.yaml" {
		t.Fatalf("first default source %v", srcs)
	}
	for i := 1; i < len(srcs); i++ {
		if srcs[i-1].Name >= srcs[i].Name {
			t.Errorf("not sorted: %s before %s", srcs[i-1].Name, srcs[i].Name)
		}
	}
}
