package results

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{10, 10, 1, 10, 1}, 10},
	}
	for _, tt := range tests {
		in := append([]float64(nil), tt.in...)
		if got := Median(tt.in); got != tt.want {
			t.Errorf("Median(%v) = %v, want %v", tt.in, got, tt.want)
		}
		for i := range in {
			if in[i] != tt.in[i] {
				t.Fatalf("Median reordered its input: %v became %v", in, tt.in)
			}
		}
	}
	if !math.IsNaN(Median(nil)) {
		t.Error("Median(nil) is not NaN")
	}
}

func TestGrouped(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{999, "999"},
		{1000, "1,000"},
		{1234567.8, "1,234,568"},
		{-45000, "-45,000"},
		{math.NaN(), "n/a"},
	}
	for _, tt := range tests {
		if got := Grouped(tt.in); got != tt.want {
			t.Errorf("Grouped(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAppendReadMarkdown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rows.tsv")
	a := Row{"engine", "EngineMix", "1,200,000 ev/s", "≥ 1,000,000", "go test -bench"}
	b := Row{"overhead", "getppid\tsensor|none", "1.20×", "≤ 1.35×", "line\nbreak"}
	if err := Append(path, a); err != nil {
		t.Fatal(err)
	}
	if err := Append(path, b); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0] != a {
		t.Fatalf("Read = %+v, want first row %+v", rows, a)
	}
	if rows[1].Metric != "getppid sensor/none" || rows[1].Note != "line break" {
		t.Errorf("tabs, pipes and newlines were not cleaned: %+v", rows[1])
	}
	var md strings.Builder
	if err := Markdown(&md, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(md.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("markdown has %d lines, want header, rule and 2 rows:\n%s", len(lines), md.String())
	}
	for _, l := range lines {
		if strings.Count(l, "|") != 6 {
			t.Errorf("row does not have 5 cells: %q", l)
		}
	}
}

func TestReadRejectsShortLine(t *testing.T) {
	_, err := Read(strings.NewReader("engine\tx\ty\tz\tn\nbroken\tline\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("Read of a short line: err = %v, want one naming line 2", err)
	}
}
