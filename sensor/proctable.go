package sensor

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/prometheus/procfs"

	"github.com/ttpwatch/ttpwatch/event"
)

// Process table bounds and defaults.
const (
	// DefaultMaxLive bounds the entries of processes believed alive. A table
	// that reaches it first forgets entries whose /proc directory is gone
	// (their exit was lost), then arbitrary ones.
	DefaultMaxLive = 65536
	// DefaultMaxExited bounds the exited entries kept for drill-down.
	DefaultMaxExited = 4096
	// DefaultExitedTTL is how long, in event time, an exited entry is kept.
	DefaultExitedTTL int64 = 30e9
	// UnsetLoginUID is the audit loginuid of processes no login started.
	UnsetLoginUID = 4294967295
)

// ProcTableConfig configures a ProcTable. The zero value is a table with no
// /proc (as replay uses), no user names and the default bounds.
type ProcTableConfig struct {
	// ProcRoot is the procfs mount to seed from and to read processes the
	// table has not seen ("/proc" on a live host, "" for none).
	ProcRoot string
	// CgroupRoot is the cgroup mount ("/sys/fs/cgroup"; a hybrid host's v2
	// tree under unified/ is found), used to map the kernel's cgroup ids to
	// container ids. "" or a mount without cgroup v2 disables the mapping.
	CgroupRoot string
	// Users resolves user and group names; nil leaves names empty.
	Users *Users
	// IgnorePid is a pid the table does not seed or list: ttpwatch itself.
	IgnorePid uint32
	// MaxLive, MaxExited and ExitedTTL (ns of event time) bound the table;
	// zero means the Default* constant.
	MaxLive   int
	MaxExited int
	ExitedTTL int64
	// MaxEnvBytes bounds the memory of the environments (proc.env) the
	// table holds, identical ones counted once; zero means
	// DefaultMaxEnvBytes. Past it, images with a new environment get none.
	MaxEnvBytes int
}

// ProcTable is the sensor's view of the host's processes: seeded from /proc,
// then kept by the fork, exec and exit events. It publishes immutable
// *event.Process images (an exec or a credential change publishes a new one),
// so an event keeps describing the image that produced it.
//
// All methods are safe for concurrent use: the source goroutine updates and
// resolves, the ui reads Get, Children and Snapshot. Resolve of a known,
// unchanged process takes a read lock and allocates nothing.
type ProcTable struct {
	cfg      ProcTableConfig
	fs       procfs.FS
	hasFS    bool
	bootTime int64 // unix ns, for /proc start times

	mu         sync.RWMutex
	procs      map[uint32]*event.Process
	exited     []exitedEntry // FIFO by exit time, from exitedHead on
	exitedHead int
	cgroups    map[uint64]string
	now        int64 // latest event time seen, drives exited-entry expiry
	env        *envStore

	evicted atomic.Uint64
}

type exitedEntry struct {
	p *event.Process
	t int64
}

// NewProcTable returns an empty table. Call Seed to load the running
// processes from cfg.ProcRoot.
func NewProcTable(cfg ProcTableConfig) (*ProcTable, error) {
	if cfg.MaxLive <= 0 {
		cfg.MaxLive = DefaultMaxLive
	}
	if cfg.MaxExited <= 0 {
		cfg.MaxExited = DefaultMaxExited
	}
	if cfg.ExitedTTL <= 0 {
		cfg.ExitedTTL = DefaultExitedTTL
	}
	if cfg.MaxEnvBytes <= 0 {
		cfg.MaxEnvBytes = DefaultMaxEnvBytes
	}
	if cfg.CgroupRoot != "" {
		cfg.CgroupRoot = cgroup2Root(cfg.CgroupRoot)
	}
	t := &ProcTable{cfg: cfg, procs: map[uint32]*event.Process{}, cgroups: map[uint64]string{},
		env: newEnvStore(cfg.MaxEnvBytes)}
	if cfg.ProcRoot != "" {
		fs, err := procfs.NewFS(cfg.ProcRoot)
		if err != nil {
			return nil, fmt.Errorf("open procfs %s: %w", cfg.ProcRoot, err)
		}
		st, err := fs.Stat()
		if err != nil {
			return nil, fmt.Errorf("read boot time from %s/stat: %w", cfg.ProcRoot, err)
		}
		t.fs, t.hasFS, t.bootTime = fs, true, int64(st.BootTime)*1e9
	}
	return t, nil
}

