package ui

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var screenshots = flag.String("screenshots", "", "write each view's ANSI screen to this directory (make screenshots)")

// TestScreenshots renders every view of the fixed data set in the default
// dark theme at 120x36 and writes it as ANSI (VIEW.ans) for the README's
// images; `make screenshots` turns them into PNG. Without -screenshots it
// only checks that every view renders in colour.
func TestScreenshots(t *testing.T) {
	views := []struct {
		name string
		keys []string
	}{
		{"feed", nil},
		{"drilldown", []string{"down", "enter"}},
		{"matrix", []string{"2", "X"}},
		{"rules", []string{"3"}},
		{"rule", []string{"3", "enter"}},
		{"processes", []string{"4"}},
		{"help", []string{"?"}},
	}
	for _, v := range views {
		opts := testOptions()
		opts.Theme = "dark"
		m := drive(t, newFixture(), opts, 120, 36, v.keys...)
		out := m.render()
		if !strings.Contains(out, "\x1b[38;2;") {
			t.Errorf("%s: no colour in the dark theme", v.name)
		}
		if *screenshots == "" {
			continue
		}
		if err := os.MkdirAll(*screenshots, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(*screenshots, v.name+".ans")
		if err := os.WriteFile(path, []byte(out+"\x1b[0m\n"), 0o644); err != nil {
			t.Fatalf("write %s: %v", path, err)
		}
	}
}
