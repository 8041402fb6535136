package sensor

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"

	"github.com/ttpwatch/ttpwatch/event"
)

// ProcessTable is what the live source needs of the process table: it
// reports lifecycle records and asks for the process of every other record.
// *ProcTable implements it.
type ProcessTable interface {
	Resolve(ti *TaskInfo) *event.Process
	Exec(ti *TaskInfo, x *ExecInfo) *event.Process
	Fork(parent *TaskInfo, childPid, childTid uint32, ts int64) *event.Process
	Exit(pid uint32, code int32, ts int64)
}

// LiveConfig configures the live eBPF source.
type LiveConfig struct {
	// Table receives fork/exec/exit and resolves every event's process.
	Table ProcessTable
	// Types are the event types to trace at start (SetTypes changes them).
	Types []event.Type
	// SelfPid is the process whose syscalls are not traced; 0 means this one.
	SelfPid uint32
	// PollInterval bounds how long a record can wait in the ring buffer
	// while the kernel batches wakeups; 0 means 20ms.
	PollInterval time.Duration
	// RingSize is the ring buffer's size in bytes, a power of two of at
	// least a page; 0 means 8 MiB. The reader maps it twice, so it costs
	// twice its size in resident memory; it is what absorbs bursts.
	RingSize uint32
}

// DropStats counts what the live source lost.
type DropStats struct {
	// Kernel is the number of records the kernel could not put on the ring
	// buffer (it was full), summed over CPUs.
	Kernel uint64
	// Malformed is the number of records that did not decode.
	Malformed uint64
}

// Live is the eBPF source: it loads bpf/sensor.bpf.c, attaches the
// lifecycle hooks and the syscall hooks of the wanted event types, and
// turns ring buffer records into events. It implements Source.
type Live struct {
	cfg   LiveConfig
	coll  *ebpf.Collection // the maps, and the programs loaded so far
	rd    *ring
	table ProcessTable

	// Programs are loaded from spec when a hook first needs them: the
	// verifier takes ~10 ms per program, and the default rules need about
	// 60 of the ~100.
	spec     *ebpf.CollectionSpec
	btfCache *btf.Cache

	mu          sync.Mutex // guards links, unavailable, closed, coll.Programs and progIDs
	links       map[string]link.Link
	unavailable map[string]bool
	closed      bool

	selfHostPid uint32 // our pid as records name it, 0 when unknown

	want      atomic.Uint64 // bit per event.Type: emitted types
	malformed atomic.Uint64
	progIDs   []ebpf.ProgramID
}

// errNeedRoot is the user-facing advice when loading is not permitted.
const errNeedRoot = "watching the live host needs root (or the CAP_BPF and CAP_PERFMON capabilities) to load the eBPF sensor: run it with sudo, or try the interface without root on a capture: ttpwatch replay FILE (record one with sudo ttpwatch record -w FILE)"

