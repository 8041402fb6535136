// Package themes holds the colour themes of the terminal interface, embedded
// as YAML files, and their loader. A theme is plain data (colour strings and
// a few attributes); the ui turns it into styles.
package themes

import (
	"embed"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
)

//go:embed *.yaml
var files embed.FS

// Default is the theme used when none is asked for and NO_COLOR is unset.
const Default = "dark"

// Monochrome is the theme forced by NO_COLOR.
const Monochrome = "monochrome"

// Priorities holds one colour per rule priority.
type Priorities struct {
	Emergency     string `yaml:"emergency"`
	Alert         string `yaml:"alert"`
	Critical      string `yaml:"critical"`
	Error         string `yaml:"error"`
	Warning       string `yaml:"warning"`
	Notice        string `yaml:"notice"`
	Informational string `yaml:"informational"`
	Debug         string `yaml:"debug"`
}

// Theme is one colour theme. Colours are "#RRGGBB" strings or ANSI numbers
// ("1", "203"); an empty colour means the terminal's default.
type Theme struct {
	Name string `yaml:"name"`
	// Monochrome themes carry meaning by attributes (bold, reverse,
	// underline) only; every colour is empty.
	Monochrome bool `yaml:"monochrome"`
	// Bold makes headers and selections bold (high-contrast).
	Bold bool `yaml:"bold"`

	Text        string `yaml:"text"`
	Muted       string `yaml:"muted"`
	Accent      string `yaml:"accent"`
	Border      string `yaml:"border"`
	SelectedFg  string `yaml:"selected_fg"`
	SelectedBg  string `yaml:"selected_bg"`
	TabActiveFg string `yaml:"tab_active_fg"`
	TabActiveBg string `yaml:"tab_active_bg"`
	TabFg       string `yaml:"tab_fg"`
	StatusFg    string `yaml:"status_fg"`
	StatusBg    string `yaml:"status_bg"`
	Error       string `yaml:"error"`
	OK          string `yaml:"ok"`
	Warn        string `yaml:"warn"`
	// Escaped colours the visible escapes (\x1b, \u202e) in host text so
	// that they stand out from the text around them.
	Escaped string `yaml:"escaped"`

	Priority Priorities `yaml:"priority"`
	// Heat holds the matrix heat scale from fewest to most hits.
	Heat []string `yaml:"heat"`
}

var colourRE = regexp.MustCompile(`^(#[0-9A-Fa-f]{6}|#[0-9A-Fa-f]{3}|[0-9]{1,3})?$`)

// Names returns the names of the embedded themes, sorted.
func Names() []string {
	entries, _ := files.ReadDir(".")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Load returns the embedded theme called name, or, when name ends in .yaml
// or .yml, the theme in that file.
func Load(name string) (*Theme, error) {
	if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("load theme %s: %w", name, err)
		}
		return Parse(data, name)
	}
	data, err := files.ReadFile(name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("unknown theme %q: choose one of %s or a .yaml file", name, strings.Join(Names(), ", "))
	}
	return Parse(data, name)
}

// Parse decodes and checks a theme file; src names it in errors.
func Parse(data []byte, src string) (*Theme, error) {
	var t Theme
	if err := yaml.UnmarshalWithOptions(data, &t, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("theme %s: %w", src, err)
	}
	if t.Name == "" {
		return nil, fmt.Errorf("theme %s: missing name", src)
	}
	for field, c := range t.colours() {
		if !colourRE.MatchString(c) {
			return nil, fmt.Errorf("theme %s: %s: %q is not a colour (want #RRGGBB or an ANSI number)", src, field, c)
		}
		if t.Monochrome && c != "" {
			return nil, fmt.Errorf("theme %s: %s: a monochrome theme has no colours", src, field)
		}
	}
	return &t, nil
}

// colours lists every colour field by its YAML name, for validation.
func (t *Theme) colours() map[string]string {
	m := map[string]string{
		"text": t.Text, "muted": t.Muted, "accent": t.Accent, "border": t.Border,
		"selected_fg": t.SelectedFg, "selected_bg": t.SelectedBg,
		"tab_active_fg": t.TabActiveFg, "tab_active_bg": t.TabActiveBg, "tab_fg": t.TabFg,
		"status_fg": t.StatusFg, "status_bg": t.StatusBg,
		"error": t.Error, "ok": t.OK, "warn": t.Warn, "escaped": t.Escaped,
		"priority.emergency": t.Priority.Emergency, "priority.alert": t.Priority.Alert,
		"priority.critical": t.Priority.Critical, "priority.error": t.Priority.Error,
		"priority.warning": t.Priority.Warning, "priority.notice": t.Priority.Notice,
		"priority.informational": t.Priority.Informational, "priority.debug": t.Priority.Debug,
	}
	for i, h := range t.Heat {
		m[fmt.Sprintf("heat[%d]", i)] = h
	}
	return m
}

// Choose returns the theme name to use: NO_COLOR (set and non-empty, as
// no-color.org says) forces monochrome unless a theme was asked for
// explicitly; otherwise the requested name, or Default.
func Choose(requested string, noColor bool) string {
	switch {
	case requested != "":
		return requested
	case noColor:
		return Monochrome
	}
	return Default
}
