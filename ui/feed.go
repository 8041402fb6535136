package ui

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset/condition"
)

// feedPage is the live feed: alerts (or, in raw mode, every sensor event)
// newest first, with follow, pause, a detail pane and a filter written in
// the rule condition language.
type feedPage struct {
	raw    bool
	follow bool
	paused bool
	// pausedAt is the ring position (alerts and events) when paused: the
	// list shows nothing newer.
	pausedAt, pausedEvAt uint64
	detail               bool
	cur                  cursor
	sel                  uint64 // selected seq when not following

	filterText string
	filter     func(*event.Event) bool
	// matches hold the seqs that pass the filter, oldest first; scanned
	// is how far each ring has been scanned.
	matches, matchesEv []uint64
	scanned, scannedEv uint64
	prompt             prompt
	listH              int
}

func newFeed() *feedPage { return &feedPage{follow: true, detail: true} }

func (f *feedPage) title() string {
	if f.raw {
		return "Events"
	}
	return "Alerts"
}

func (f *feedPage) typing() bool { return f.prompt.active }

func (f *feedPage) keys(m *Model) []key.Binding {
	pause := keyPause
	if f.paused {
		pause.SetHelp("space", "resume")
	}
	raw := keyRaw
	if f.raw {
		raw.SetHelp("r", "alerts")
	}
	return []key.Binding{keyEnter, pause, keyFilter, raw, keyDetail, keyFollow}
}

// list returns the number of rows and the seq of row i (0 = newest) of
// the current mode, after bringing the filter up to date.
func (f *feedPage) list(m *Model) (int, func(int) uint64) {
	var next, oldest, top uint64
	var matches *[]uint64
	var scanned *uint64
	if f.raw {
		next, oldest, top = m.store.events.next, m.store.events.oldest(), f.pausedEvAt
		matches, scanned = &f.matchesEv, &f.scannedEv
	} else {
		next, oldest, top = m.store.alerts.next, m.store.alerts.oldest(), f.pausedAt
		matches, scanned = &f.matches, &f.scanned
	}
	if !f.paused {
		top = next
	}
	if f.filter == nil {
		top = max(top, oldest)
		return int(top - oldest), func(i int) uint64 { return top - 1 - uint64(i) }
	}
	// Bring the matches up to date, then drop the evicted ones.
	for seq := max(*scanned, oldest); seq < next; seq++ {
		if e := f.eventOf(m, seq); e != nil && f.filter(e) {
			*matches = append(*matches, seq)
		}
	}
	*scanned = next
	drop := sort.Search(len(*matches), func(i int) bool { return (*matches)[i] >= oldest })
	if drop > 0 {
		*matches = append((*matches)[:0], (*matches)[drop:]...)
	}
	ms := *matches
	n := sort.Search(len(ms), func(i int) bool { return ms[i] >= top })
	return n, func(i int) uint64 { return ms[n-1-i] }
}

// eventOf returns the event of an alert or raw event seq.
func (f *feedPage) eventOf(m *Model, seq uint64) *event.Event {
	if f.raw {
		e, _ := m.store.events.get(seq)
		return e
	}
	if rec, ok := m.store.alerts.get(seq); ok {
		return rec.a.Event
	}
	return nil
}

// selected returns the seq of the selected row.
func (f *feedPage) selected(m *Model) (uint64, bool) {
	n, at := f.list(m)
	if n == 0 {
		return 0, false
	}
	f.sync(n, at)
	return at(f.cur.pos), true
}

// sync places the cursor: on the newest row when following, else on the
// row of the selected seq (which moves down as new rows arrive).
func (f *feedPage) sync(n int, at func(int) uint64) {
	switch {
	case n == 0:
		f.cur = cursor{}
		return
	case f.follow:
		f.cur.pos = 0
	default:
		// Rows are in descending seq order: find the selected one.
		i := sort.Search(n, func(i int) bool { return at(i) <= f.sel })
		f.cur.pos = i
	}
	f.cur.clamp(n, f.listH)
	f.sel = at(f.cur.pos)
}

func (f *feedPage) update(m *Model, k tea.KeyPressMsg) tea.Cmd {
	if f.prompt.active {
		f.promptKey(m, k)
		return nil
	}
	n, at := f.list(m)
	f.sync(n, at)
	if f.cur.move(k, n, f.listH) {
		if n > 0 {
			f.sel = at(f.cur.pos)
		}
		f.follow = f.cur.pos == 0 && !f.paused
		return nil
	}
	switch {
	case key.Matches(k, keyPause):
		f.paused = !f.paused
		if f.paused {
			f.pausedAt, f.pausedEvAt = m.store.alerts.next, m.store.events.next
		}
		f.follow = !f.paused && f.cur.pos == 0
	case key.Matches(k, keyFollow):
		f.follow, f.paused = true, false
	case key.Matches(k, keyDetail):
		f.detail = !f.detail
	case key.Matches(k, keyRaw):
		f.raw = !f.raw
		f.follow, f.cur = true, cursor{}
		if m.deps.RawEvents != nil {
			m.deps.RawEvents(f.raw)
		}
	case key.Matches(k, keyFilter):
		f.prompt.open("filter:", f.filterText)
	case key.Matches(k, keyEnter):
		seq, ok := f.selected(m)
		if !ok {
			return nil
		}
		if e := f.eventOf(m, seq); e != nil && e.Proc != nil {
			m.push(newProcPage(e.Proc))
		} else {
			m.setFlash("no process for this row", true)
		}
	case key.Matches(k, global.Back) && f.filter != nil:
		f.setFilter("", nil)
		m.setFlash("filter cleared", false)
	}
	return nil
}