// Seed loads every process of cfg.ProcRoot (except IgnorePid), replacing
// entries of the same pids. Processes that vanish while being read are
// skipped.
func (t *ProcTable) Seed() error {
	if !t.hasFS {
		return nil
	}
	all, err := t.fs.AllProcs()
	if err != nil {
		return fmt.Errorf("list processes in %s: %w", t.cfg.ProcRoot, err)
	}
	seen := make(map[uint32]*event.Process, len(all))
	cg := map[uint64]string{}
	for _, pr := range all {
		if uint32(pr.PID) == t.cfg.IgnorePid {
			continue
		}
		p, cgid, err := t.readProc(pr)
		if err != nil {
			continue // exited while we read it
		}
		seen[p.Pid] = p
		if cgid != 0 {
			cg[cgid] = p.ContainerID
		}
		if len(seen) >= t.cfg.MaxLive {
			break
		}
	}
	// Parents are linked after reading all, since /proc lists children
	// before parents after pid wrap-around. Nothing is published yet, so
	// setting Parent here does not break immutability.
	for _, p := range seen {
		if p.Ppid != p.Pid {
			p.Parent = seen[p.Ppid]
		}
	}
	// A pid reused while /proc was being read can close a loop (A's parent
	// read as the old pid 50, pid 50 read as A's new child); ancestor walks
	// must end, so cut the link that closes it — only that one: a process
	// hanging below the loop keeps its parent, whatever the map order.
	for _, p := range seen {
		onPath := map[*event.Process]bool{p: true}
		for a := p; a.Parent != nil; a = a.Parent {
			if onPath[a.Parent] {
				a.Parent = nil
				break
			}
			onPath[a.Parent] = true
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for pid, p := range seen {
		t.setLocked(pid, p)
	}
	for id, c := range cg {
		t.cgroups[id] = c
	}
	return nil
}

// Ignored reports whether pid is the one the table was told to ignore
// (ttpwatch itself); the source drops its events.
func (t *ProcTable) Ignored(pid uint32) bool {
	return t.cfg.IgnorePid != 0 && pid == t.cfg.IgnorePid
}

// Exec publishes the new image of ti.Pid after a successful exec and returns
// it. The start time, and the container when the cgroup is unknown, carry
// over from the previous image of the pid.
func (t *ProcTable) Exec(ti *TaskInfo, x *ExecInfo) *event.Process {
	p := &event.Process{}
	fillFromTask(p, ti)
	p.ExePath = x.ExePath
	if len(x.Argv) > 0 {
		p.Exe = x.Argv[0]
		p.Args = x.Argv[1:]
	} else {
		p.Exe = x.ExePath
	}
	p.Cwd = x.Cwd
	p.ArgsTruncated = x.ArgsTruncated
	p.ExeFromMemfd = x.FromMemfd
	p.ExeUpperLayer = x.UpperLayer
	p.ExeIno, p.ExeMtime = x.ExeIno, x.ExeMtime
	p.StartTime = ti.Time
	fillLines(p)
	env := x.Env
	if x.EnvTruncated {
		env = t.fullEnviron(ti.Pid, env)
	}

	t.mu.Lock()
	defer t.mu.Unlock()
	t.advance(ti.Time)
	prev := t.procs[ti.Pid]
	if prev != nil && prev.Alive() {
		p.StartTime = prev.StartTime
	}
	p.ContainerID = t.containerLocked(ti.Pid, ti.CgroupID, prev)
	p.Env, p.EnvLine = t.env.block(env)
	t.names(p)
	t.publishLocked(p)
	return p
}

// envFullCap bounds the environment read from /proc when an exec record's
// copy was cut at envCap.
const envFullCap = 32 << 10

// fullEnviron returns the whole environment of pid, read from
// /proc/PID/environ, when the exec record's copy (block, cut at envCap)
// is a prefix of it; otherwise block. The kernel copies only the first
// envCap bytes at exec, so a variable pushed past them by padding (an
// LD_PRELOAD behind 4 KiB of filler) would go unseen; /proc still has the
// block for as long as the process lives and has not rewritten it. Best
// effort: a process that exits first, or overwrites its environment area
// (as setproctitle does) before this read, keeps the cut copy — the
// prefix check makes sure a rewritten area or a reused pid is never
// mistaken for the image's environment.
func (t *ProcTable) fullEnviron(pid uint32, block []byte) []byte {
	if !t.hasFS || len(block) == 0 {
		return block
	}
	f, err := os.Open(filepath.Join(t.cfg.ProcRoot, strconv.FormatUint(uint64(pid), 10), "environ"))
	if err != nil {
		return block
	}
	defer f.Close()
	full, err := io.ReadAll(io.LimitReader(f, envFullCap+1))
	if err != nil {
		return block
	}
	full = envBlock(full, len(full) > envFullCap)
	if len(full) <= len(block) || !bytes.HasPrefix(full, block) || full[len(block)] != 0 {
		return block
	}
	return full
}

// Fork publishes the child of a fork and returns it: it inherits the
// parent's image (exe, args, cwd, container). A new thread (childPid equal to
// the parent's pid) publishes nothing and returns the parent's entry.
func (t *ProcTable) Fork(parent *TaskInfo, childPid, childTid uint32, ts int64) *event.Process {
	pp := t.Resolve(parent)
	if childPid == parent.Pid {
		return pp
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.advance(ts)
	if cur := t.procs[childPid]; cur != nil && cur.Alive() && cur.Ppid == parent.Pid {
		// The child's own events overtook the fork record; keep what they
		// built (it may already be the child's exec).
		return cur
	}
	c := cloneImage(pp)
	c.Pid = childPid
	c.Ppid = parent.Pid
	c.Vpid = 0 // unknown until the child's own events say
	if pp.Vpid == pp.Pid {
		c.Vpid = childPid // the parent lives in the host pid namespace
	}
	c.StartTime = ts
	c.Parent = pp
	t.publishLocked(c)
	return c
}

// Exit records the exit of the thread group pid at time ts (unix ns). The
// entry stays for drill-down until it is ExitedTTL old in event time or
// MaxExited newer exits push it out.
func (t *ProcTable) Exit(pid uint32, code int32, ts int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.advance(ts)
	if p := t.procs[pid]; p != nil {
		t.exitLocked(p, code, ts)
	}
}

// exitLocked marks image p exited and queues it for expiry. Called with mu
// held.
func (t *ProcTable) exitLocked(p *event.Process, code int32, ts int64) {
	if !p.Alive() {
		return
	}
	p.ExitCode.Store(code)
	p.ExitTime.Store(ts)
	t.exited = append(t.exited, exitedEntry{p: p, t: ts})
	t.expireLocked()
}

// Resolve returns the process that produced a record. A known entry whose
// credentials and parent match the record is returned as is, without
// allocating; a changed one (setuid, re-parenting, a namespace pid learnt)
// is republished with the record's values; an unknown pid is read from
// /proc, or built from the record alone when /proc no longer has it.
func (t *ProcTable) Resolve(ti *TaskInfo) *event.Process {
	t.mu.RLock()
	p := t.procs[ti.Pid]
	t.mu.RUnlock()
	if p != nil {
		if p.Alive() && matchesTask(p, ti) {
			return p
		}
		if !p.Alive() && p.Ppid == ti.Ppid {
			return p // a late record of a process that has exited
		}
	}
	var n *event.Process
	if p != nil && p.Alive() {
		n = cloneImage(p)
		fillFromTask(n, ti)
		n.Comm = p.Comm // a thread's own name must not rename the process
		n.Parent = nil  // relinked on publish: the parent may have changed
		if ti.Vpid == 0 {
			n.Vpid = p.Vpid
		}
		if ti.CgroupID == 0 {
			n.CgroupID = p.CgroupID
		} else if ti.CgroupID != p.CgroupID {
			n.ContainerID = "" // moved to another cgroup: look it up again
		}
	} else {
		n = t.fromProcOrTask(ti)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.advance(ti.Time)
	if cur := t.procs[ti.Pid]; cur != p && cur != nil && cur.Alive() && matchesTask(cur, ti) {
		return cur // published meanwhile by another goroutine
	}
	if n.ContainerID == "" {
		n.ContainerID = t.containerLocked(ti.Pid, ti.CgroupID, p)
	}
	t.names(n)
	t.publishLocked(n)
	return n
}

// Get returns the entry of pid (alive or recently exited), or nil.
func (t *ProcTable) Get(pid uint32) *event.Process {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.procs[pid]
}

// Children returns the entries whose parent is pid, sorted by pid.
func (t *ProcTable) Children(pid uint32) []*event.Process {
	t.mu.RLock()
	var out []*event.Process
	for _, p := range t.procs {
		if p.Ppid == pid && p.Pid != pid {
			out = append(out, p)
		}
	}
	t.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Pid < out[j].Pid })
	return out
}

// Snapshot returns every entry, alive and recently exited, sorted by pid.
// The slice is the caller's; the processes are shared and immutable.
func (t *ProcTable) Snapshot() []*event.Process {
	t.mu.RLock()
	out := make([]*event.Process, 0, len(t.procs))
	for _, p := range t.procs {
		out = append(out, p)
	}
	t.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Pid < out[j].Pid })
	return out
}

