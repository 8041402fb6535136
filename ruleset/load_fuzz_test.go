package ruleset

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must never panic, and a
// failed load must say where (every error names the file).
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "load", "bad", "*.yaml"))
	files = append(files, filepath.Join("testdata", "load", "falco_style.yaml"), filepath.Join("testdata", "alert", "rules.yaml"))
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("- list: a\n  items: [a]\n- rule: r\n  desc: d\n  condition: proc.name in (a)\n  output: '%proc.name %'\n  priority: info\n"))
	f.Add([]byte("- macro: &x m\n  condition: *x\n"))
	f.Add([]byte("- rule: x\n  exceptions: [{name: e, fields: [proc.name], values: [[[a]]]}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := Load(Source{Name: "fuzz.yaml", Data: data})
		if rs == nil {
			t.Fatal("Load returned a nil Ruleset")
		}
		if err == nil {
			return
		}
		var le *LoadError
		if !errors.As(err, &le) || len(le.Diagnostics) == 0 {
			t.Fatalf("error %v is not a non-empty *LoadError", err)
		}
		for _, d := range le.Diagnostics {
			if d.File != "fuzz.yaml" || d.Msg == "" {
				t.Fatalf("diagnostic without file or message: %+v", d)
			}
		}
	})
}
