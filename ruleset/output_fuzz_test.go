package ruleset

import (
	"strings"
	"testing"
)

// FuzzParseOutput: any output text parses or fails cleanly, and a parsed
// output formats without panicking; literal text survives formatting.
func FuzzParseOutput(f *testing.F) {
	for _, s := range []string{"", "%", "%%", "100% %proc.name.", "%(proc.cmdline)", "%proc.aname[2]", "%(proc.aname[x",
		"%container.info", "a %fd.name b %evt.res", "%proc.aname[", "%(", "%.", "%proc..name"} {
		f.Add(s)
	}
	ev := execEvent("alice", "chattr", "/home/alice", "+i", "f")
	f.Fuzz(func(t *testing.T, s string) {
		r := &Rule{Name: "F"}
		if err := r.SetOutput(s); err != nil {
			return
		}
		out := r.FormatOutput(ev)
		if !strings.Contains(s, "%") && out != s {
			t.Fatalf("text without fields changed: %q -> %q", s, out)
		}
	})
}