// Processes is Snapshot, and Process is Get, under the names of the ui's
// ProcessSource interface, which *ProcTable implements.
func (t *ProcTable) Processes() []*event.Process { return t.Snapshot() }

// Process returns the entry of pid, or nil; see Get.
func (t *ProcTable) Process(pid uint32) *event.Process { return t.Get(pid) }

// Len returns the number of entries, alive and exited.
func (t *ProcTable) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.procs)
}

// EnvBytes returns the memory counted for the environments the table
// holds, and how many distinct ones it holds.
func (t *ProcTable) EnvBytes() (bytes, distinct int) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.env.Bytes(), t.env.Len()
}

// Evicted returns how many live entries were forgotten because the table
// was full.
func (t *ProcTable) Evicted() uint64 { return t.evicted.Load() }

// Publish stores p, complete with its Parent link, as the current image of
// p.Pid. Replay uses it to rebuild a table from a capture; the sensor uses
// Exec, Fork and Resolve.
func (t *ProcTable) Publish(p *event.Process) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.advance(p.StartTime)
	t.storeLocked(p)
}

// MarkExited records that image p exited at ts (unix ns) with code, whether
// or not it is still the current image of its pid. Replay uses it.
func (t *ProcTable) MarkExited(p *event.Process, code int32, ts int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.advance(ts)
	t.exitLocked(p, code, ts)
}

