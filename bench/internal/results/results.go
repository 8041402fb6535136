// Package results holds the rows `make bench` measures and renders them as
// the markdown table the README shows.
//
// Each measuring program appends rows to one file (tab-separated, one row a
// line) so that the shell script can run the sections as separate programs
// and still print a single table at the end.
package results

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
)

// Row is one line of the results table.
type Row struct {
	// Section groups rows: "engine", "overhead", "redis", "drops", "ui".
	Section string
	// Metric says what was measured, e.g. "getppid loop: sensor / none".
	Metric string
	// Measured is the value with its unit, e.g. "1.21×" or "1,234,567 ev/s".
	Measured string
	// Target is the goal from the issue, "" when there is none.
	Target string
	// Note explains how the value was obtained, or why it is missing.
	Note string
}

// clean keeps a field on one table row and one TSV field.
func clean(s string) string {
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ", "|", "/").Replace(s)
}

// Append adds rows to the file at path, creating it if needed.
func Append(path string, rows ...Row) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("open results file %s: %w", path, err)
	}
	w := bufio.NewWriter(f)
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", clean(r.Section), clean(r.Metric), clean(r.Measured), clean(r.Target), clean(r.Note))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write results file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write results file %s: %w", path, err)
	}
	return nil
}

// Read parses rows written by Append. Lines with fewer fields are an error
// naming the line, since a half-written file means a section crashed.
func Read(r io.Reader) ([]Row, error) {
	var rows []Row
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		if sc.Text() == "" {
			continue
		}
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 5 {
			return nil, fmt.Errorf("results line %d: want 5 tab-separated fields, got %d", line, len(f))
		}
		rows = append(rows, Row{f[0], f[1], f[2], f[3], f[4]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	return rows, nil
}

// Markdown renders rows as a GitHub table in the order given.
func Markdown(w io.Writer, rows []Row) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "| Section | Measure | Measured | Target | How / note |")
	fmt.Fprintln(bw, "|---|---|---:|---:|---|")
	for _, r := range rows {
		fmt.Fprintf(bw, "| %s | %s | %s | %s | %s |\n", clean(r.Section), clean(r.Metric), clean(r.Measured), clean(r.Target), clean(r.Note))
	}
	return bw.Flush()
}

// Median returns the median of xs (the mean of the middle two for an even
// count), NaN for none. xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// Grouped formats n with thousands separators and no decimals, the way the
// table shows rates: 1234567.8 → "1,234,568".
func Grouped(n float64) string {
	if math.IsNaN(n) || math.IsInf(n, 0) {
		return "n/a"
	}
	neg := n < 0
	s := fmt.Sprintf("%.0f", math.Abs(n))
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