// promptKey edits or applies the filter.
func (f *feedPage) promptKey(m *Model, k tea.KeyPressMsg) {
	switch {
	case key.Matches(k, keyCancel):
		f.prompt.active = false
	case key.Matches(k, keySubmit):
		text := strings.TrimSpace(f.prompt.value)
		if text == "" {
			f.setFilter("", nil)
			f.prompt.active = false
			return
		}
		if m.deps.Filter == nil {
			f.prompt.err = "filtering needs the rule compiler, which this build did not wire in"
			return
		}
		fn, err := m.deps.Filter(text)
		if err != nil {
			f.prompt.err = err.Error()
			f.prompt.errAt = -1
			var ce *condition.Error
			if errors.As(err, &ce) {
				// Offsets are into the trimmed text: point into the value.
				f.prompt.errAt = int(ce.Offset) + strings.Index(f.prompt.value, text)
			}
			return
		}
		f.setFilter(text, fn)
		f.prompt.active = false
	default:
		f.prompt.edit(k)
	}
}

func (f *feedPage) setFilter(text string, fn func(*event.Event) bool) {
	f.filterText, f.filter = text, fn
	f.matches, f.matchesEv = nil, nil
	f.scanned, f.scannedEv = 0, 0
	f.follow, f.cur = true, cursor{}
}

// columns of the alert list for width w.
type feedCols struct{ time, prio, rule, tech, proc, user, cont int }

func alertCols(w int) feedCols {
	c := feedCols{time: 8, prio: 4, tech: 9, user: 8, cont: 8}
	if w >= 120 {
		c.user, c.cont = 10, 12
	}
	rest := w - c.time - c.prio - c.tech - c.user - c.cont - 6
	c.rule = max(rest*2/5, 10)
	c.proc = max(rest-c.rule, 6)
	return c
}

func (f *feedPage) view(m *Model, w, h int) []string {
	st := &m.st
	var foot []string
	if f.prompt.active {
		foot = f.prompt.lines(st, w)
	}
	n, at := f.list(m)
	bodyH := h - 2 - len(foot)
	detailH := 0
	if f.detail && n > 0 {
		// The list takes what it needs up to half; the detail the rest.
		detailH = bodyH - min(n, bodyH/2)
	}
	f.listH = max(bodyH-detailH, 1)
	f.sync(n, at)

	lines := []string{f.infoLine(m, n, w)}
	if f.raw {
		lines = append(lines, st.header.Render(fit(fmt.Sprintf("%-12s %-10s %7s %-15s %s", "TIME", "TYPE", "PID", "PROCESS", "DETAIL"), w)))
	} else {
		c := alertCols(w)
		lines = append(lines, st.header.Render(fit(strings.Join([]string{
			fit("TIME", c.time), fit("PRI", c.prio), fit("RULE", c.rule), fit("TECH", c.tech),
			fit("PROCESS", c.proc), fit("USER", c.user), fit(contHeader(c.cont), c.cont)}, " "), w)))
	}
	if n == 0 {
		lines = append(lines, "", st.muted.Render(f.emptyText(m)))
	}
	for i := f.cur.off; i < n && i < f.cur.off+f.listH; i++ {
		seq := at(i)
		sel := i == f.cur.pos
		if f.raw {
			lines = append(lines, f.eventRow(m, seq, w, sel))
		} else {
			lines = append(lines, f.alertRow(m, seq, w, sel))
		}
	}
	lines = fitH(lines, 2+f.listH)
	if detailH > 0 {
		lines = append(lines, st.muted.Render(strings.Repeat("─", w)))
		seq := at(f.cur.pos)
		var d []string
		if f.raw {
			d = f.eventDetail(m, seq, w)
		} else {
			d = f.alertDetail(m, seq, w)
		}
		lines = append(lines, fitH(d, detailH-1)...)
	}
	lines = fitH(lines, h-len(foot))
	return append(lines, foot...)
}

// infoLine says what the list shows and in which mode.
func (f *feedPage) infoLine(m *Model, n, w int) string {
	st := &m.st
	var what string
	if f.raw {
		what = fmt.Sprintf("%d shown, %d seen", n, m.store.eventsTotal)
	} else {
		what = fmt.Sprintf("%d shown, %d total", n, m.store.alertsTotal)
	}
	mode := st.ok.Render("FOLLOW")
	switch {
	case f.paused:
		mode = st.warn.Render("PAUSED")
	case !f.follow:
		mode = st.muted.Render("SCROLL")
	}
	s := st.header.Render(f.title()) + "  " + what + "  " + mode
	if f.filterText != "" {
		s += "  " + st.accent.Render("filter: ") + safe(f.filterText)
	}
	return clip(s, w)
}

