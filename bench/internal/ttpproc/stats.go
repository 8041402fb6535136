package ttpproc

import (
	"strconv"
	"strings"
)

// Stats is what the benchmarks read from a `ttpwatch --stats` line:
//
//	ttpwatch stats: 300 events (150.0/s openat=100.0 execve=50.0), 4 alerts (2.0/s), drops kernel=1 queue=2 ui_alerts=3 ui_events=9
//
// The counters are totals since start.
type Stats struct {
	Events, Alerts uint64
	// Drops maps each stage named after "drops" to its count.
	Drops map[string]uint64
}

// DropTotal sums the drops of the named stages.
func (s Stats) DropTotal(stages ...string) uint64 {
	var n uint64
	for _, st := range stages {
		n += s.Drops[st]
	}
	return n
}

// ParseStats parses a stats line; ok is false for any other line.
func ParseStats(line string) (s Stats, ok bool) {
	rest, ok := strings.CutPrefix(line, "ttpwatch stats: ")
	if !ok {
		return Stats{}, false
	}
	ev, rest, ok := leadingCount(rest, " events")
	if !ok {
		return Stats{}, false
	}
	s.Events = ev
	if _, after, found := strings.Cut(rest, "), "); found {
		if al, _, ok := leadingCount(after, " alerts"); ok {
			s.Alerts = al
		}
	}
	_, drops, found := strings.Cut(rest, " drops ")
	if !found {
		return Stats{}, false
	}
	// the drops list ends at the first comma (alert write errors follow)
	drops, _, _ = strings.Cut(drops, ",")
	s.Drops = map[string]uint64{}
	for _, kv := range strings.Fields(drops) {
		k, v, found := strings.Cut(kv, "=")
		if !found {
			return Stats{}, false
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return Stats{}, false
		}
		s.Drops[k] = n
	}
	return s, true
}

// leadingCount parses "<digits><word>..." and returns the number and what
// follows the word.
func leadingCount(s, word string) (uint64, string, bool) {
	num, rest, found := strings.Cut(s, word)
	if !found {
		return 0, "", false
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil {
		return 0, "", false
	}
	return n, rest, true
}