// NewLive loads the sensor and attaches the hooks of cfg.Types. The caller
// must Close it.
func NewLive(cfg LiveConfig) (*Live, error) {
	if cfg.Table == nil {
		return nil, errors.New("live sensor: no process table")
	}
	if cfg.SelfPid == 0 {
		cfg.SelfPid = uint32(os.Getpid())
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 20 * time.Millisecond
	}
	if err := checkPrivileges(); err != nil {
		return nil, err
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		return nil, fmt.Errorf("this kernel exposes no BTF (/sys/kernel/btf/vmlinux: %w): ttpwatch needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (most distribution kernels since 2020); use ttpwatch replay FILE on a capture instead", err)
	}
	if err := ensureTracefs(); err != nil {
		return nil, err
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("raise the locked-memory limit: %w (%s)", err, errNeedRoot)
	}
	spec, err := loadSensorBPF()
	if err != nil {
		return nil, fmt.Errorf("read the embedded eBPF object: %w", err)
	}
	if n := cfg.RingSize; n != 0 {
		if n < uint32(os.Getpagesize()) || n&(n-1) != 0 {
			return nil, fmt.Errorf("ring buffer size %d: want a power of two of at least %d", n, os.Getpagesize())
		}
		spec.Maps["events"].MaxEntries = n
	}
	inChildNS, err := setSelf(spec, cfg.SelfPid)
	if err == nil {
		err = spec.Variables["wake_bytes"].Set(uint64(wakeBytes))
	}
	if err != nil {
		return nil, fmt.Errorf("configure the eBPF object: %w", err)
	}
	mapsOnly := spec.Copy()
	clear(mapsOnly.Programs)
	coll, err := ebpf.NewCollection(mapsOnly)
	if err != nil {
		return nil, loadError("create the eBPF maps", err)
	}
	l := &Live{cfg: cfg, coll: coll, table: cfg.Table, links: map[string]link.Link{}, unavailable: map[string]bool{},
		spec: spec, btfCache: btf.NewCache()}
	if !inChildNS {
		// records carry host pids; in a child namespace ours is unknown,
		// and the kernel side already drops our syscalls
		l.selfHostPid = cfg.SelfPid
	}
	// the lifecycle programs and those of the first types, in one batch
	first := make([]string, 0, len(lifecycleHooks)+2*len(cfg.Types))
	for _, h := range lifecycleHooks {
		first = append(first, h.program)
	}
	for sys := range syscallsOf(cfg.Types) {
		first = append(first, programName("exit", sys), programName("enter", sys))
	}
	if err := l.load(first); err != nil {
		l.Close()
		return nil, err
	}
	for _, h := range lifecycleHooks {
		lk, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: h.tracepoint, Program: coll.Programs[h.program]})
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("attach raw tracepoint %s: %w (the kernel needs it for the process table)", h.tracepoint, err)
		}
		l.links["raw_tracepoint/"+h.tracepoint] = lk
	}
	events := coll.Maps["events"]
	if l.rd, err = newRing(events.FD(), int(events.MaxEntries()), wakeBytes); err != nil {
		l.Close()
		return nil, fmt.Errorf("open the event ring buffer: %w", err)
	}
	if err := l.SetTypes(cfg.Types); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// syscallsOf returns the syscalls whose hooks the event types need.
func syscallsOf(types []event.Type) map[string]bool {
	need := map[string]bool{}
	for _, t := range types {
		if t < event.NumTypes {
			if sys := syscallOf[t]; sys != "" {
				need[sys] = true
			}
		}
	}
	return need
}

// load loads the named programs that are not loaded yet, in one batch
// sharing the maps. The caller holds l.mu, or has not shared l yet.
func (l *Live) load(names []string) error {
	part := l.spec.Copy()
	clear(part.Programs)
	for _, n := range names {
		if ps := l.spec.Programs[n]; ps != nil && l.coll.Programs[n] == nil {
			part.Programs[n] = ps
		}
	}
	if len(part.Programs) == 0 {
		return nil
	}
	batch, err := ebpf.NewCollectionWithOptions(part, ebpf.CollectionOptions{MapReplacements: l.coll.Maps, Cache: l.btfCache})
	if err != nil {
		return loadError("load the eBPF programs", err)
	}
	for name, p := range batch.Programs {
		l.coll.Programs[name] = p
		if info, err := p.Info(); err == nil {
			if id, ok := info.ID(); ok {
				l.progIDs = append(l.progIDs, id)
			}
		}
	}
	// the batch's maps are clones of l.coll's: only the programs stay
	clear(batch.Programs)
	batch.Close()
	return nil
}

// loadError words a failure to create the maps or load programs for the
// user.
func loadError(what string, err error) error {
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		// the end of the verifier's log says why; all of it is pages
		return fmt.Errorf("this kernel's verifier rejected ttpwatch's eBPF programs (please report it with `uname -r`; ttpwatch replay FILE works meanwhile): %+.20v", ve)
	}
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return fmt.Errorf("%s: %w (%s)", what, err, errNeedRoot)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// wakeBytes is how much data the kernel lets pile up in the ring between
// two wake-ups of the reader (which also polls every PollInterval): 64 KiB
// is ~250 records, a few ms of a busy host's events.
const wakeBytes = 64 << 10

// initPidNSIno is the inode number of the host's (initial) pid namespace.
const initPidNSIno = 0xEFFFFFFC