// publishLocked links p to its parent's current entry and stores it. Called
// with mu held.
func (t *ProcTable) publishLocked(p *event.Process) {
	if p.Parent == nil && p.Ppid != p.Pid {
		p.Parent = t.procs[p.Ppid]
	}
	t.storeLocked(p)
}

// storeLocked stores p, enforcing the live bound. Called with mu held.
func (t *ProcTable) storeLocked(p *event.Process) {
	if _, ok := t.procs[p.Pid]; !ok && len(t.procs) >= t.cfg.MaxLive+t.cfg.MaxExited {
		t.makeRoomLocked()
	}
	t.setLocked(p.Pid, p)
}

// setLocked makes p the entry of pid, keeping the environment count: the
// replaced image lets go of its environment, p takes its own (and may lose
// it if it is new and the budget is spent, so p must not be published yet).
// Called with mu held.
func (t *ProcTable) setLocked(pid uint32, p *event.Process) {
	old := t.procs[pid]
	if old == p {
		return
	}
	t.env.release(old)
	t.env.acquire(p)
	t.procs[pid] = p
}

// deleteLocked forgets the entry of pid. Called with mu held.
func (t *ProcTable) deleteLocked(pid uint32) {
	t.env.release(t.procs[pid])
	delete(t.procs, pid)
}

