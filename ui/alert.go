package ui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ttpwatch/ttpwatch/attack"
	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset"
)

// alertView is the display form of an alert: every host string escaped.
type alertView struct {
	time      time.Time
	rule      string
	prio      ruleset.Priority
	tech      string // the first technique id, "+n" for more
	techs     []*attack.Technique
	tactics   []*attack.Tactic
	pid       uint32
	proc      string
	cmdline   string
	user      string
	container string
	output    string
	fields    [][2]string // name, value; sorted by name
	tags      string
}

// view returns the display form of rec, building it once.
func (rec *alertRec) display(cat *attack.Catalog) *alertView {
	if rec.view != nil {
		return rec.view
	}
	a := rec.a
	v := &alertView{time: a.Time, prio: a.Priority}
	if a.Rule != nil {
		v.rule = safeShort(a.Rule.Name)
	}
	m := cat.MapTags(a.Tags)
	v.techs, v.tactics = m.Techniques, m.Tactics
	// Sub-techniques are more precise: show one first when the tags have both.
	switch len(m.Techniques) {
	case 0:
		v.tech = "-"
	default:
		best := m.Techniques[0]
		for _, t := range m.Techniques {
			if t.IsSub() {
				best = t
				break
			}
		}
		v.tech = best.ID
		if len(m.Techniques) > 1 {
			v.tech += fmt.Sprintf("+%d", len(m.Techniques)-1)
		}
	}
	if e := a.Event; e != nil && e.Proc != nil {
		p := e.Proc
		v.pid = p.Pid
		v.proc = safeShort(p.Comm)
		v.cmdline = safe(p.Cmdline)
		v.user = safeShort(userName(p))
		v.container = safeShort(p.ContainerID)
	}
	out := a.Output
	// Drop Falco's "15:04:05.000000000: Critical " prefix: the columns say it.
	if i := strings.Index(out, ": "+a.Priority.String()+" "); i >= 0 && i < 24 {
		out = out[i+len(a.Priority.String())+3:]
	}
	v.output = safe(out)
	for k, val := range a.OutputFields {
		s := "<NA>"
		if val != nil {
			s = fmt.Sprint(val)
		}
		v.fields = append(v.fields, [2]string{safeShort(k), safe(s)})
	}
	sort.Slice(v.fields, func(i, j int) bool { return v.fields[i][0] < v.fields[j][0] })
	tags := make([]string, len(a.Tags))
	for i, t := range a.Tags {
		tags[i] = safeShort(t)
	}
	v.tags = strings.Join(tags, ", ")
	rec.view = v
	return v
}

// userName is the user name of p, or its uid when the name is unknown.
func userName(p *event.Process) string {
	if p.UserName != "" {
		return p.UserName
	}
	return fmt.Sprint(p.Uid)
}

// techniqueLines describes the alert's techniques with their names and
// tactics, one per line, for the detail pane.
func techniqueLines(v *alertView) []string {
	var out []string
	for _, t := range v.techs {
		var tactics []string
		for _, ta := range t.Tactics {
			tactics = append(tactics, ta.Name)
		}
		out = append(out, fmt.Sprintf("%s %s (%s)", t.ID, t.Name, strings.Join(tactics, ", ")))
	}
	if len(out) == 0 && len(v.tactics) > 0 {
		var tactics []string
		for _, ta := range v.tactics {
			tactics = append(tactics, ta.Name)
		}
		out = append(out, "tactics: "+strings.Join(tactics, ", "))
	}
	return out
}
