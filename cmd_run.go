package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/ttpwatch/ttpwatch/event"
	"github.com/ttpwatch/ttpwatch/pipeline"
	"github.com/ttpwatch/ttpwatch/ruleset"
	"github.com/ttpwatch/ttpwatch/sensor"
	"github.com/ttpwatch/ttpwatch/sink"
	"github.com/ttpwatch/ttpwatch/ui"
)

// defaultAlertLog is where alerts are appended unless --alerts-log says
// otherwise.
const defaultAlertLog = "/var/log/ttpwatch/alerts.jsonl"

// runOptions are the flags of the commands that run a pipeline.
type runOptions struct {
	rules     ruleFlags
	json      bool
	alertsLog string
	theme     string
	readOnly  bool
	color     string
	stats     time.Duration
	logFile   string
}

func (o *runOptions) bindOutput(fs *pflag.FlagSet) {
	fs.BoolVar(&o.json, "json", false, "no interface: print each alert as a Falco JSON line on stdout")
	fs.StringVar(&o.theme, "theme", "", "colour theme: dark, light, high-contrast, monochrome, or a theme file")
	fs.BoolVar(&o.readOnly, "read-only", false, "disable killing processes from the interface")
	fs.StringVar(&o.color, "color", "auto", "colour profile: auto, truecolor, 256, 16, none (sudo may drop COLORTERM)")
	fs.DurationVar(&o.stats, "stats", 0, "print a stats line (events/s per type, drops per stage) to stderr this often, e.g. 10s")
	fs.StringVar(&o.logFile, "log", "", "write ttpwatch's own log here (default: stderr with --json, none with the interface)")
}

func (o *runOptions) bind(cmd *cobra.Command) {
	fs := cmd.Flags()
	o.rules.bind(fs)
	o.bindOutput(fs)
	fs.StringVar(&o.alertsLog, "alerts-log", defaultAlertLog, "append every alert here (JSON lines, rotated); \"\" disables")
}

// engineFor loads the rules the flags name and builds an engine with the
// selection applied.
func engineFor(rf *ruleFlags) (*ruleset.Engine, error) {
	rs, sel, err := rf.load()
	if err != nil {
		return nil, err
	}
	for _, w := range rs.Warnings {
		slog.Warn("rules", "warning", w.String())
	}
	for _, p := range sel.Unmatched(rs.Rules) {
		slog.Warn("rule selection matches no rule", "pattern", p)
	}
	for _, r := range rs.Rules {
		r.Enabled = sel.Enabled(r)
	}
	opts := ruleset.DefaultOptions()
	switch rf.ruleMatching {
	case "all", "":
	case "first":
		opts.Matching = ruleset.MatchFirst
	default:
		return nil, fmt.Errorf("--rule-matching %q: use all or first", rf.ruleMatching)
	}
	eng, err := ruleset.NewEngine(rs.Rules, opts)
	if err != nil {
		return nil, fmt.Errorf("build the rule engine: %w", err)
	}
	return eng, nil
}

// setupLog sends slog to the --log file, to stderr in headless mode, or
// nowhere while the interface owns the terminal.
func setupLog(o *runOptions, headless bool) (func(), error) {
	var w io.Writer = io.Discard
	closeFn := func() {}
	switch {
	case o.logFile != "":
		f, err := os.OpenFile(o.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open log %s: %w (choose another with --log)", o.logFile, err)
		}
		w, closeFn = f, func() { f.Close() }
	case headless:
		w = os.Stderr
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})))
	return closeFn, nil
}

// prepare sets up ttpwatch's own log and builds the rule engine, the
// common start of every command that evaluates events.
func prepare(o *runOptions, headless bool) (*ruleset.Engine, func(), error) {
	closeLog, err := setupLog(o, headless)
	if err != nil {
		return nil, nil, err
	}
	eng, err := engineFor(&o.rules)
	if err != nil {
		closeLog()
		return nil, nil, err
	}
	return eng, closeLog, nil
}

func runLive(cmd *cobra.Command, o *runOptions) error {
	return runSensor(cmd, o, "")
}

// withSignals makes SIGINT and SIGTERM cancel the command's context from
// the very start, so a signal during start-up (hooks attaching) still ends
// in a clean detach and exit 0 rather than the default kill.
func withSignals(cmd *cobra.Command) context.CancelFunc {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	cmd.SetContext(ctx)
	return stop
}

