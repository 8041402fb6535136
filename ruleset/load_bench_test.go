package ruleset

import "testing"

// BenchmarkLoadDefaults measures a full load of the embedded ruleset
// (startup cost of every command).
func BenchmarkLoadDefaults(b *testing.B) {
	srcs := DefaultSources()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(srcs...); err != nil {
			b.Fatal(err)
		}
	}
}