// makeRoomLocked frees entries when the table is full: first those whose
// process is gone from /proc (their exit record was lost), then arbitrary
// ones, a tenth of the table at a time so the scan is amortised.
func (t *ProcTable) makeRoomLocked() {
	target := len(t.procs) - t.cfg.MaxLive/10
	if t.hasFS {
		for pid := range t.procs {
			if len(t.procs) <= target {
				return
			}
			if _, err := os.Stat(filepath.Join(t.cfg.ProcRoot, strconv.FormatUint(uint64(pid), 10))); err != nil {
				t.deleteLocked(pid)
				t.evicted.Add(1)
			}
		}
	}
	for pid := range t.procs {
		if len(t.procs) <= target {
			return
		}
		t.deleteLocked(pid)
		t.evicted.Add(1)
	}
}

// advance moves the table's clock and expires old exited entries.
func (t *ProcTable) advance(ts int64) {
	if ts > t.now {
		t.now = ts
	}
	t.expireLocked()
}

func (t *ProcTable) expireLocked() {
	for t.exitedHead < len(t.exited) {
		e := t.exited[t.exitedHead]
		if len(t.exited)-t.exitedHead <= t.cfg.MaxExited && t.now-e.t < t.cfg.ExitedTTL {
			break
		}
		// A reused pid has a newer entry; only the exited image goes.
		if t.procs[e.p.Pid] == e.p {
			t.deleteLocked(e.p.Pid)
		}
		t.exited[t.exitedHead] = exitedEntry{}
		t.exitedHead++
	}
	// Compact once the consumed prefix dominates, so the queue costs O(1)
	// per exit amortised and its memory stays bounded.
	if t.exitedHead > 64 && t.exitedHead*2 > len(t.exited) {
		n := copy(t.exited, t.exited[t.exitedHead:])
		clear(t.exited[n:])
		t.exited = t.exited[:n]
		t.exitedHead = 0
	}
}

// containerLocked finds the container of pid: by cgroup id when the table
// has seen that cgroup, from /proc, or from the previous image.
func (t *ProcTable) containerLocked(pid uint32, cgroupID uint64, prev *event.Process) string {
	if c, ok := t.cgroups[cgroupID]; ok && cgroupID != 0 {
		return c
	}
	if prev != nil && (cgroupID == 0 || prev.CgroupID == cgroupID) {
		return prev.ContainerID
	}
	if t.hasFS {
		if pr, err := t.fs.Proc(int(pid)); err == nil {
			if c, id, ok := t.readCgroup(pr); ok {
				if id != 0 {
					t.cgroups[id] = c
				}
				return c
			}
		}
	}
	return HostContainerID
}

// names fills the user, group and login names of p.
func (t *ProcTable) names(p *event.Process) {
	if t.cfg.Users != nil {
		p.UserName, p.GroupName, p.LoginName = t.cfg.Users.names(p.Uid, p.Gid, p.LoginUID)
	}
}

// fromProcOrTask builds an entry for a pid the table has not seen.
func (t *ProcTable) fromProcOrTask(ti *TaskInfo) *event.Process {
	if t.hasFS {
		if pr, err := t.fs.Proc(int(ti.Pid)); err == nil {
			if p, _, err := t.readProc(pr); err == nil {
				comm, vpid, cgid := p.Comm, p.Vpid, p.CgroupID
				fillFromTask(p, ti) // the record's credentials are newer
				p.Comm = comm
				if ti.Vpid == 0 {
					p.Vpid = vpid
				}
				if ti.CgroupID == 0 {
					p.CgroupID = cgid
				}
				return p
			}
		}
	}
	p := &event.Process{}
	fillFromTask(p, ti)
	p.StartTime = ti.Time
	fillLines(p)
	return p
}

