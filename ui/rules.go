package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/ttpwatch/ttpwatch/attack"
)

// rulesPage lists every loaded rule; space toggles a rule live.
type rulesPage struct {
	cur    cursor
	listH  int
	search string
	prompt prompt
	// promptKind says what the prompt is for: "search", "enable" or
	// "disable" (a tag).
	promptKind string
}

func newRulesPage() *rulesPage { return &rulesPage{} }

func (r *rulesPage) title() string { return "Rules" }
func (r *rulesPage) typing() bool  { return r.prompt.active }

func (r *rulesPage) keys(m *Model) []key.Binding {
	return []key.Binding{keyToggle, keyEnter, keySearch, keySave, keyTagEnable, keyTagDisable}
}

// visible returns the indexes into m.rules that match the search.
func (r *rulesPage) visible(m *Model) []int {
	q := strings.ToLower(r.search)
	out := make([]int, 0, len(m.rules))
	for i, ru := range m.rules {
		if q == "" || strings.Contains(strings.ToLower(ru.Name), q) ||
			strings.Contains(strings.ToLower(strings.Join(ru.Tags, " ")), q) ||
			strings.Contains(strings.ToLower(ru.Desc), q) {
			out = append(out, i)
		}
	}
	return out
}

func (r *rulesPage) update(m *Model, k tea.KeyPressMsg) tea.Cmd {
	if r.prompt.active {
		r.promptKey(m, k)
		return nil
	}
	vis := r.visible(m)
	if r.cur.move(k, len(vis), r.listH) {
		return nil
	}
	var sel *RuleInfo
	if r.cur.pos < len(vis) {
		sel = &m.rules[vis[r.cur.pos]]
	}
	switch {
	case key.Matches(k, keyToggle) && sel != nil:
		m.toggleRule(sel.Name, !sel.Enabled)
	case key.Matches(k, keyEnter) && sel != nil:
		m.push(newRulePage(sel.Name))
	case key.Matches(k, keySearch):
		r.promptKind = "search"
		r.prompt.open("search:", r.search)
	case key.Matches(k, keySave):
		m.saveOverrides()
	case key.Matches(k, keyTagEnable, keyTagDisable):
		r.promptKind = "enable"
		if key.Matches(k, keyTagDisable) {
			r.promptKind = "disable"
		}
		tag := ""
		if sel != nil && len(sel.Tags) > 0 {
			tag = sel.Tags[0]
		}
		r.prompt.open(r.promptKind+" every rule tagged:", tag)
	case key.Matches(k, global.Back) && r.search != "":
		r.search = ""
	}
	return nil
}

func (r *rulesPage) promptKey(m *Model, k tea.KeyPressMsg) {
	switch {
	case key.Matches(k, keyCancel):
		r.prompt.active = false
	case key.Matches(k, keySubmit):
		v := strings.TrimSpace(r.prompt.value)
		if r.promptKind == "search" {
			r.search, r.prompt.active, r.cur = v, false, cursor{}
			return
		}
		if v == "" {
			r.prompt.err = "type a tag, e.g. mitre_impact or T1490"
			return
		}
		if m.setTag(v, r.promptKind == "enable") {
			r.prompt.active = false
		}
	default:
		r.prompt.edit(k)
		if r.promptKind == "search" {
			// Search as you type.
			r.search, r.cur = strings.TrimSpace(r.prompt.value), cursor{}
		}
	}
}

// toggleRule switches a rule live and refreshes the snapshot.
func (m *Model) toggleRule(name string, on bool) {
	if m.deps.Rules == nil {
		m.setFlash("no rule engine attached", true)
		return
	}
	if err := m.deps.Rules.SetEnabled(name, on); err != nil {
		m.setFlash(fmt.Sprintf("toggle %q: %v", name, err), true)
		return
	}
	state := "disabled"
	if on {
		state = "enabled"
	}
	m.setFlash(fmt.Sprintf("%s %q (s saves the toggles)", state, name), false)
	m.refreshRules()
}

// setTag switches every rule with a tag; it reports success.
func (m *Model) setTag(tag string, on bool) bool {
	if m.deps.Rules == nil {
		m.setFlash("no rule engine attached", true)
		return false
	}
	n, err := m.deps.Rules.SetTagEnabled(tag, on)
	if err != nil {
		m.setFlash(fmt.Sprintf("tag %q: %v", tag, err), true)
		return false
	}
	state := "disabled"
	if on {
		state = "enabled"
	}
	m.setFlash(fmt.Sprintf("%s %d rules tagged %q", state, n, tag), false)
	m.refreshRules()
	return true
}

// ruleTechs is the techniques column of a rule, cached by tag list.
func (m *Model) ruleTechs(tags []string) string {
	k := strings.Join(tags, "\x00")
	if m.techCache == nil {
		m.techCache = map[string]string{}
	}
	if s, ok := m.techCache[k]; ok {
		return s
	}
	mp := m.cat.MapTags(tags)
	ids := make([]string, len(mp.Techniques))
	for i, t := range mp.Techniques {
		ids[i] = t.ID
	}
	s := strings.Join(ids, ",")
	if s == "" {
		var names []string
		for _, ta := range mp.Named {
			names = append(names, ta.ShortName)
		}
		s = strings.Join(names, ",")
	}
	if s == "" {
		s = "-"
	}
	m.techCache[k] = s
	return s
}

