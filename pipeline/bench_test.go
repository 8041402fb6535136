package pipeline

import (
	"context"
	"net/netip"
	"testing"

	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset"
	"github.com/ttpwatch/ttpwatch/sink"
)

// benchMix is a host's ordinary traffic: mostly opens, some connects and
// process lifecycle, by a few long-lived services and short-lived commands.
func benchMix() []*event.Event {
	mk := func(pid uint32, parent *event.Process, comm, exepath string, uid uint32, user string, args ...string) *event.Process {
		p := &event.Process{Pid: pid, Uid: uid, Euid: uid, Gid: uid, LoginUID: unsetLoginUID, Comm: comm,
			Exe: exepath, ExePath: exepath, Args: args, Cwd: "/", UserName: user, GroupName: user,
			ContainerID: "host", Parent: parent}
		if parent != nil {
			p.Ppid = parent.Pid
		}
		p.ArgLine = join(args)
		p.Cmdline, p.ExeLine = comm, exepath
		if p.ArgLine != "" {
			p.Cmdline += " " + p.ArgLine
			p.ExeLine += " " + p.ArgLine
		}
		return p
	}
	initp := mk(1, nil, "systemd", "/usr/lib/systemd/systemd", 0, "root")
	sshd := mk(700, initp, "sshd", "/usr/sbin/sshd", 0, "root", "-D")
	bash := mk(900, sshd, "bash", "/usr/bin/bash", 1000, "alice")
	nginx := mk(800, initp, "nginx", "/usr/sbin/nginx", 33, "www-data", "-g", "daemon off;")
	git := mk(950, bash, "git", "/usr/bin/git", 1000, "alice", "status")
	ls := mk(951, bash, "ls", "/usr/bin/ls", 1000, "alice", "-la", "/home/alice")
	var evs []*event.Event
	add := func(ev *event.Event) {
		ev.Num = uint64(len(evs) + 1)
		ev.Time = int64(len(evs)+1) * 1000
		evs = append(evs, ev)
	}
	for i := 0; i < 20; i++ {
		add(&event.Event{Type: event.TypeOpenat, Proc: nginx, Tid: 800, Res: 12, Fd: 12, Path: "/var/www/html/index.html", Flags: 0})
		add(&event.Event{Type: event.TypeOpenat, Proc: nginx, Tid: 800, Res: 13, Fd: 13, Path: "/var/log/nginx/access.log", Flags: 0o2101})
		add(&event.Event{Type: event.TypeAccept4, Proc: nginx, Tid: 800, Res: 14, Fd: 14, Sock: event.Sock{Family: event.AFInet, Type: 1, Role: event.RoleServer,
			Local: netip.MustParseAddrPort("10.0.0.5:443"), Remote: netip.MustParseAddrPort("198.51.100.9:51000")}})
		add(&event.Event{Type: event.TypeOpenat, Proc: git, Tid: 950, Res: 3, Fd: 3, Path: "/home/alice/src/.git/index"})
		add(&event.Event{Type: event.TypeOpenat, Proc: ls, Tid: 951, Res: 3, Fd: 3, Path: "/etc/ld.so.cache"})
		add(&event.Event{Type: event.TypeConnect, Proc: git, Tid: 950, Res: 0, Fd: 5, Sock: event.Sock{Family: event.AFInet, Type: 1, Role: event.RoleClient,
			Local: netip.MustParseAddrPort("10.0.0.5:40000"), Remote: netip.MustParseAddrPort("140.82.121.4:443")}})
	}
	add(&event.Event{Type: event.TypeClone, Proc: bash, Tid: 900, Res: 951})
	add(&event.Event{Type: event.TypeExecve, Proc: ls, Tid: 951})
	add(&event.Event{Type: event.TypeProcexit, Proc: ls, Tid: 951})
	add(&event.Event{Type: event.TypeExecve, Proc: git, Tid: 950})
	add(&event.Event{Type: event.TypeOpenat, Proc: sshd, Tid: 700, Res: 4, Fd: 4, Path: "/etc/shadow"}) // sshd's own read: no alert
	return evs
}

const unsetLoginUID = 4294967295

func join(a []string) string {
	s := ""
	for i, x := range a {
		if i > 0 {
			s += " "
		}
		s += x
	}
	return s
}

// loopSource emits b.N events cycling through a mix, as fast as taken.
type loopSource struct {
	evs []*event.Event
	n   int
}

func (l *loopSource) Run(ctx context.Context, emit func(*event.Event)) error {
	for i := 0; i < l.n; i++ {
		emit(l.evs[i%len(l.evs)])
	}
	return nil
}

type discard struct{}

func (discard) WriteAlert([]byte) error { return nil }
func (discard) Close() error            { return nil }

type noEngine struct{}

func (noEngine) Process(*event.Event, func(ruleset.Match)) {}

// BenchmarkPipeline measures the cost per event of source -> engine (the
// full default ruleset) -> alert sinks (discarded), over a hand-made host
// mix and over the recorded demo intrusion (exec-heavy, alerting; its
// alerts are marshalled and written to discarding sinks). The no-rules variants
// isolate the pipeline's own overhead, without and with the live queue (the
// queued one reports the events the engine goroutine could not keep up with
// as drops/event). allocs/op is per event.
func BenchmarkPipeline(b *testing.B) {
	rs, err := ruleset.LoadDefaults()
	if err != nil {
		b.Fatal(err)
	}
	mix, demo := benchMix(), demoEvents(b)
	for _, bc := range []struct {
		name  string
		evs   []*event.Event
		rules bool
		queue int
	}{
		{"default-rules", mix, true, 0},
		{"default-rules-demo-capture", demo, true, 0},
		{"no-rules", mix, false, 0},
		{"no-rules-queued", mix, false, 4096},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var eng Engine = noEngine{}
			if bc.rules {
				e, err := ruleset.NewEngine(rs.Rules, ruleset.DefaultOptions())
				if err != nil {
					b.Fatal(err)
				}
				eng = e
			}
			src := &loopSource{evs: bc.evs, n: b.N}
			p := New(src, eng, Options{QueueLen: bc.queue, AlertLog: discard{}, Outputs: []sink.Sink{discard{}}})
			b.ReportAllocs()
			b.ResetTimer()
			if err := p.Run(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			s := p.Stats()
			b.ReportMetric(float64(s.Alerts)/float64(b.N), "alerts/event")
			b.ReportMetric(float64(s.QueueDrops)/float64(b.N), "drops/event")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
