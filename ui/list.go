package ui

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// cursor is a selection in a list of n rows shown h rows at a time.
type cursor struct {
	pos, off int
}

// move handles the navigation keys; it reports whether k was one.
func (c *cursor) move(k tea.KeyPressMsg, n, h int) bool {
	page := max(h-1, 1)
	switch {
	case key.Matches(k, nav.Up):
		c.pos--
	case key.Matches(k, nav.Down):
		c.pos++
	case key.Matches(k, nav.PageUp):
		c.pos -= page
	case key.Matches(k, nav.PageDown):
		c.pos += page
	case key.Matches(k, nav.Home):
		c.pos = 0
	case key.Matches(k, nav.End):
		c.pos = n - 1
	default:
		return false
	}
	c.clamp(n, h)
	return true
}

// clamp keeps the cursor inside the list and its row on screen.
func (c *cursor) clamp(n, h int) {
	c.pos = max(min(c.pos, n-1), 0)
	h = max(h, 1)
	if c.pos < c.off {
		c.off = c.pos
	}
	if c.pos >= c.off+h {
		c.off = c.pos - h + 1
	}
	c.off = max(min(c.off, n-h), 0)
}

// prompt is a one-line text input. It is deliberately small (no blinking
// cursor) so that its rendering is deterministic.
type prompt struct {
	label  string
	value  string
	err    string // shown under the prompt, e.g. a filter compile error
	errAt  int    // byte offset into value the error points at, or -1
	active bool
}

// open activates the prompt with an initial value.
func (p *prompt) open(label, value string) {
	p.label, p.value, p.err, p.errAt, p.active = label, value, "", -1, true
}

// edit applies a key to the value; it reports whether the key was used.
func (p *prompt) edit(k tea.KeyPressMsg) bool {
	switch k.String() {
	case "backspace", "ctrl+h":
		if p.value != "" {
			_, size := utf8.DecodeLastRuneInString(p.value)
			p.value = p.value[:len(p.value)-size]
		}
		return true
	case "ctrl+u":
		p.value = ""
		return true
	case "ctrl+w":
		v := []rune(p.value)
		i := len(v)
		for i > 0 && v[i-1] == ' ' {
			i--
		}
		for i > 0 && v[i-1] != ' ' {
			i--
		}
		p.value = string(v[:i])
		return true
	}
	if k.Text != "" && k.Mod&^tea.ModShift == 0 {
		p.value += k.Text
		p.err, p.errAt = "", -1
		return true
	}
	return false
}

// lines renders the prompt and its error, escaped, for width w.
func (p *prompt) lines(st *styles, w int) []string {
	out := []string{clip(st.accent.Render(p.label)+" "+safe(p.value)+st.accent.Render("▏"), w)}
	if p.err != "" && p.errAt >= 0 && p.errAt <= len(p.value) {
		// A caret under the offending column of the escaped value.
		col := ansi.StringWidth(p.label) + 1 + ansi.StringWidth(safe(p.value[:p.errAt]))
		if col < w {
			out = append(out, strings.Repeat(" ", col)+st.errText.Render("^"))
		}
	}
	if p.err != "" {
		for _, l := range wrap(safe(p.err), w) {
			out = append(out, st.errText.Render(l))
		}
	}
	return out
}