func (f *feedPage) emptyText(m *Model) string {
	switch {
	case f.filter != nil:
		return "  Nothing matches the filter. esc clears it."
	case f.raw:
		return "  No events yet."
	}
	return "  No alerts yet. r shows every sensor event; 3 opens the rules."
}

func (f *feedPage) alertRow(m *Model, seq uint64, w int, sel bool) string {
	rec, ok := m.store.alerts.get(seq)
	if !ok {
		return ""
	}
	v := rec.display(m.cat)
	c := alertCols(w)
	cells := []string{
		fit(v.time.Format("15:04:05"), c.time),
		fit(priorityAbbrev(v.prio), c.prio),
		fit(v.rule, c.rule),
		fit(v.tech, c.tech),
		fit(v.cmdline, c.proc),
		fit(v.user, c.user),
		fit(v.container, c.cont),
	}
	if sel {
		return m.st.selected.Render(fit(strings.Join(cells, " "), w))
	}
	cells[1] = m.st.priority(v.prio).Render(cells[1])
	cells[0] = m.st.muted.Render(cells[0])
	return strings.Join(cells, " ")
}

func (f *feedPage) alertDetail(m *Model, seq uint64, w int) []string {
	rec, ok := m.store.alerts.get(seq)
	if !ok {
		return nil
	}
	st := &m.st
	v := rec.display(m.cat)
	lines := []string{st.header.Render(v.rule) + "  " + st.priority(v.prio).Render(v.prio.String()) +
		"  " + st.muted.Render(v.time.Format("2006-01-02 15:04:05.000"))}
	for _, t := range techniqueLines(v) {
		lines = append(lines, st.accent.Render(t))
	}
	lines = append(lines, wrap(v.output, w)...)
	if e := rec.a.Event; e != nil && e.Proc != nil {
		p := e.Proc
		parent := ""
		if pp := m.parentOf(p); pp != nil {
			parent = " (" + safeShort(pp.Comm) + ")"
		}
		lines = append(lines, fmt.Sprintf("pid %d  ppid %d%s  user %s  container %s", p.Pid, p.Ppid, parent, v.user, v.container))
	}
	keyW := 0
	for _, kv := range v.fields {
		keyW = max(keyW, len(kv[0]))
	}
	keyW = min(keyW, 24)
	for _, kv := range v.fields {
		// Long values wrap under themselves rather than being cut.
		for i, l := range wrap(kv[1], max(w-keyW-1, 10)) {
			k := strings.Repeat(" ", keyW)
			if i == 0 {
				k = fit(kv[0], keyW)
			}
			lines = append(lines, st.muted.Render(k)+" "+l)
		}
	}
	lines = append(lines, st.muted.Render("tags ")+v.tags)
	return lines
}

func (f *feedPage) eventRow(m *Model, seq uint64, w int, sel bool) string {
	e, ok := m.store.events.get(seq)
	if !ok || e == nil {
		return ""
	}
	var pid uint32
	comm := "?"
	if e.Proc != nil {
		pid, comm = e.Proc.Pid, safeShort(e.Proc.Comm)
	}
	row := fmt.Sprintf("%-12s %-10s %7d %s %s", time.Unix(0, e.Time).Format("15:04:05.000"),
		e.Type, pid, fit(comm, 15), summary(e))
	if sel {
		return m.st.selected.Render(fit(row, w))
	}
	return clip(row, w)
}

func (f *feedPage) eventDetail(m *Model, seq uint64, w int) []string {
	e, ok := m.store.events.get(seq)
	if !ok || e == nil {
		return nil
	}
	st := &m.st
	lines := []string{st.header.Render(e.Type.String()) + fmt.Sprintf("  #%d  res %d  ", e.Num, e.Res) +
		st.muted.Render(time.Unix(0, e.Time).Format("2006-01-02 15:04:05.000000"))}
	lines = append(lines, wrap(summary(e), w)...)
	if p := e.Proc; p != nil {
		lines = append(lines, fmt.Sprintf("pid %d  ppid %d  user %s  container %s", p.Pid, p.Ppid, safeShort(userName(p)), safeShort(p.ContainerID)))
		lines = append(lines, wrap(st.muted.Render("cmdline ")+safe(p.Cmdline), w)...)
	}
	if e.Path != "" {
		lines = append(lines, st.muted.Render("path ")+safe(e.Path))
	}
	if e.Path2 != "" {
		lines = append(lines, st.muted.Render("path2 ")+safe(e.Path2))
	}
	return lines
}

// contHeader is the container column's title for its width.
func contHeader(w int) string {
	if w >= len("CONTAINER") {
		return "CONTAINER"
	}
	return "CTR"
}
