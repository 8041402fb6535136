package ui

import (
	"fmt"
	"sort"
	"strings"
	"syscall"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/ttpwatch/ttpwatch/event"
)

// procsPage is the process tree, alerted processes marked.
type procsPage struct {
	cur         cursor
	listH       int
	alertedOnly bool
	rows        []procRow
	search      string
	prompt      prompt
	// The tree is rebuilt only when the snapshot or the mode changes.
	builtAt     time.Time
	builtAlert  bool
	builtSearch string
	built       bool
}

// procRow is one process in tree order.
type procRow struct {
	p      *event.Process
	prefix string
}

func newProcsPage() *procsPage { return &procsPage{} }

func (p *procsPage) title() string { return "Processes" }
func (p *procsPage) typing() bool  { return p.prompt.active }

func (p *procsPage) keys(m *Model) []key.Binding {
	a := keyAlerted
	if p.alertedOnly {
		a.SetHelp("a", "all processes")
	}
	b := []key.Binding{keyEnter, a, keySearch}
	if m.canKill() {
		b = append(b, keyKill)
	}
	return b
}

// tree orders the snapshot as a tree: roots are processes whose parent is
// not in the snapshot; children follow their parent, by pid. With
// alertedOnly, only alerted processes and their ancestors are kept; with a
// search, only matching processes and their ancestors.
func (m *Model) tree(alertedOnly bool, search string) []procRow {
	byPid := make(map[uint32]*event.Process, len(m.procs))
	for _, p := range m.procs {
		if q, ok := byPid[p.Pid]; !ok || p.StartTime > q.StartTime {
			byPid[p.Pid] = p
		}
	}
	keep := func(*event.Process) bool { return true }
	q := strings.ToLower(search)
	if alertedOnly || q != "" {
		marked := map[uint32]bool{}
		for _, p := range byPid {
			if alertedOnly && m.store.alertCount(keyOf(p)) == 0 {
				continue
			}
			if q != "" && !strings.Contains(strings.ToLower(p.Cmdline), q) &&
				!strings.Contains(strings.ToLower(p.UserName), q) && fmt.Sprint(p.Pid) != q {
				continue
			}
			for q, n := p, 0; q != nil && n < 64 && !marked[q.Pid]; n++ {
				marked[q.Pid] = true
				q = byPid[q.Ppid]
			}
		}
		keep = func(p *event.Process) bool { return marked[p.Pid] }
	}
	children := map[uint32][]*event.Process{}
	var roots []*event.Process
	for _, p := range byPid {
		if !keep(p) {
			continue
		}
		if _, ok := byPid[p.Ppid]; ok && p.Ppid != p.Pid {
			children[p.Ppid] = append(children[p.Ppid], p)
		} else {
			roots = append(roots, p)
		}
	}
	byPidOrder := func(s []*event.Process) {
		sort.Slice(s, func(i, j int) bool { return s[i].Pid < s[j].Pid })
	}
	byPidOrder(roots)
	out := make([]procRow, 0, len(byPid))
	var walk func(p *event.Process, indent string, last bool, depth int)
	walk = func(p *event.Process, indent string, last bool, depth int) {
		branch, next := "├─", "│ "
		if last {
			branch, next = "└─", "  "
		}
		if depth == 0 {
			branch, next = "", ""
		}
		// Deep trees stop indenting so that the command stays readable.
		if depth > 12 {
			branch, next = "…", ""
		}
		out = append(out, procRow{p: p, prefix: indent + branch})
		kids := children[p.Pid]
		byPidOrder(kids)
		for i, c := range kids {
			walk(c, indent+next, i == len(kids)-1, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, "", true, 0)
	}
	return out
}

func (p *procsPage) update(m *Model, k tea.KeyPressMsg) tea.Cmd {
	if p.prompt.active {
		switch {
		case key.Matches(k, keyCancel):
			p.prompt.active = false
		case key.Matches(k, keySubmit):
			p.search, p.prompt.active, p.cur = strings.TrimSpace(p.prompt.value), false, cursor{}
		default:
			p.prompt.edit(k)
			p.search, p.cur = strings.TrimSpace(p.prompt.value), cursor{}
		}
		return nil
	}
	if p.cur.move(k, len(p.rows), p.listH) {
		return nil
	}
	var sel *event.Process
	if p.cur.pos < len(p.rows) {
		sel = p.rows[p.cur.pos].p
	}
	switch {
	case key.Matches(k, keyAlerted):
		p.alertedOnly = !p.alertedOnly
		p.cur = cursor{}
	case key.Matches(k, keyEnter) && sel != nil:
		m.push(newProcPage(sel))
	case key.Matches(k, keyKill) && sel != nil:
		m.askKill(sel)
	case key.Matches(k, keySearch):
		p.prompt.open("search (command, user or pid):", p.search)
	case key.Matches(k, global.Back) && p.search != "":
		p.search, p.cur = "", cursor{}
	}
	return nil
}

func (p *procsPage) view(m *Model, w, h int) []string {
	st := &m.st
	if !p.built || !p.builtAt.Equal(m.procsAt) || p.builtAlert != p.alertedOnly || p.builtSearch != p.search {
		p.rows = m.tree(p.alertedOnly, p.search)
		p.built, p.builtAt, p.builtAlert, p.builtSearch = true, m.procsAt, p.alertedOnly, p.search
	}
	var foot []string
	if p.prompt.active {
		foot = p.prompt.lines(st, w)
	}
	p.listH = max(h-2-len(foot), 1)
	p.cur.clamp(len(p.rows), p.listH)
	alive := 0
	for _, r := range p.rows {
		if r.p.Alive() {
			alive++
		}
	}
	info := st.header.Render("Processes") + fmt.Sprintf("  %d shown, %d running", len(p.rows), alive)
	if p.alertedOnly {
		info += "  " + st.accent.Render("alerted and their ancestors")
	}
	if p.search != "" {
		info += "  " + st.accent.Render("search: ") + safe(p.search)
	}
	userW := 10
	lines := []string{clip(info, w), st.header.Render(fit(fmt.Sprintf("%-3s %7s %s %s", "", "PID", fit("USER", userW), "COMMAND"), w))}
	if len(p.rows) == 0 {
		lines = append(lines, "", st.muted.Render("  No process table attached."))
	}
	for i := p.cur.off; i < len(p.rows) && i < p.cur.off+p.listH; i++ {
		r := p.rows[i]
		n := m.store.alertCount(keyOf(r.p))
		mark := "   "
		if n > 0 {
			mark = fitRight(fmt.Sprintf("!%d", n), 3)
			if n > 99 {
				mark = "!99"
			}
		}
		cmd := safe(r.p.Cmdline)
		if cmd == "" {
			cmd = "[" + safeShort(r.p.Comm) + "]"
		}
		if !r.p.Alive() {
			cmd += " (exited)"
		}
		row := fmt.Sprintf("%s %7d %s %s%s", mark, r.p.Pid, fit(safeShort(userName(r.p)), userW), r.prefix, cmd)
		switch {
		case i == p.cur.pos:
			lines = append(lines, st.selected.Render(fit(row, w)))
		case n > 0:
			lines = append(lines, st.errText.Render(mark)+clip(row[len(mark):], w-len(mark)))
		case !r.p.Alive():
			lines = append(lines, st.dim.Render(clip(row, w)))
		default:
			lines = append(lines, clip(row, w))
		}
	}
	return append(fitH(lines, h-len(foot)), foot...)
}

// canKill reports whether K is available.
func (m *Model) canKill() bool { return !m.opts.ReadOnly && m.deps.Killer != nil }

// askKill asks to send SIGTERM to p, or SIGKILL when it was sent SIGTERM
// already; the question names the pid and the command.
func (m *Model) askKill(p *event.Process) {
	if m.opts.ReadOnly {
		m.setFlash("read-only mode: killing processes is disabled", true)
		return
	}
	if m.deps.Killer == nil {
		m.setFlash("killing processes is not available here (replay?)", true)
		return
	}
	if !p.Alive() {
		m.setFlash(fmt.Sprintf("pid %d has exited", p.Pid), true)
		return
	}
	sig, name := syscall.SIGTERM, "SIGTERM"
	if m.termSent[p.Pid] {
		sig, name = syscall.SIGKILL, "SIGKILL"
	}
	pid, cmd := p.Pid, safe(p.Cmdline)
	m.confirm = &confirmation{
		question: fmt.Sprintf("Send %s to pid %d (%s)?", name, pid, cmd),
		yes: func(m *Model) {
			if err := m.deps.Killer.Kill(pid, sig); err != nil {
				m.setFlash(fmt.Sprintf("kill %d: %v", pid, err), true)
				return
			}
			if sig == syscall.SIGTERM {
				m.termSent[pid] = true
				m.setFlash(fmt.Sprintf("sent SIGTERM to %d; K again offers SIGKILL", pid), false)
			} else {
				m.setFlash(fmt.Sprintf("sent SIGKILL to %d", pid), false)
			}
		},
	}
}

// newProcPage is the drill-down of one process: identity, ancestry to
// pid 1, children, recent events and alerts; K kills it.
func newProcPage(p *event.Process) *docPage {
	d := &docPage{name: fmt.Sprintf("pid %d", p.Pid)}
	d.more = func(m *Model) []key.Binding {
		if m.canKill() {
			return []key.Binding{keyKill}
		}
		return nil
	}
	d.extra = func(m *Model, k tea.KeyPressMsg) bool {
		if key.Matches(k, keyKill) {
			m.askKill(m.current(p))
			return true
		}
		return false
	}
	d.build = func(m *Model, w int) []docLine {
		return m.procDoc(m.current(p), w)
	}
	return d
}

// current returns the table's entry for p's image if there is a newer one
// for the same process (exit state), else p.
func (m *Model) current(p *event.Process) *event.Process {
	if m.deps.Procs != nil {
		if q := m.deps.Procs.Process(p.Pid); q != nil && q.StartTime == p.StartTime {
			return q
		}
	}
	return p
}

// parentOf returns p's parent entry from the pointer or the table.
func (m *Model) parentOf(p *event.Process) *event.Process {
	if p.Parent != nil {
		return p.Parent
	}
	if m.deps.Procs != nil && p.Ppid != 0 && p.Ppid != p.Pid {
		return m.deps.Procs.Process(p.Ppid)
	}
	return nil
}

func (m *Model) procDoc(p *event.Process, w int) []docLine {
	st := &m.st
	var out []docLine
	add := func(s string, open func(*Model)) { out = append(out, docLine{text: s, open: open}) }
	openProc := func(q *event.Process) func(*Model) {
		return func(m *Model) { m.push(newProcPage(q)) }
	}
	state := st.ok.Render("running")
	if !p.Alive() {
		state = st.warn.Render(fmt.Sprintf("exited %s code %d",
			time.Unix(0, p.ExitTime.Load()).Format("15:04:05"), p.ExitCode.Load()))
	}
	add(st.header.Render(fmt.Sprintf("%d %s", p.Pid, safeShort(p.Comm)))+"  "+state, nil)
	kv := func(k, v string) {
		lines := wrap(v, max(w-11, 10))
		for i, l := range lines {
			if i == 0 {
				add(st.muted.Render(fit(k, 10))+" "+l, nil)
			} else {
				add(strings.Repeat(" ", 11)+l, nil)
			}
		}
	}
	kv("pid", fmt.Sprintf("%d  ppid %d  sid %d  vpid %d", p.Pid, p.Ppid, p.Sid, p.Vpid))
	kv("user", fmt.Sprintf("%s (%d)  group %s (%d)  login %s", safeShort(userName(p)), p.Uid, safeShort(p.GroupName), p.Gid, safeShort(p.LoginName)))
	kv("exe", safe(p.ExePath))
	kv("cmdline", safe(p.Cmdline))
	kv("cwd", safe(p.Cwd))
	tty := "none"
	if p.Tty != 0 {
		major, minor := p.Tty>>8&0xfff, p.Tty&0xff|p.Tty>>12&0xfff00
		tty = fmt.Sprintf("%d:%d", major, minor)
		if major >= 136 && major <= 143 { // Unix98 pseudo-terminals
			tty = fmt.Sprintf("pts/%d", (major-136)<<8|minor)
		}
	}
	kv("tty", tty)
	kv("container", safeShort(p.ContainerID))
	kv("started", time.Unix(0, p.StartTime).Format("2006-01-02 15:04:05"))

	add("", nil)
	add(st.header.Render("Ancestry"), nil)
	var chain []*event.Process
	seen := map[uint32]bool{p.Pid: true}
	for q := m.parentOf(p); q != nil && !seen[q.Pid] && len(chain) < 64; q = m.parentOf(q) {
		seen[q.Pid] = true
		chain = append(chain, q)
		if q.Pid == 1 {
			break
		}
	}
	if len(chain) == 0 {
		add(st.muted.Render("  no known parent"), nil)
	}
	// Oldest ancestor first, each generation indented under its parent.
	for i := len(chain) - 1; i >= 0; i-- {
		q := chain[i]
		add(treeLine(len(chain)-1-i, q.Pid, safe(q.Cmdline)), openProc(q))
	}
	add(st.header.Render(treeLine(len(chain), p.Pid, safe(p.Cmdline))), nil)

	add("", nil)
	var kids []*event.Process
	if m.deps.Procs != nil {
		kids = m.deps.Procs.Children(p.Pid)
	}
	add(st.header.Render(fmt.Sprintf("Children (%d)", len(kids))), nil)
	sort.Slice(kids, func(i, j int) bool { return kids[i].Pid < kids[j].Pid })
	for _, c := range kids {
		s := fmt.Sprintf("  %7d %s", c.Pid, safe(c.Cmdline))
		if !c.Alive() {
			s += " (exited)"
		}
		add(s, openProc(c))
	}

	h := m.store.history(keyOf(p), false)
	add("", nil)
	var alerts []uint64
	if h != nil {
		alerts = h.recentAlerts()
	}
	n := 0
	if h != nil {
		n = h.nAlerts
	}
	add(st.header.Render(fmt.Sprintf("Alerts (%d)", n)), nil)
	for _, seq := range alerts {
		rec, ok := m.store.alerts.get(seq)
		if !ok {
			continue
		}
		v := rec.display(m.cat)
		add(fmt.Sprintf("  %s %s %s %s", v.time.Format("15:04:05"), st.priority(v.prio).Render(priorityAbbrev(v.prio)), v.rule, st.accent.Render(v.tech)), nil)
	}
	add("", nil)
	var evs []*event.Event
	if h != nil {
		evs = h.recentEvents()
	}
	add(st.header.Render(fmt.Sprintf("Recent events (%d)", len(evs))), nil)
	for _, e := range evs {
		add("  "+time.Unix(0, e.Time).Format("15:04:05.000")+" "+summary(e), nil)
	}
	return out
}

// treeLine is one line of the ancestry chain at a depth.
func treeLine(depth int, pid uint32, cmd string) string {
	branch := ""
	if depth > 0 {
		branch = strings.Repeat("  ", min(depth-1, 12)) + "└─"
	}
	return fmt.Sprintf("  %s%d %s", branch, pid, cmd)
}
