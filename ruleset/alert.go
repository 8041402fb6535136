package ruleset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ttpwatch/ttpwatch/event"
)

// Detection is an alert: one rule match made durable, with the formatted
// output, the typed output fields and a clone of the event. It marshals to
// Falco's JSON alert. (It cannot be called Alert: that name is the Alert
// priority.)
type Detection struct {
	Time     time.Time
	Rule     *Rule
	Priority Priority
	// Output is Falco's output line: "HH:MM:SS.nnnnnnnnn: Priority " and the
	// rule's formatted output (time in UTC). Raw: escape before printing.
	Output string
	// OutputFields holds every %field of the output plus evt.time (ns),
	// typed: strings, int64, bool, or nil when unavailable.
	OutputFields map[string]any
	Tags         []string
	Hostname     string
	// Source is "syscall" for rule alerts.
	Source string
	// Event is a clone of the matched event (nil for internal alerts).
	Event *event.Event
}

// NewAlert builds the alert of a match. It formats the output and clones the
// event, so it may be kept after the engine reuses the event.
func NewAlert(m Match, hostname string) *Detection {
	ev := m.Event
	t := time.Unix(0, ev.Time).UTC()
	tags := m.Rule.Tags
	if tags == nil {
		tags = []string{}
	}
	return &Detection{
		Time:         t,
		Rule:         m.Rule,
		Priority:     m.Rule.Priority,
		Output:       outputLine(t, m.Rule.Priority, m.Rule.FormatOutput(ev)),
		OutputFields: m.Rule.outputFieldValues(ev),
		Tags:         tags,
		Hostname:     hostname,
		Source:       "syscall",
		Event:        ev.Clone(),
	}
}

// outputLine prefixes the output as Falco does: time and priority.
func outputLine(t time.Time, p Priority, out string) string {
	return t.Format("15:04:05.000000000") + ": " + p.String() + " " + out
}

// alertJSON is Falco's alert shape, keys in the order Falco (nlohmann::json,
// sorted keys) prints them.
type alertJSON struct {
	Hostname     string         `json:"hostname"`
	Output       string         `json:"output"`
	OutputFields map[string]any `json:"output_fields"`
	Priority     string         `json:"priority"`
	Rule         string         `json:"rule"`
	Source       string         `json:"source"`
	Tags         []string       `json:"tags"`
	Time         string         `json:"time"`
}

// timeLayout is RFC 3339 with nanoseconds always printed, as Falco does.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// MarshalJSON encodes the alert in Falco's JSON output shape, so
// falcosidekick and jq pipelines take it unchanged. Note that json.Marshal
// re-escapes <, > and & in the result (\u003c); JSON writes the bytes Falco
// writes.
func (a *Detection) MarshalJSON() ([]byte, error) { return a.JSON() }

// JSON encodes the alert as one line of Falco's JSON output (no trailing
// newline), without HTML escaping, as Falco prints it.
func (a *Detection) JSON() ([]byte, error) {
	name := ""
	if a.Rule != nil {
		name = a.Rule.Name
	}
	fields := a.OutputFields
	if len(fields) == 0 {
		// Never empty: consumers index output_fields["evt.time"].
		fields = map[string]any{"evt.time": a.Time.UnixNano()}
	}
	tags := a.Tags
	if tags == nil {
		tags = []string{}
	}
	src := a.Source
	if src == "" {
		src = "syscall"
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(alertJSON{
		Hostname:     a.Hostname,
		Output:       a.Output,
		OutputFields: fields,
		Priority:     a.Priority.String(),
		Rule:         name,
		Source:       src,
		Tags:         tags,
		Time:         a.Time.UTC().Format(timeLayout),
	})
	if err != nil {
		return nil, fmt.Errorf("encode alert of rule %q: %w", name, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// DropRuleName is the rule name of the internal alert raised when events
// are dropped; Falco's equivalent is "Falco internal: syscall event drop".
const DropRuleName = "ttpwatch internal: event drops"

// DropRule is the pseudo-rule internal drop alerts refer to. Falco emits its
// drop alert at Debug, below most minimum priorities, which hides exactly the
// problem it reports; ttpwatch raises it as Critical.
var DropRule = &Rule{
	Name:     DropRuleName,
	Desc:     "Events were lost between the kernel and the rule engine; detections may have been missed.",
	Priority: Critical,
	Tags:     []string{"internal"},
	Enabled:  true,
	Source:   "syscall",
}

// Drops counts events lost at each stage during an interval.
type Drops struct {
	Kernel   uint64 // BPF ring buffer reservations that failed
	Queue    uint64 // pipeline queue overflows
	UI       uint64 // ui ring overflows (alerts and events the ui skipped)
	Events   uint64 // events received in the same interval
	Interval time.Duration
}

// Total returns the events lost before the rule engine saw them (kernel and
// queue); ui drops lose no detections and are reported apart.
func (d Drops) Total() uint64 { return d.Kernel + d.Queue }

// NewDropAlert builds the internal alert for drops, shaped like Falco's
// "Falco internal: syscall event drop" (output_fields n_drops, n_evts and
// per-stage counts, all numbers).
func NewDropAlert(at time.Time, hostname string, d Drops) *Detection {
	at = at.UTC()
	msg := fmt.Sprintf("%s. %d events dropped in the last %s (kernel=%d queue=%d ui=%d, %d events received).",
		DropRuleName, d.Total(), d.Interval, d.Kernel, d.Queue, d.UI, d.Events)
	return &Detection{
		Time:     at,
		Rule:     DropRule,
		Priority: DropRule.Priority,
		Output:   outputLine(at, DropRule.Priority, msg),
		OutputFields: map[string]any{
			"evt.time":       at.UnixNano(),
			"n_drops":        d.Total(),
			"n_drops_kernel": d.Kernel,
			"n_drops_queue":  d.Queue,
			"n_drops_ui":     d.UI,
			"n_evts":         d.Events,
		},
		Tags:     append([]string(nil), DropRule.Tags...),
		Hostname: hostname,
		Source:   "syscall",
	}
}
