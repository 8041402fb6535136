package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/ttpwatch/ttpwatch/termsafe"
)

// Caps on host text, in cells, before it is styled. Rows are cut further
// to their column width when drawn.
const (
	capShort = 256  // names, users, container ids
	capLong  = 2048 // command lines, paths, outputs
)

// safe escapes host text (process names, argv, paths, users, rule output)
// so that no control character, escape sequence, bidi override or invalid
// byte reaches the terminal, and caps its length. Every host string goes
// through it before styling.
func safe(s string) string { return termsafe.Escape(s, capLong) }

// safeShort is safe with the short cap.
func safeShort(s string) string { return termsafe.Escape(s, capShort) }

// fit cuts s to w cells (with an ellipsis) and pads it with spaces to
// exactly w cells. s may hold styling.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = ansi.StringWidth(s)
	}
	if sw < w {
		s += strings.Repeat(" ", w-sw)
	}
	return s
}

// fitRight is fit with the text aligned to the right.
func fitRight(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, "…")
	}
	return strings.Repeat(" ", w-sw) + s
}

// clip cuts s to at most w cells without padding.
func clip(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s
}

// wrap breaks plain (escaped, unstyled) text into lines of at most w cells,
// at spaces where it can and hard otherwise. Existing newlines are kept.
func wrap(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		out = append(out, strings.Split(ansi.Wrap(para, w, " "), "\n")...)
	}
	return out
}

// frame makes body exactly h lines of at most w cells: it cuts long lines
// and missing lines are added blank.
func frame(lines []string, w, h int) []string {
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		// A line never takes more cells than it has bytes: most lines skip
		// measuring.
		if len(l) > w && ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return lines
}

// stripStyle removes styling from s so a selection style can replace it.
// s must be text this package built (host text in it is already escaped).
func stripStyle(s string) string { return ansi.Strip(s) }

// fitH makes lines exactly h lines long, cutting or adding blank lines;
// widths are left to the one frame call of the root.
func fitH(lines []string, h int) []string {
	h = max(h, 0)
	if len(lines) > h {
		return lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return lines
}