// setSelf tells the programs which process is ttpwatch. In a child pid
// namespace (a container) our pid is not the kernel's, so the programs also
// get the namespace to translate in.
func setSelf(spec *ebpf.CollectionSpec, pid uint32) (inChildNS bool, err error) {
	if err := spec.Variables["self_tgid"].Set(pid); err != nil {
		return false, err
	}
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/ns/pid", &st); err != nil || st.Ino == initPidNSIno {
		return false, nil // the host's namespace, or no way to tell: pids are the kernel's
	}
	if err := spec.Variables["self_ns_dev"].Set(uint64(st.Dev)); err != nil {
		return false, err
	}
	return true, spec.Variables["self_ns_ino"].Set(st.Ino)
}

// CheckPrivileges fails with advice when neither root nor the BPF
// capabilities are held; callers use it to fail before any other start-up
// work. NewLive checks it too.
func CheckPrivileges() error { return checkPrivileges() }

// checkPrivileges fails early with advice when neither root nor the BPF
// capabilities are held.
func checkPrivileges() error {
	if os.Geteuid() == 0 {
		return nil
	}
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return errors.New(errNeedRoot)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "CapEff:")
		if !ok {
			continue
		}
		caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			break
		}
		const capPerfmon, capBPF = 38, 39
		if caps&(1<<capBPF) != 0 && caps&(1<<capPerfmon) != 0 {
			return nil
		}
	}
	return errors.New(errNeedRoot)
}

// ensureTracefs mounts tracefs when nothing has: tracepoints are attached
// through their ids under it.
func ensureTracefs() error {
	for _, dir := range []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"} {
		if _, err := os.Stat(dir + "/events/syscalls"); err == nil {
			return nil
		}
	}
	if err := unix.Mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, ""); err != nil {
		return fmt.Errorf("tracefs is not mounted and mounting it at /sys/kernel/tracing failed: %w (mount it with `mount -t tracefs nodev /sys/kernel/tracing`)", err)
	}
	if _, err := os.Stat("/sys/kernel/tracing/events/syscalls"); err != nil {
		return fmt.Errorf("the kernel has no syscall tracepoints (%w): ttpwatch needs CONFIG_FTRACE_SYSCALLS=y", err)
	}
	return nil
}

// SetTypes makes the attached syscall hooks exactly those the given event
// types need, attaching and detaching live. Lifecycle hooks stay attached.
// A tracepoint the kernel does not have (init_module on a kernel without
// module support) is not an error: its types cannot happen, and Unavailable
// lists it. On another attach error the hooks attached so far stay and the
// error names the hook.
func (l *Live) SetTypes(types []event.Type) error {
	var want uint64
	for _, t := range types {
		if t != event.TypeUnknown && t < event.NumTypes {
			want |= 1 << t
		}
	}
	need := syscallsOf(types)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errors.New("live sensor is closed")
	}
	var progs []string
	for sys := range need {
		progs = append(progs, programName("exit", sys), programName("enter", sys))
	}
	if err := l.load(progs); err != nil {
		return err
	}
	var drop []link.Link
	for name, lk := range l.links {
		sys, ok := strings.CutPrefix(name, "syscalls/sys_enter_")
		if !ok {
			sys, ok = strings.CutPrefix(name, "syscalls/sys_exit_")
		}
		if ok && !need[sys] {
			drop = append(drop, lk)
			delete(l.links, name)
		}
	}
	var errs []error
	if err := closeLinks(drop); err != nil {
		errs = append(errs, err)
	}
	for sys := range need {
		// exit first: an enter without its exit would leave a pending slot
		for _, dir := range []string{"exit", "enter"} {
			name := hookName(dir, sys)
			if l.links[name] != nil {
				continue
			}
			lk, err := link.Tracepoint("syscalls", "sys_"+dir+"_"+sys, l.coll.Programs[programName(dir, sys)], nil)
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					l.unavailable[name] = true
					continue
				}
				errs = append(errs, fmt.Errorf("attach %s: %w", name, err))
				continue
			}
			l.links[name] = lk
		}
	}
	l.want.Store(want)
	return errors.Join(errs...)
}