// readProc reads one process from procfs. It returns the cgroup v2 id of
// the process's cgroup when CgroupRoot is set.
func (t *ProcTable) readProc(pr procfs.Proc) (*event.Process, uint64, error) {
	st, err := pr.Stat()
	if err != nil {
		return nil, 0, err
	}
	status, err := pr.NewStatus()
	if err != nil {
		return nil, 0, err
	}
	p := &event.Process{
		Pid:          uint32(st.PID),
		Ppid:         uint32(st.PPID),
		Vpid:         uint32(st.PID),
		Sid:          uint32(st.Session),
		Pgid:         uint32(st.PGRP),
		Tty:          uint32(st.TTY),
		Uid:          uint32(status.UIDs[0]),
		Euid:         uint32(status.UIDs[1]),
		Gid:          uint32(status.GIDs[0]),
		LoginUID:     UnsetLoginUID,
		Comm:         st.Comm,
		CapEffective: status.CapEff,
		CapPermitted: status.CapPrm,
		StartTime:    t.bootTime + int64(st.Starttime)*1e7, // USER_HZ is 100
	}
	if n := len(status.NSpids); n > 0 {
		p.Vpid = uint32(status.NSpids[n-1])
	}
	if b, err := os.ReadFile(filepath.Join(t.cfg.ProcRoot, strconv.Itoa(pr.PID), "loginuid")); err == nil {
		if v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32); err == nil {
			p.LoginUID = uint32(v)
		}
	}
	// exe, cmdline and cwd are unreadable for kernel threads and, without
	// privileges, for other users' processes; the entry stays useful.
	exe, _ := pr.Executable()
	p.ExePath = strings.TrimSuffix(exe, " (deleted)")
	p.ExeFromMemfd = strings.HasPrefix(p.ExePath, "/memfd:")
	// the exe link opens the very file the process runs, even deleted
	if fi, err := os.Stat(filepath.Join(t.cfg.ProcRoot, strconv.Itoa(pr.PID), "exe")); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			p.ExeIno, p.ExeMtime = st.Ino, st.Mtim.Nano()
		}
	}
	p.Cwd, _ = pr.Cwd()
	if argv, err := pr.CmdLine(); err == nil && len(argv) > 0 {
		p.Exe, p.Args = argv[0], argv[1:]
	} else {
		p.Exe = p.ExePath
	}
	// the environment as exec left it (the table interns it on store);
	// unknown when unreadable
	if env, err := pr.Environ(); err == nil {
		p.Env = capEnv(env)
		p.EnvLine = strings.Join(p.Env, " ")
	}
	fillLines(p)
	p.ContainerID = HostContainerID
	var cgid uint64
	if c, id, ok := t.readCgroup(pr); ok {
		p.ContainerID, cgid = c, id
		p.CgroupID = id
	}
	t.names(p)
	return p, cgid, nil
}

// readCgroup returns the container id of a process and the id of its cgroup
// v2 directory (the inode number, as bpf_get_current_cgroup_id reports it).
func (t *ProcTable) readCgroup(pr procfs.Proc) (container string, id uint64, ok bool) {
	cgs, err := pr.Cgroups()
	if err != nil || len(cgs) == 0 {
		return "", 0, false
	}
	container = HostContainerID
	for _, cg := range cgs {
		if c := ContainerIDFromCgroup(cg.Path); c != HostContainerID {
			container = c
		}
		if cg.HierarchyID == 0 && t.cfg.CgroupRoot != "" {
			var st syscall.Stat_t
			if syscall.Stat(filepath.Join(t.cfg.CgroupRoot, cg.Path), &st) == nil {
				id = st.Ino
			}
		}
	}
	return container, id, true
}