// runSensor runs the live sensor; with recordPath set it also writes every
// event to a capture.
func runSensor(cmd *cobra.Command, o *runOptions, recordPath string, extraTypes ...event.Type) error {
	defer withSignals(cmd)()
	if err := sensor.CheckPrivileges(); err != nil {
		return err
	}
	eng, closeLog, err := prepare(o, o.json || recordPath != "")
	if err != nil {
		return err
	}
	defer closeLog()
	users := sensor.NewUsers("/etc/passwd", "/etc/group")
	table, err := sensor.NewProcTable(sensor.ProcTableConfig{
		ProcRoot: "/proc", CgroupRoot: "/sys/fs/cgroup", Users: users, IgnorePid: uint32(os.Getpid()),
	})
	if err != nil {
		return fmt.Errorf("process table: %w", err)
	}
	if err := table.Seed(); err != nil {
		slog.Warn("seed the process table from /proc", "err", err)
	}
	// The alert log is opened before the sensor loads, so an unwritable
	// path is reported at once rather than after the hooks attach.
	alog, err := openAlertLog(o.alertsLog)
	if err != nil {
		return err
	}
	typesFor := func(types []event.Type) []event.Type { return append(types, extraTypes...) }
	live, err := sensor.NewLive(sensor.LiveConfig{Table: table, Types: typesFor(eng.NeededTypes())})
	if err != nil {
		if alog != nil {
			alog.Close()
		}
		return err
	}
	defer detach(live, !(o.json || recordPath != ""))
	if missing := live.Unavailable(); len(missing) > 0 {
		slog.Warn("hooks not available on this kernel", "hooks", strings.Join(missing, " "))
	}
	popts := pipeline.Options{
		AlertLog:    alog,
		KernelDrops: func() uint64 { d := live.Drops(); return d.Kernel + d.Malformed },
		QueueLen:    16384, // ~10 MB: absorbs engine hiccups without growing the RSS
		OnRulesChanged: func(types []event.Type) {
			if err := live.SetTypes(typesFor(types)); err != nil {
				slog.Error("re-attach hooks after a rule change", "err", err)
			}
		},
	}
	if recordPath != "" {
		rec, err := sensor.CreateRecorder(recordPath)
		if err != nil {
			return err
		}
		popts.Recorder = rec
	}
	return runPipeline(cmd, o, live, eng, table, popts, "live")
}

// detach closes the live sensor. The kernel waits for a grace period per
// tracepoint it unhooks, one after the other (~40 ms each here), so leaving
// takes a second or more with the default rules' hooks: after the
// interface has given the terminal back, say so rather than seem to hang.
func detach(live *sensor.Live, interactive bool) {
	n := len(live.Attached())
	if interactive && isTerminal(os.Stderr) {
		fmt.Fprintf(os.Stderr, "ttpwatch: detaching %d kernel hooks…\n", n)
	}
	start := time.Now()
	if err := live.Close(); err != nil {
		slog.Error("detach the sensor", "err", err)
	}
	slog.Info("sensor detached", "hooks", n, "took", time.Since(start).Round(time.Millisecond))
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// runPipeline opens the sinks, starts the pipeline and either the interface
// or the headless loop, and stops cleanly on SIGINT/SIGTERM.
func runPipeline(cmd *cobra.Command, o *runOptions, src sensor.Source, eng *ruleset.Engine, procs *sensor.ProcTable, popts pipeline.Options, sourceName string) error {
	headless := o.json || popts.Recorder != nil
	host, _ := os.Hostname()
	popts.Hostname = host
	if o.json {
		popts.Outputs = append(popts.Outputs, sink.NewJSONLines(cmd.OutOrStdout()))
	}
	if o.stats > 0 {
		popts.StatsEvery, popts.StatsOut = o.stats, cmd.ErrOrStderr()
	}
	ctx := cmd.Context()
	popts.Headless = headless
	// The drill-down's recent events come from the notable-event history.
	popts.History = !headless
	p := pipeline.New(src, eng, popts)
	if headless {
		enabled, _ := countRules(eng)
		slog.Info("ttpwatch running", "source", sourceName, "rules_enabled", enabled, "alerts_log", o.alertsLog)
		return p.Run(ctx)
	}

	pctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(pctx) }()
	uopts := ui.Options{Theme: o.theme, ReadOnly: o.readOnly, Color: o.color, OverridesPath: "ttpwatch-overrides.yaml"}
	deps := ui.Deps{
		Poll:      pollBatches(p, eng, sourceName),
		RawEvents: p.SetRawEvents,
		Rules:     ui.EngineRules(eng),
		Procs:     procs,
	}
	if !o.readOnly {
		deps.Killer = ui.SystemKiller{}
	}
	uerr := ui.Run(pctx, uopts, deps)
	cancel()
	perr := <-done
	if uerr != nil {
		return uerr
	}
	return perr
}