// Attached lists the attached hooks, sorted: "raw_tracepoint/sched_process_*"
// and "syscalls/sys_{enter,exit}_X".
func (l *Live) Attached() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	names := make([]string, 0, len(l.links))
	for n := range l.links {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Unavailable lists the wanted hooks the kernel does not have (syscalls not
// built in), sorted.
func (l *Live) Unavailable() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	names := make([]string, 0, len(l.unavailable))
	for n := range l.unavailable {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ProgramIDs returns the kernel ids of the loaded programs (to check they
// are gone after Close).
func (l *Live) ProgramIDs() []ebpf.ProgramID {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.progIDs)
}

// Drops returns what was lost so far.
func (l *Live) Drops() DropStats {
	s := DropStats{Malformed: l.malformed.Load()}
	var per []uint64
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return s
	}
	if err := l.coll.Maps["drops"].Lookup(uint32(0), &per); err == nil {
		for _, n := range per {
			s.Kernel += n
		}
	}
	return s
}

// bootOffset is the unix time of CLOCK_BOOTTIME zero, to turn the kernel's
// timestamps into wall-clock time.
func bootOffset() int64 {
	var ts unix.Timespec
	before := time.Now().UnixNano()
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	after := time.Now().UnixNano()
	return (before+after)/2 - ts.Nano()
}

// Run drains the ring buffer until ctx is done or the source is closed,
// decoding every record into one reused event and handing it to emit. The
// event and its strings are valid only until emit returns. One Run at a
// time.
func (l *Live) Run(ctx context.Context, emit func(*event.Event)) error {
	d := newDecoder(bootOffset())
	var ev event.Event
	var num uint64
	record := func(rec []byte) {
		kind, err := d.decode(rec, &ev)
		if err != nil {
			l.malformed.Add(1)
			return
		}
		if l.handle(d, kind, &ev) {
			num++
			ev.Num = num
			emit(&ev)
		}
	}
	for ctx.Err() == nil {
		// The kernel wakes the reader only for batches (BPF_RB_NO_WAKEUP),
		// so the wait bounds how long a lone record waits.
		if _, err := l.rd.Drain(l.cfg.PollInterval, record); err != nil {
			if errors.Is(err, errRingClosed) {
				return nil
			}
			return fmt.Errorf("read the event ring buffer: %w", err)
		}
	}
	return nil
}

// handle applies a decoded record to the process table and reports whether
// the event is to be emitted.
func (l *Live) handle(d *decoder, kind int, ev *event.Event) bool {
	ti := &d.ti
	switch kind {
	case recExec:
		ev.Proc = l.table.Exec(ti, &d.x)
	case recFork:
		ev.Proc = l.table.Resolve(ti)
		l.table.Fork(ti, d.childPid, d.childTid, ti.Time)
	case recExit:
		ev.Proc = l.table.Resolve(ti)
		l.table.Exit(ti.Pid, exitCode(ev.Res), ti.Time)
	default:
		ev.Proc = l.table.Resolve(ti)
	}
	if l.selfHostPid != 0 && ti.Pid == l.selfHostPid {
		return false
	}
	return l.want.Load()&(1<<ev.Type) != 0
}

// closeLinks detaches links concurrently: each detach of a tracepoint
// waits for an RCU grace period (tens of ms), which one after the other
// made detaching every hook take seconds.
func closeLinks(links []link.Link) error {
	errs := make([]error, len(links))
	var wg sync.WaitGroup
	for i, lk := range links {
		wg.Go(func() {
			if err := lk.Close(); err != nil {
				errs[i] = fmt.Errorf("detach a hook: %w", err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// exitCode turns a wait status (procexit's Res, as the kernel keeps it) into
// an exit code: the code of a normal exit, 128+signal for a killed process,
// as shells report it.
func exitCode(status int64) int32 {
	if sig := status & 0x7f; sig != 0 {
		return int32(128 + sig)
	}
	return int32(status>>8) & 0xff
}

// Close detaches every hook and releases every map and program. It is safe
// to call more than once; a running Run returns.
func (l *Live) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	var errs []error
	all := make([]link.Link, 0, len(l.links))
	for _, lk := range l.links {
		all = append(all, lk)
	}
	if err := closeLinks(all); err != nil {
		errs = append(errs, err)
	}
	clear(l.links)
	if l.rd != nil {
		if err := l.rd.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close the ring buffer reader: %w", err))
		}
	}
	l.coll.Close()
	return errors.Join(errs...)
}
