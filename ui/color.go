package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/colorprofile"
)

// ColorProfile parses a --color value: "auto" (or "") lets the terminal
// decide and returns ok false; "truecolor", "256", "16" and "none" force
// that profile (sudo often drops COLORTERM, so detection undershoots).
func ColorProfile(s string) (p colorprofile.Profile, ok bool, err error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return colorprofile.Unknown, false, nil
	case "truecolor", "24bit", "true":
		return colorprofile.TrueColor, true, nil
	case "256", "ansi256":
		return colorprofile.ANSI256, true, nil
	case "16", "ansi":
		return colorprofile.ANSI, true, nil
	case "none", "no", "ascii", "never":
		return colorprofile.ASCII, true, nil
	}
	return colorprofile.Unknown, false, fmt.Errorf("--color %q: use auto, truecolor, 256, 16 or none", s)
}