func (r *rulesPage) view(m *Model, w, h int) []string {
	st := &m.st
	var foot []string
	if r.prompt.active {
		foot = r.prompt.lines(st, w)
	}
	vis := r.visible(m)
	r.listH = max(h-2-len(foot), 1)
	r.cur.clamp(len(vis), r.listH)
	on := 0
	for _, ru := range m.rules {
		if ru.Enabled {
			on++
		}
	}
	info := st.header.Render("Rules") + fmt.Sprintf("  %d enabled of %d", on, len(m.rules))
	if r.search != "" {
		info += fmt.Sprintf("  %s%s (%d match)", st.accent.Render("search: "), safe(r.search), len(vis))
	}
	techW, hitsW, lastW := 14, 6, 8
	if w >= 120 {
		techW = 24
	}
	nameW := max(w-4-5-techW-hitsW-lastW-4, 10)
	lines := []string{clip(info, w), st.header.Render(fit(fmt.Sprintf("%-3s %-4s %s %s %s %s", "ON", "PRI",
		fit("NAME", nameW), fit("TECHNIQUES", techW), fitRight("HITS", hitsW), fit("LAST", lastW)), w))}
	if len(m.rules) == 0 {
		lines = append(lines, "", st.muted.Render("  No rules loaded."))
	}
	for i := r.cur.off; i < len(vis) && i < r.cur.off+r.listH; i++ {
		ru := &m.rules[vis[i]]
		mark := "[ ]"
		if ru.Enabled {
			mark = "[x]"
		}
		last := "-"
		if !ru.LastHit.IsZero() {
			last = ru.LastHit.Format("15:04:05")
		}
		cells := []string{mark, fit(priorityAbbrev(ru.Priority), 4), fit(safeShort(ru.Name), nameW),
			fit(m.ruleTechs(ru.Tags), techW), fitRight(fmt.Sprint(ru.Hits), hitsW), fit(last, lastW)}
		if i == r.cur.pos {
			lines = append(lines, st.selected.Render(fit(strings.Join(cells, " "), w)))
			continue
		}
		if !ru.Enabled {
			lines = append(lines, st.dim.Render(strings.Join(cells, " ")))
			continue
		}
		cells[1] = st.priority(ru.Priority).Render(cells[1])
		cells[0] = st.ok.Render(cells[0])
		lines = append(lines, strings.Join(cells, " "))
	}
	return append(fitH(lines, h-len(foot)), foot...)
}

// ruleByName finds a rule in the snapshot.
func (m *Model) ruleByName(name string) *RuleInfo {
	for i := range m.rules {
		if m.rules[i].Name == name {
			return &m.rules[i]
		}
	}
	return nil
}

// newRulePage is the detail of one rule: description, condition,
// exceptions, compiled form, output, techniques.
func newRulePage(name string) *docPage {
	d := &docPage{name: "rule " + safeShort(name)}
	d.more = func(m *Model) []key.Binding { return []key.Binding{keyToggle} }
	d.extra = func(m *Model, k tea.KeyPressMsg) bool {
		if key.Matches(k, keyToggle) {
			if ru := m.ruleByName(name); ru != nil {
				m.toggleRule(name, !ru.Enabled)
			}
			return true
		}
		return false
	}
	d.build = func(m *Model, w int) []docLine {
		st := &m.st
		ru := m.ruleByName(name)
		if ru == nil {
			return []docLine{{text: st.errText.Render("rule " + safeShort(name) + " is no longer loaded")}}
		}
		var out []docLine
		add := func(s string) { out = append(out, docLine{text: s}) }
		section := func(title, body string) {
			add("")
			add(st.header.Render(title))
			body = strings.TrimSpace(body)
			if body == "" {
				body = "-"
			}
			// Rule texts are multi-line (block scalars): escape line by line
			// so that their newlines stay newlines.
			for _, line := range strings.Split(body, "\n") {
				for _, l := range wrap(safe(strings.TrimRight(line, " \t\r")), w-2) {
					add("  " + l)
				}
			}
		}
		state := st.ok.Render("enabled")
		if !ru.Enabled {
			state = st.errText.Render("disabled")
		}
		add(st.header.Render(safeShort(ru.Name)) + "  " + state + "  " + st.priority(ru.Priority).Render(ru.Priority.String()))
		last := "never"
		if !ru.LastHit.IsZero() {
			last = ru.LastHit.Format("2006-01-02 15:04:05")
		}
		add(fmt.Sprintf("hits %d  last %s  ", ru.Hits, last) + st.muted.Render(fmt.Sprintf("%s:%d", safeShort(ru.File), ru.Line)))
		add(st.muted.Render("tags ") + safe(strings.Join(ru.Tags, ", ")))
		mp := m.cat.MapTags(ru.Tags)
		for _, t := range mp.Techniques {
			add(st.accent.Render(fmt.Sprintf("%s %s", t.ID, t.Name)) + st.muted.Render(" ("+tacticNames(t.Tactics)+")"))
		}
		section("Description", ru.Desc)
		section("Condition", ru.Condition)
		section("Exceptions", ru.Exceptions)
		section("Compiled", ru.Compiled)
		section("Output", ru.Output)
		return out
	}
	return d
}

// tacticNames joins tactic names.
func tacticNames(ts []*attack.Tactic) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	return strings.Join(names, ", ")
}