// cgroup2Magic is CGROUP2_SUPER_MAGIC, the statfs type of a cgroup v2 mount.
const cgroup2Magic = 0x63677270

// cgroup2Root returns the cgroup v2 mount at root, or at root/unified on
// hybrid hosts (v1 controllers, v2 tree beside them), or "" when there is
// none: a directory inode elsewhere is not a kernel cgroup id and must not
// be mistaken for one.
func cgroup2Root(root string) string {
	for _, dir := range []string{root, filepath.Join(root, "unified")} {
		var st syscall.Statfs_t
		if syscall.Statfs(dir, &st) == nil && st.Type == cgroup2Magic {
			return dir
		}
	}
	return ""
}

// matchesTask reports whether a record's task still matches entry p. Comm is
// not compared: threads name themselves.
func matchesTask(p *event.Process, ti *TaskInfo) bool {
	return p.Uid == ti.Uid && p.Gid == ti.Gid && p.Euid == ti.Euid &&
		p.LoginUID == ti.LoginUID && p.Ppid == ti.Ppid && p.Sid == ti.Sid &&
		p.Pgid == ti.Pgid && p.CapEffective == ti.CapEff && p.CapPermitted == ti.CapPrm &&
		(ti.Vpid == 0 || p.Vpid == ti.Vpid) && (ti.CgroupID == 0 || p.CgroupID == ti.CgroupID)
}

// fillFromTask copies a record's task fields into p.
func fillFromTask(p *event.Process, ti *TaskInfo) {
	p.Pid, p.Ppid, p.Vpid = ti.Pid, ti.Ppid, ti.Vpid
	p.Sid, p.Pgid, p.Tty = ti.Sid, ti.Pgid, ti.Tty
	p.Uid, p.Gid, p.Euid, p.LoginUID = ti.Uid, ti.Gid, ti.Euid, ti.LoginUID
	p.Comm = ti.Comm
	p.CapEffective, p.CapPermitted = ti.CapEff, ti.CapPrm
	p.CgroupID = ti.CgroupID
}

// fillLines builds the joined command lines once per image, so field
// accessors never allocate.
func fillLines(p *event.Process) {
	p.ArgLine = strings.Join(p.Args, " ")
	name := p.Comm
	if name == "" {
		name = filepath.Base(p.Exe)
		if name == "." || name == "/" {
			name = ""
		}
	}
	p.Cmdline, p.ExeLine = name, p.Exe
	if p.ArgLine != "" {
		p.Cmdline = name + " " + p.ArgLine
		p.ExeLine = p.Exe + " " + p.ArgLine
	}
}

// cloneImage copies the image of p (everything but the exit state and the
// parent link) into a new, unpublished Process. Fields are copied one by one
// because Process holds atomics.
func cloneImage(p *event.Process) *event.Process {
	return &event.Process{
		Pid: p.Pid, Ppid: p.Ppid, Vpid: p.Vpid, Sid: p.Sid, Pgid: p.Pgid, Tty: p.Tty,
		Uid: p.Uid, Gid: p.Gid, Euid: p.Euid, LoginUID: p.LoginUID,
		Comm: p.Comm, Exe: p.Exe, ExePath: p.ExePath, Args: p.Args, Cwd: p.Cwd,
		ArgsTruncated: p.ArgsTruncated, ExeFromMemfd: p.ExeFromMemfd, ExeUpperLayer: p.ExeUpperLayer,
		ExeIno: p.ExeIno, ExeMtime: p.ExeMtime,
		CapEffective: p.CapEffective, CapPermitted: p.CapPermitted,
		UserName: p.UserName, GroupName: p.GroupName, LoginName: p.LoginName,
		CgroupID: p.CgroupID, ContainerID: p.ContainerID, StartTime: p.StartTime,
		Parent: p.Parent, Cmdline: p.Cmdline, ArgLine: p.ArgLine, ExeLine: p.ExeLine,
		Env: p.Env, EnvLine: p.EnvLine,
	}
}