// countRules returns how many rules the engine has enabled, and in all.
func countRules(eng *ruleset.Engine) (enabled, total int) {
	states := eng.Rules()
	for _, r := range states {
		if r.Enabled {
			enabled++
		}
	}
	return enabled, len(states)
}

// pollBatches adapts the pipeline's batches to the ui's.
func pollBatches(p *pipeline.Pipeline, eng *ruleset.Engine, source string) func() ui.Batch {
	var prev pipeline.Stats
	var rates pipeline.Rates
	var version uint64
	var enabled, total int
	return func() ui.Batch {
		b := p.TakeBatch()
		out := ui.Batch{Alerts: b.Alerts}
		if len(b.Events) > 0 {
			out.Events = make([]*event.Event, len(b.Events))
			for i := range b.Events {
				out.Events[i] = &b.Events[i]
			}
		}
		cur := b.Stats
		if cur.At.Sub(prev.At) >= time.Second || prev.At.IsZero() {
			if !prev.At.IsZero() {
				rates = cur.Since(prev)
			}
			prev = cur
		}
		// The rule counts change only when a rule is toggled: recount then,
		// not on every 50 ms tick.
		if v := eng.Version(); v != version || total == 0 {
			version = v
			enabled, total = countRules(eng)
		}
		out.Stats = ui.Stats{
			EventsPerSec: rates.Events, AlertsPerSec: rates.Alerts,
			Drops: map[string]uint64{
				"kernel": cur.KernelDrops, "pipeline": cur.QueueDrops, "ui": cur.AlertRingDrops + cur.EventRingDrops,
			},
			RulesEnabled: enabled, RulesTotal: total, Source: source, Start: cur.Start,
		}
		return out
	}
}

func newRecordCommand() *cobra.Command {
	o := &runOptions{}
	var out string
	var allTypes bool
	cmd := &cobra.Command{
		Use:   "record -w FILE",
		Short: "Record live events to a capture (JSON Lines; gzip when FILE ends in .gz)",
		Long: `Record live events to a capture for later replay. Alerts are evaluated and
logged as in a live run (add --json to print them). By default the events
the enabled rules need are recorded; --all-types records every event type.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("record needs -w FILE")
			}
			var extra []event.Type
			if allTypes {
				for t := event.Type(1); t < event.NumTypes; t++ {
					extra = append(extra, t)
				}
			}
			return runSensor(cmd, o, out, extra...)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&out, "write", "w", "", "capture file to write (.gz for gzip)")
	fs.BoolVar(&allTypes, "all-types", false, "record every event type, not only those the enabled rules need")
	o.rules.bind(fs)
	fs.BoolVar(&o.json, "json", false, "print each alert as a Falco JSON line on stdout")
	fs.DurationVar(&o.stats, "stats", 0, "print a stats line to stderr this often")
	fs.StringVar(&o.alertsLog, "alerts-log", defaultAlertLog, "append every alert here; \"\" disables")
	fs.StringVar(&o.logFile, "log", "", "write ttpwatch's own log here (default stderr)")
	return cmd
}

func newReplayCommand() *cobra.Command {
	o := &runOptions{}
	var speed string
	cmd := &cobra.Command{
		Use:   "replay FILE",
		Short: "Replay a capture through the rules, in the interface or as JSON (--json)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			defer withSignals(cmd)()
			factor, err := parseSpeed(speed)
			if err != nil {
				return err
			}
			eng, closeLog, err := prepare(o, o.json)
			if err != nil {
				return err
			}
			defer closeLog()
			rp, err := sensor.OpenReplay(args[0], factor)
			if err != nil {
				return err
			}
			defer rp.Close()
			alog, err := openAlertLog(o.alertsLog)
			if err != nil {
				return err
			}
			return runPipeline(cmd, o, rp, eng, rp.Procs(), pipeline.Options{AlertLog: alog}, "replay "+filepath.Base(args[0]))
		},
	}
	fs := cmd.Flags()
	o.rules.bind(fs)
	o.bindOutput(fs)
	fs.StringVar(&o.alertsLog, "alerts-log", "", "append every alert here (default: no alert log for replays)")
	fs.StringVar(&speed, "speed", "1", "replay pace: a factor of the recorded speed (2 = twice as fast) or max")
	return cmd
}

func parseSpeed(s string) (float64, error) {
	if s == "max" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("--speed %q: use a positive factor such as 1, 10, 0.5, or max", s)
	}
	return f, nil
}

// openAlertLog opens the --alerts-log file; "" disables the log (a nil
// sink: the pipeline then writes alerts to the outputs only).
func openAlertLog(path string) (sink.Sink, error) {
	if path == "" {
		return nil, nil
	}
	return sink.OpenAlertLog(path)
}
