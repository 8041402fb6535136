package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/ruleset"
	"github.com/ttpwatch/ttpwatch/sensor"
	"github.com/ttpwatch/ttpwatch/sink"
)

func testEngine(t testing.TB) *ruleset.Engine {
	t.Helper()
	rs, err := ruleset.LoadPaths(filepath.Join("testdata", "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := ruleset.NewEngine(rs.Rules, ruleset.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// session builds n events of alice's bash: every third one reads
// /etc/shadow (an alert), every fifth an exec of sh (an alert), the rest
// read /etc/hosts.
func session(n int) []*event.Event {
	bash := &event.Process{Pid: 100, Ppid: 1, Uid: 1000, Comm: "bash", Exe: "bash", ExePath: "/usr/bin/bash",
		UserName: "alice", ContainerID: "host", Cmdline: "bash", ExeLine: "bash"}
	sh := &event.Process{Pid: 101, Ppid: 100, Uid: 1000, Comm: "sh", Exe: "sh", ExePath: "/bin/sh",
		Args: []string{"-c", "id"}, UserName: "alice", ContainerID: "host", Parent: bash,
		Cmdline: "sh -c id", ArgLine: "-c id", ExeLine: "sh -c id"}
	var evs []*event.Event
	for i := 1; i <= n; i++ {
		ev := &event.Event{Num: uint64(i), Time: int64(i) * 1e6, Type: event.TypeOpenat, Tid: 100, Proc: bash, Res: 3, Path: "/etc/hosts"}
		switch {
		case i%5 == 0:
			ev.Type, ev.Proc, ev.Path, ev.Res = event.TypeExecve, sh, "", 0
		case i%3 == 0:
			ev.Path = "/etc/shadow"
		}
		evs = append(evs, ev)
	}
	return evs
}

// wantAlerts lists the event numbers and rules that session(n) must alert.
func wantAlerts(n int) (nums []uint64, rules []string) {
	for i := 1; i <= n; i++ {
		switch {
		case i%5 == 0:
			nums, rules = append(nums, uint64(i)), append(rules, "Shell started")
		case i%3 == 0:
			nums, rules = append(nums, uint64(i)), append(rules, "Shadow file read")
		}
	}
	return nums, rules
}

// writeCapture records evs to a capture file and returns its path.
func writeCapture(t *testing.T, evs []*event.Event) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "session.jsonl.gz")
	rec, err := sensor.CreateRecorder(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if err := rec.Write(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

type logLine struct {
	Rule         string         `json:"rule"`
	Priority     string         `json:"priority"`
	Output       string         `json:"output"`
	Hostname     string         `json:"hostname"`
	OutputFields map[string]any `json:"output_fields"`
}

func readLines(t *testing.T, data []byte) []logLine {
	t.Helper()
	var out []logLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var l logLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("bad alert line %q: %v", sc.Text(), err)
		}
		out = append(out, l)
	}
	return out
}

func TestEndToEndReplay(t *testing.T) {
	const n = 60
	path := writeCapture(t, session(n))
	src, err := sensor.OpenReplay(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "alerts.jsonl")
	alog, err := sink.OpenAlertLog(logPath)
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	p := New(src, testEngine(t), Options{Hostname: "web1", AlertLog: alog, Outputs: []sink.Sink{sink.NewJSONLines(&stdout)}})
	p.SetRawEvents(true)
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	nums, rules := wantAlerts(n)
	b := p.TakeBatch()
	if len(b.Alerts) != len(nums) {
		t.Fatalf("ui got %d alerts, want %d", len(b.Alerts), len(nums))
	}
	for i, a := range b.Alerts {
		if a.Rule.Name != rules[i] || a.Event.Num != nums[i] || a.Hostname != "web1" {
			t.Errorf("ui alert %d = %s on event %d, want %s on %d", i, a.Rule.Name, a.Event.Num, rules[i], nums[i])
		}
	}
	if len(b.Events) != n || b.Events[0].Num != 1 || b.Events[n-1].Num != n {
		t.Errorf("raw events: %d, want %d in order", len(b.Events), n)
	}
	logData, _ := os.ReadFile(logPath)
	for name, data := range map[string][]byte{"alert log": logData, "stdout": stdout.Bytes()} {
		lines := readLines(t, data)
		if len(lines) != len(nums) {
			t.Fatalf("%s has %d alerts, want %d", name, len(lines), len(nums))
		}
		for i, l := range lines {
			if l.Rule != rules[i] || l.OutputFields["evt.num"] != nil && l.OutputFields["evt.num"] != float64(nums[i]) {
				t.Errorf("%s line %d = %s %v, want %s on %d", name, i, l.Rule, l.OutputFields["evt.num"], rules[i], nums[i])
			}
		}
	}
	if !bytes.Equal(logData, stdout.Bytes()) {
		t.Error("alert log and stdout differ")
	}
	first := readLines(t, logData)[0]
	if first.Output == "" || !strings.Contains(first.Output, "proc=bash user=alice num=3 parent=") {
		t.Errorf("first alert output %q", first.Output)
	}
	s := p.Stats()
	if s.Events != n || s.Alerts != uint64(len(nums)) || s.ByType[event.TypeExecve] != n/5 || s.ByType[event.TypeOpenat] != n-n/5 {
		t.Errorf("stats: events %d alerts %d execve %d openat %d", s.Events, s.Alerts, s.ByType[event.TypeExecve], s.ByType[event.TypeOpenat])
	}
	if s.Drops() != 0 {
		t.Errorf("drops %d on a lossless replay", s.Drops())
	}
}

func TestAlertLogCompleteWhenUIRingDrops(t *testing.T) {
	const n = 300
	logPath := filepath.Join(t.TempDir(), "alerts.jsonl")
	alog, err := sink.OpenAlertLog(logPath)
	if err != nil {
		t.Fatal(err)
	}
	src := &sensor.SliceSource{Events: session(n)}
	p := New(src, testEngine(t), Options{AlertLog: alog, AlertRing: 2})
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	nums, rules := wantAlerts(n)
	data, _ := os.ReadFile(logPath)
	lines := readLines(t, data)
	var ruleLines []logLine
	var dropUI float64
	drops := 0
	for _, l := range lines {
		if l.Rule == ruleset.DropRuleName {
			drops++
			dropUI += l.OutputFields["n_drops_ui"].(float64)
			continue
		}
		ruleLines = append(ruleLines, l)
	}
	if len(ruleLines) != len(nums) {
		t.Fatalf("alert log has %d rule alerts, want all %d", len(ruleLines), len(nums))
	}
	for i, l := range ruleLines {
		if l.Rule != rules[i] {
			t.Fatalf("alert log line %d = %s, want %s", i, l.Rule, rules[i])
		}
	}
	if drops == 0 {
		t.Error("the ui ring dropped alerts but no drop alert was raised")
	}
	s := p.Stats()
	// Nothing drained the ring: every delivered alert but the last two was
	// overwritten.
	if want := uint64(len(lines) - 2); s.AlertRingDrops != want {
		t.Errorf("AlertRingDrops = %d, want %d", s.AlertRingDrops, want)
	}
	if dropUI < float64(len(nums)-2) || dropUI > float64(s.AlertRingDrops) {
		t.Errorf("drop alerts report %v ui drops; ring dropped %d", dropUI, s.AlertRingDrops)
	}
	if got := p.TakeBatch().Alerts; len(got) != 2 || got[1].Rule.Name != ruleset.DropRuleName {
		t.Errorf("ring holds %d alerts, want the newest two ending with the drop alert", len(got))
	}
}

// gateEngine blocks in Process on the first event until released.
type gateEngine struct {
	release chan struct{}
	entered chan struct{}
	once    sync.Once
	seen    atomic.Uint64
}

func (g *gateEngine) Process(ev *event.Event, emit func(ruleset.Match)) {
	g.once.Do(func() {
		close(g.entered)
		<-g.release
	})
	g.seen.Add(1)
}

// funcSource emits through a function and reports kernel drops.
type funcSource struct {
	run   func(ctx context.Context, emit func(*event.Event)) error
	drops atomic.Uint64
}

func (f *funcSource) Run(ctx context.Context, emit func(*event.Event)) error { return f.run(ctx, emit) }
func (f *funcSource) Drops() uint64                                          { return f.drops.Load() }

func TestQueueDropsAndKernelDrops(t *testing.T) {
	evs := session(100)
	g := &gateEngine{release: make(chan struct{}), entered: make(chan struct{})}
	var out bytes.Buffer
	src := &funcSource{}
	src.run = func(ctx context.Context, emit func(*event.Event)) error {
		emit(evs[0])
		<-g.entered // the engine holds the first event's slot
		for _, ev := range evs[1:] {
			emit(ev)
		}
		src.drops.Store(7)
		close(g.release)
		return nil
	}
	p := New(src, g, Options{QueueLen: 4, Outputs: []sink.Sink{sink.NewJSONLines(&out)}})
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := p.Stats()
	if s.QueueDrops != 96 || s.Events != 4 || g.seen.Load() != 4 || s.KernelDrops != 7 {
		t.Errorf("queue drops %d events %d seen %d kernel %d; want 96 4 4 7", s.QueueDrops, s.Events, g.seen.Load(), s.KernelDrops)
	}
	lines := readLines(t, out.Bytes())
	var q, k float64
	for _, l := range lines {
		if l.Rule != ruleset.DropRuleName || l.Priority != "Critical" {
			t.Fatalf("unexpected alert %+v", l)
		}
		q += l.OutputFields["n_drops_queue"].(float64)
		k += l.OutputFields["n_drops_kernel"].(float64)
	}
	if q != 96 || k != 7 {
		t.Errorf("drop alerts report queue %v kernel %v, want 96 and 7", q, k)
	}
}

func TestDropAlertRateLimit(t *testing.T) {
	src := &funcSource{run: func(context.Context, func(*event.Event)) error { return nil }}
	var out bytes.Buffer
	p := New(src, noEngine{}, Options{Outputs: []sink.Sink{sink.NewJSONLines(&out)}, DropAlertEvery: 10 * time.Second})
	t0 := time.Unix(1000, 0)
	p.dropBase.at = t0
	steps := []struct {
		at    time.Duration
		drops uint64
		alert bool
		want  float64 // n_drops_kernel of the alert
	}{
		{1 * time.Second, 0, false, 0},
		{2 * time.Second, 5, true, 5},   // drops start: alert at once
		{3 * time.Second, 9, false, 0},  // continuing within 10 s: quiet
		{11 * time.Second, 9, false, 0}, // still within 10 s of the alert
		{12 * time.Second, 20, true, 15},
		{30 * time.Second, 20, false, 0}, // no new drops
		{31 * time.Second, 21, true, 1},
	}
	alerts := 0
	for _, s := range steps {
		src.drops.Store(s.drops)
		p.checkDrops(t0.Add(s.at), false)
		lines := readLines(t, out.Bytes())
		if got := len(lines) > alerts; got != s.alert {
			t.Fatalf("at %v drops %d: alert %v, want %v", s.at, s.drops, got, s.alert)
		}
		if s.alert {
			alerts++
			if k := lines[len(lines)-1].OutputFields["n_drops_kernel"].(float64); k != s.want {
				t.Errorf("at %v: n_drops_kernel %v, want %v", s.at, k, s.want)
			}
		}
	}
}

func TestKernelDropsOption(t *testing.T) {
	var k atomic.Uint64
	k.Store(3)
	var out bytes.Buffer
	src := &sensor.SliceSource{Events: session(5)}
	p := New(src, noEngine{}, Options{KernelDrops: k.Load, Outputs: []sink.Sink{sink.NewJSONLines(&out)}})
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.KernelDrops != 3 {
		t.Errorf("KernelDrops = %d, want 3 from the option", s.KernelDrops)
	}
	if l := readLines(t, out.Bytes()); len(l) != 1 || l[0].OutputFields["n_drops_kernel"] != float64(3) {
		t.Errorf("drop alerts %+v, want one with n_drops_kernel 3", l)
	}
}

func TestOnRulesChanged(t *testing.T) {
	eng := testEngine(t)
	got := make(chan []event.Type, 4)
	ready := make(chan struct{})
	src := &funcSource{run: func(ctx context.Context, emit func(*event.Event)) error {
		close(ready)
		<-ctx.Done()
		return ctx.Err()
	}}
	p := New(src, eng, Options{OnRulesChanged: func(ts []event.Type) { got <- ts }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	<-ready
	if err := eng.SetEnabled("Shadow file read", false); err != nil {
		t.Fatal(err)
	}
	ts := <-got
	if len(ts) != 1 || ts[0] != event.TypeExecve {
		t.Errorf("after disabling the file rule: types %v, want [execve]", ts)
	}
	if err := eng.SetEnabled("Shadow file read", true); err != nil {
		t.Fatal(err)
	}
	ts = <-got
	want := map[event.Type]bool{event.TypeExecve: true, event.TypeOpen: true, event.TypeOpenat: true}
	if len(ts) != len(want) {
		t.Errorf("after re-enabling: types %v", ts)
	}
	for _, ty := range ts {
		if !want[ty] {
			t.Errorf("after re-enabling: unexpected type %v", ty)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel = %v, want nil", err)
	}
}

func TestGracefulStopDrainsQueue(t *testing.T) {
	var emitted atomic.Uint64
	evs := session(30)
	src := &funcSource{run: func(ctx context.Context, emit func(*event.Event)) error {
		for i := 0; ctx.Err() == nil; i++ {
			emit(evs[i%len(evs)])
			emitted.Add(1)
		}
		return ctx.Err()
	}}
	logPath := filepath.Join(t.TempDir(), "alerts.jsonl")
	alog, err := sink.OpenAlertLog(logPath)
	if err != nil {
		t.Fatal(err)
	}
	p := New(src, testEngine(t), Options{QueueLen: 64, AlertLog: alog})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	for emitted.Load() < 5000 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil on cancel", err)
	}
	s := p.Stats()
	if s.Events+s.QueueDrops != emitted.Load() {
		t.Errorf("%d evaluated + %d dropped != %d delivered by the source", s.Events, s.QueueDrops, emitted.Load())
	}
	data, _ := os.ReadFile(logPath)
	if lines := readLines(t, data); uint64(len(lines)) != s.Alerts || s.Alerts == 0 {
		t.Errorf("alert log has %d alerts; pipeline delivered %d", len(lines), s.Alerts)
	}
}

// TestRecordThenReplaySameAlerts records a session through the pipeline and
// replays the capture: both runs give the same alerts.
func TestRecordThenReplaySameAlerts(t *testing.T) {
	const n = 90
	path := filepath.Join(t.TempDir(), "rec.jsonl")
	rec, err := sensor.CreateRecorder(path)
	if err != nil {
		t.Fatal(err)
	}
	var live bytes.Buffer
	p := New(&sensor.SliceSource{Events: session(n)}, testEngine(t), Options{Recorder: rec, Outputs: []sink.Sink{sink.NewJSONLines(&live)}})
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	src, err := sensor.OpenReplay(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	var replayed bytes.Buffer
	p2 := New(src, testEngine(t), Options{Outputs: []sink.Sink{sink.NewJSONLines(&replayed)}})
	if err := p2.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if live.Len() == 0 || !bytes.Equal(live.Bytes(), replayed.Bytes()) {
		t.Errorf("replay alerts differ from the recorded run\nlive:\n%s\nreplay:\n%s", live.String(), replayed.String())
	}
}

type failingRecorder struct{ closed bool }

func (f *failingRecorder) Write(*event.Event) error { return errors.New("disk full") }
func (f *failingRecorder) Close() error             { f.closed = true; return nil }

func TestRecorderFailureStops(t *testing.T) {
	var emitted int
	src := &funcSource{run: func(ctx context.Context, emit func(*event.Event)) error {
		for _, ev := range session(1000) {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			emit(ev)
			emitted++
		}
		return nil
	}}
	rec := &failingRecorder{}
	err := New(src, testEngine(t), Options{Recorder: rec}).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "recording stopped: disk full") {
		t.Errorf("Run = %v, want the recording error", err)
	}
	if emitted != 1 || !rec.closed {
		t.Errorf("source went on for %d events after the failure; recorder closed %v", emitted, rec.closed)
	}
}

type failingSink struct{ n int }

func (f *failingSink) WriteAlert([]byte) error { f.n++; return errors.New("no space left on device") }
func (f *failingSink) Close() error            { return nil }

func TestSinkErrorCountedOthersServed(t *testing.T) {
	bad := &failingSink{}
	var out bytes.Buffer
	p := New(&sensor.SliceSource{Events: session(15)}, testEngine(t), Options{AlertLog: bad, Outputs: []sink.Sink{sink.NewJSONLines(&out)}})
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	nums, _ := wantAlerts(15)
	s := p.Stats()
	if bad.n != len(nums) || s.SinkErrors != uint64(len(nums)) || !strings.Contains(s.LastSinkError, "no space left") {
		t.Errorf("sink errors %d (%q), writes %d; want %d", s.SinkErrors, s.LastSinkError, bad.n, len(nums))
	}
	if got := len(readLines(t, out.Bytes())); got != len(nums) {
		t.Errorf("stdout got %d alerts despite the log failing, want %d", got, len(nums))
	}
}

func TestBatchesDeliverEverythingInOrder(t *testing.T) {
	const n = 3000
	evs := session(n)
	src := &funcSource{run: func(ctx context.Context, emit func(*event.Event)) error {
		for i, ev := range evs {
			emit(ev)
			if i%500 == 0 {
				time.Sleep(2 * time.Millisecond) // let several ticks pass
			}
		}
		return nil
	}}
	p := New(src, testEngine(t), Options{BatchEvery: time.Millisecond, AlertRing: 1 << 14})
	ch := p.Batches()
	go p.Run(context.Background())
	var nums []uint64
	batches := 0
	for b := range ch {
		batches++
		for _, a := range b.Alerts {
			nums = append(nums, a.Event.Num)
		}
	}
	want, _ := wantAlerts(n)
	if len(nums) != len(want) {
		t.Fatalf("batches carried %d alerts, want %d", len(nums), len(want))
	}
	for i := range want {
		if nums[i] != want[i] {
			t.Fatalf("alert %d is event %d, want %d", i, nums[i], want[i])
		}
	}
	if batches < 2 {
		t.Errorf("%d batches: the ticker never fired mid-run", batches)
	}
}

func TestFormatStats(t *testing.T) {
	t0 := time.Unix(100, 0)
	prev := Stats{At: t0}
	cur := Stats{At: t0.Add(2 * time.Second), Events: 300, Alerts: 4, KernelDrops: 1, QueueDrops: 2, AlertRingDrops: 3, EventRingDrops: 9}
	cur.ByType[event.TypeOpenat] = 200
	cur.ByType[event.TypeExecve] = 100
	got := FormatStats(cur, prev)
	want := "ttpwatch stats: 300 events (150.0/s openat=100.0 execve=50.0), 4 alerts (2.0/s), drops kernel=1 queue=2 ui_alerts=3 ui_events=9"
	if got != want {
		t.Errorf("FormatStats =\n%s\nwant\n%s", got, want)
	}
	cur.SinkErrors, cur.LastSinkError = 2, "append to alert log /x: disk full"
	if got := FormatStats(cur, prev); !strings.HasSuffix(got, ", 2 alert write errors (last: append to alert log /x: disk full)") {
		t.Errorf("with sink errors: %s", got)
	}
}

func TestStatsPrinted(t *testing.T) {
	var buf bytes.Buffer
	p := New(&sensor.SliceSource{Events: session(10)}, testEngine(t), Options{StatsEvery: time.Hour, StatsOut: &buf})
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "ttpwatch stats: 10 events") {
		t.Errorf("final stats line = %q", buf.String())
	}
}

// demoEvents loads the recorded demo intrusion (see
// sensor/testdata/capture/README.md).
func demoEvents(t testing.TB) []*event.Event {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "sensor", "testdata", "capture", "demo.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, evs, err := sensor.ReadCapture(f, "demo.jsonl.gz")
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestDemoCaptureDefaultRules replays a real recorded intrusion through the
// default rules: the scripted attack must alert, naming its user.
func TestDemoCaptureDefaultRules(t *testing.T) {
	rs, err := ruleset.LoadDefaults()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := ruleset.NewEngine(rs.Rules, ruleset.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	p := New(&sensor.SliceSource{Events: demoEvents(t)}, eng, Options{Outputs: []sink.Sink{sink.NewJSONLines(&out)}})
	if err := p.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, out.Bytes())
	rules := map[string]bool{}
	byNobody := 0
	for _, l := range lines {
		rules[l.Rule] = true
		if l.OutputFields["user.name"] == "nobody" {
			byNobody++
		}
	}
	if len(rules) < 5 || byNobody == 0 {
		t.Errorf("demo intrusion raised %d alerts from %d rules, %d naming nobody; want at least 5 rules and nobody named:\n%s",
			len(lines), len(rules), byNobody, out.String())
	}
}
