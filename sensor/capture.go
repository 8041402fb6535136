package sensor

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/ttpwatch/ttpwatch/event"
)

// Capture format: JSON Lines, optionally gzip-compressed.
//
//	{"format":"ttpwatch-capture","version":1,"host":"web1","start":1700000000000000000}
//	{"proc":{"id":1,"pid":1,"comm":"systemd",...}}
//	{"proc":{"id":2,"parent":1,"pid":812,...}}
//	{"evt":{"num":1,"time":...,"type":"openat","proc":2,"path":"/etc/shadow",...}}
//	{"exit":{"id":2,"time":...,"code":0}}
//
// The first line is the header. A process image is written once, before the
// first event that refers to it (its ancestors before it), and gets an id;
// events and later images refer to images by id, so replay rebuilds the
// Parent chains. An "exit" line records an image's exit when the recorder
// first sees it. A {"reset":true} line says the recorder forgot its images
// (it bounds its memory): later lines define the images they use again, and
// the reader may forget the earlier ids. Event types are written by their
// Falco names, so captures survive renumbering of event.Type. Readers reject
// a newer version. Fields added later are optional ("env", the environment,
// may hold secrets: capture files are created mode 0600).
const (
	CaptureFormat  = "ttpwatch-capture"
	CaptureVersion = 1
)

// CaptureHeader is the first line of a capture.
type CaptureHeader struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Host    string `json:"host"`
	Start   int64  `json:"start"` // unix ns when recording started
}

// maxRecordedProcs bounds the recorder's memory of written images; past it
// the recorder forgets them all and writes images again on next use.
const maxRecordedProcs = 1 << 17

// maxAncestry bounds the parent chain the recorder follows.
const maxAncestry = 256

type captureLine struct {
	Reset bool       `json:"reset,omitempty"`
	Proc  *wireProc  `json:"proc,omitempty"`
	Exit  *wireExit  `json:"exit,omitempty"`
	Evt   *wireEvent `json:"evt,omitempty"`
}

type wireProc struct {
	ID            uint64   `json:"id"`
	Parent        uint64   `json:"parent,omitempty"`
	Pid           uint32   `json:"pid"`
	Ppid          uint32   `json:"ppid"`
	Vpid          uint32   `json:"vpid,omitempty"`
	Sid           uint32   `json:"sid,omitempty"`
	Pgid          uint32   `json:"pgid,omitempty"`
	Tty           uint32   `json:"tty,omitempty"`
	Uid           uint32   `json:"uid"`
	Gid           uint32   `json:"gid"`
	Euid          uint32   `json:"euid"`
	LoginUID      uint32   `json:"loginuid"`
	Comm          string   `json:"comm,omitempty"`
	Exe           string   `json:"exe,omitempty"`
	ExePath       string   `json:"exepath,omitempty"`
	Args          []string `json:"args,omitempty"`
	Cwd           string   `json:"cwd,omitempty"`
	ArgsTruncated bool     `json:"args_truncated,omitempty"`
	ExeFromMemfd  bool     `json:"exe_memfd,omitempty"`
	ExeUpperLayer bool     `json:"exe_upper,omitempty"`
	ExeIno        uint64   `json:"exe_ino,omitempty"`
	ExeMtime      int64    `json:"exe_mtime,omitempty"`
	CapEffective  uint64   `json:"cap_eff,omitempty"`
	CapPermitted  uint64   `json:"cap_prm,omitempty"`
	UserName      string   `json:"user,omitempty"`
	GroupName     string   `json:"group,omitempty"`
	LoginName     string   `json:"login,omitempty"`
	CgroupID      uint64   `json:"cgroup_id,omitempty"`
	ContainerID   string   `json:"container,omitempty"`
	StartTime     int64    `json:"start,omitempty"`
	ExitTime      int64    `json:"exit_time,omitempty"`
	ExitCode      int32    `json:"exit_code,omitempty"`
	Cmdline       string   `json:"cmdline,omitempty"`
	ArgLine       string   `json:"argline,omitempty"`
	ExeLine       string   `json:"exeline,omitempty"`
	// Env is the environment (KEY=VALUE strings); absent when unknown, as in
	// captures written before it was recorded, [] when empty.
	Env *[]string `json:"env,omitempty"`
}

type wireExit struct {
	ID   uint64 `json:"id"`
	Time int64  `json:"time"`
	Code int32  `json:"code"`
}

type wireSock struct {
	Family   uint16 `json:"family,omitempty"`
	Type     uint16 `json:"type,omitempty"`
	Proto    uint16 `json:"proto,omitempty"`
	Role     uint8  `json:"role,omitempty"`
	Local    string `json:"local,omitempty"`
	Remote   string `json:"remote,omitempty"`
	UnixPath string `json:"unix,omitempty"`
}

type wireEvent struct {
	Num       uint64    `json:"num"`
	Time      int64     `json:"time"`
	Type      string    `json:"type"`
	Res       int64     `json:"res"`
	Tid       uint32    `json:"tid"`
	CPU       uint16    `json:"cpu,omitempty"`
	Proc      uint64    `json:"proc,omitempty"`
	Fd        int64     `json:"fd,omitempty"`
	Fd2       int64     `json:"fd2,omitempty"`
	Path      string    `json:"path,omitempty"`
	Path2     string    `json:"path2,omitempty"`
	PathRaw   string    `json:"pathraw,omitempty"`
	FSType    string    `json:"fstype,omitempty"`
	Flags     uint64    `json:"flags,omitempty"`
	Mode      uint32    `json:"mode,omitempty"`
	Sock      *wireSock `json:"sock,omitempty"`
	TargetPid int64     `json:"target_pid,omitempty"`
	Signal    int64     `json:"signal,omitempty"`
	Request   int64     `json:"request,omitempty"`
	Cmd       int64     `json:"cmd,omitempty"`
	UIDs      []int64   `json:"uids,omitempty"`
	PrevIDs   []int64   `json:"prev_ids,omitempty"`
}

type recorded struct {
	id     uint64
	exited bool
}

// Recorder writes events to a capture. It is not safe for concurrent use;
// the pipeline calls it from its one goroutine.
type Recorder struct {
	bw     *bufio.Writer
	gz     *gzip.Writer
	closer io.Closer
	enc    *json.Encoder

	host  string
	start int64

	wroteHeader bool
	ids         map[*event.Process]*recorded
	maxProcs    int
	nextID      uint64
	err         error
}

// NewRecorder returns a recorder writing to w, gzip-compressed when gz is
// set. The header names this host and the current time. Close flushes; it
// does not close w.
func NewRecorder(w io.Writer, gz bool) *Recorder {
	host, _ := os.Hostname()
	r := &Recorder{host: host, start: time.Now().UnixNano(), ids: map[*event.Process]*recorded{}, maxProcs: maxRecordedProcs}
	if gz {
		r.gz = gzip.NewWriter(w)
		w = r.gz
	}
	r.bw = bufio.NewWriterSize(w, 64<<10)
	r.enc = json.NewEncoder(r.bw)
	r.enc.SetEscapeHTML(false)
	return r
}

// CreateRecorder creates (or truncates) the capture file path, mode 0600 as
// it holds command lines and environments (which may hold secrets),
// gzip-compressed when the name ends in .gz. An existing file is made 0600
// before anything is written to it. Close closes the file.
func CreateRecorder(path string) (*Recorder, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create capture %s: %w", path, err)
	}
	// O_CREAT's mode applies only to a new file: an existing one keeps its
	// own, which may let others read what is recorded now
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Mode().Perm() != 0o600 {
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return nil, fmt.Errorf("create capture %s: make it private (mode 0600): %w", path, err)
		}
	}
	r := NewRecorder(f, strings.HasSuffix(path, ".gz"))
	r.closer = f
	return r, nil
}

// Write appends ev, preceded by the process images and exits it refers to
// that were not written yet. After the first error every call returns it.
func (r *Recorder) Write(ev *event.Event) error {
	if r.err != nil {
		return r.err
	}
	if !r.wroteHeader {
		r.wroteHeader = true
		r.put(CaptureHeader{Format: CaptureFormat, Version: CaptureVersion, Host: r.host, Start: r.start})
	}
	if len(r.ids) >= r.maxProcs {
		r.ids = map[*event.Process]*recorded{}
		r.put(captureLine{Reset: true})
	}
	id := r.writeProc(ev.Proc, 0)
	w := wireEvent{
		Num: ev.Num, Time: ev.Time, Type: ev.Type.String(), Res: ev.Res, Tid: ev.Tid, CPU: ev.CPU,
		Proc: id, Fd: ev.Fd, Fd2: ev.Fd2, Path: ev.Path, Path2: ev.Path2, PathRaw: ev.PathRaw,
		FSType: ev.FSType, Flags: ev.Flags, Mode: ev.Mode, TargetPid: ev.TargetPid,
		Signal: ev.Signal, Request: ev.Request, Cmd: ev.Cmd,
	}
	if ev.UIDs != [3]int64{} {
		w.UIDs = ev.UIDs[:]
	}
	if setIDs(ev.Type) {
		w.PrevIDs = ev.PrevIDs[:]
	}
	if s := ev.Sock; s != (event.Sock{}) {
		w.Sock = &wireSock{Family: s.Family, Type: s.Type, Proto: s.Proto, Role: uint8(s.Role),
			UnixPath: s.UnixPath}
		if s.Local.IsValid() {
			w.Sock.Local = s.Local.String()
		}
		if s.Remote.IsValid() {
			w.Sock.Remote = s.Remote.String()
		}
	}
	r.put(captureLine{Evt: &w})
	return r.err
}

// writeProc writes p and its unwritten ancestors, and exit lines for written
// images that have since exited; it returns p's id (0 for nil).
func (r *Recorder) writeProc(p *event.Process, depth int) uint64 {
	if p == nil || depth > maxAncestry {
		return 0
	}
	if rec, ok := r.ids[p]; ok {
		if !rec.exited && !p.Alive() {
			rec.exited = true
			r.put(captureLine{Exit: &wireExit{ID: rec.id, Time: p.ExitTime.Load(), Code: p.ExitCode.Load()}})
		}
		// Ancestors were written with p; only their exits can be news.
		r.writeProc(p.Parent, depth+1)
		return rec.id
	}
	parent := r.writeProc(p.Parent, depth+1)
	r.nextID++
	rec := &recorded{id: r.nextID, exited: !p.Alive()}
	r.ids[p] = rec
	var env *[]string
	if p.Env != nil {
		env = &p.Env
	}
	r.put(captureLine{Proc: &wireProc{
		ID: rec.id, Parent: parent, Pid: p.Pid, Ppid: p.Ppid, Vpid: p.Vpid, Sid: p.Sid, Pgid: p.Pgid,
		Tty: p.Tty, Uid: p.Uid, Gid: p.Gid, Euid: p.Euid, LoginUID: p.LoginUID, Comm: p.Comm,
		Exe: p.Exe, ExePath: p.ExePath, Args: p.Args, Cwd: p.Cwd, ArgsTruncated: p.ArgsTruncated,
		ExeFromMemfd: p.ExeFromMemfd, ExeUpperLayer: p.ExeUpperLayer, CapEffective: p.CapEffective,
		ExeIno: p.ExeIno, ExeMtime: p.ExeMtime,
		CapPermitted: p.CapPermitted, UserName: p.UserName, GroupName: p.GroupName,
		LoginName: p.LoginName, CgroupID: p.CgroupID, ContainerID: p.ContainerID,
		StartTime: p.StartTime, ExitTime: p.ExitTime.Load(), ExitCode: p.ExitCode.Load(),
		Cmdline: p.Cmdline, ArgLine: p.ArgLine, ExeLine: p.ExeLine, Env: env,
	}})
	return rec.id
}

func (r *Recorder) put(v any) {
	if r.err == nil {
		if err := r.enc.Encode(v); err != nil {
			r.err = fmt.Errorf("write capture: %w", err)
		}
	}
}

// Flush writes buffered lines through to the underlying writer (and a gzip
// sync point), so a capture cut short by a crash stays readable up to here.
func (r *Recorder) Flush() error {
	if r.err != nil {
		return r.err
	}
	if err := r.bw.Flush(); err != nil {
		r.err = fmt.Errorf("write capture: %w", err)
		return r.err
	}
	if r.gz != nil {
		if err := r.gz.Flush(); err != nil {
			r.err = fmt.Errorf("write capture: %w", err)
		}
	}
	return r.err
}

// Close writes the header if no event came, flushes, ends the gzip stream
// and closes the file of CreateRecorder.
func (r *Recorder) Close() error {
	if !r.wroteHeader && r.err == nil {
		r.wroteHeader = true
		r.put(CaptureHeader{Format: CaptureFormat, Version: CaptureVersion, Host: r.host, Start: r.start})
	}
	err := r.Flush()
	if r.gz != nil {
		if e := r.gz.Close(); e != nil && err == nil {
			err = fmt.Errorf("write capture: %w", e)
		}
	}
	if r.closer != nil {
		if e := r.closer.Close(); e != nil && err == nil {
			err = fmt.Errorf("close capture: %w", e)
		}
	}
	return err
}

// maxCaptureLine bounds one capture line (a process image with a long argv).
const maxCaptureLine = 16 << 20

// captureReader decodes a capture stream line by line.
type captureReader struct {
	name   string
	sc     *bufio.Scanner
	rd     *errReader
	line   int
	header CaptureHeader
	procs  map[uint64]*event.Process
	table  *ProcTable
	ev     event.Event
}

// errorf reports a problem at the current line, as file:line: message.
func (c *captureReader) errorf(format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", c.name, c.line, fmt.Sprintf(format, args...))
}

// newCaptureReader reads and checks the header. r may be gzip-compressed;
// the gzip magic decides, not the name.
func newCaptureReader(r io.Reader, name string, table *ProcTable) (*captureReader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: not a valid gzip capture: %w", name, err)
		}
		r = zr
	} else {
		r = br
	}
	er := &errReader{r: r}
	c := &captureReader{name: name, sc: bufio.NewScanner(er), rd: er, procs: map[uint64]*event.Process{}, table: table}
	c.sc.Buffer(make([]byte, 0, 64<<10), maxCaptureLine)
	if !c.scan() {
		if err := c.scanErr(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%s: empty file, not a ttpwatch capture", name)
	}
	if err := json.Unmarshal(c.sc.Bytes(), &c.header); err != nil || c.header.Format != CaptureFormat {
		return nil, c.errorf("not a ttpwatch capture (the first line must be a %q header)", CaptureFormat)
	}
	if c.header.Version < 1 || c.header.Version > CaptureVersion {
		return nil, c.errorf("capture version %d is not supported (this ttpwatch reads version %d); use a newer ttpwatch", c.header.Version, CaptureVersion)
	}
	return c, nil
}

func (c *captureReader) scan() bool {
	ok := c.sc.Scan()
	c.line++
	return ok
}

func (c *captureReader) scanErr() error {
	err := c.sc.Err()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bufio.ErrTooLong):
		return c.errorf("line longer than %d bytes; the capture is corrupt", maxCaptureLine)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return c.errorf("capture is truncated (unexpected end of compressed data)")
	}
	return c.errorf("read capture: %v", err)
}

// next returns the next event, reused by the following call, or io.EOF at
// the end of the capture.
func (c *captureReader) next() (*event.Event, error) {
	for c.scan() {
		b := c.sc.Bytes()
		if len(b) == 0 {
			continue
		}
		var l captureLine
		if err := json.Unmarshal(b, &l); err != nil {
			if errors.Is(c.rd.err, io.ErrUnexpectedEOF) {
				return nil, c.errorf("capture is truncated (unexpected end of compressed data)")
			}
			return nil, c.errorf("bad line: %v", err)
		}
		switch {
		case l.Reset:
			c.procs = map[uint64]*event.Process{}
		case l.Proc != nil:
			if err := c.addProc(l.Proc); err != nil {
				return nil, err
			}
		case l.Exit != nil:
			p := c.procs[l.Exit.ID]
			if p == nil {
				return nil, c.errorf("bad exit: unknown process id %d", l.Exit.ID)
			}
			if c.table != nil {
				c.table.MarkExited(p, l.Exit.Code, l.Exit.Time)
			} else if p.Alive() {
				p.ExitCode.Store(l.Exit.Code)
				p.ExitTime.Store(l.Exit.Time)
			}
		case l.Evt != nil:
			if err := c.fillEvent(l.Evt); err != nil {
				return nil, err
			}
			return &c.ev, nil
		default:
			return nil, c.errorf("bad line: neither proc, exit, evt nor reset")
		}
	}
	if err := c.scanErr(); err != nil {
		return nil, err
	}
	return nil, io.EOF
}

func (c *captureReader) addProc(w *wireProc) error {
	if w.ID == 0 {
		return c.errorf("bad proc: id 0")
	}
	if _, dup := c.procs[w.ID]; dup {
		return c.errorf("bad proc: id %d defined twice", w.ID)
	}
	var parent *event.Process
	if w.Parent != 0 {
		if parent = c.procs[w.Parent]; parent == nil {
			return c.errorf("bad proc: unknown parent id %d", w.Parent)
		}
	}
	p := &event.Process{
		Pid: w.Pid, Ppid: w.Ppid, Vpid: w.Vpid, Sid: w.Sid, Pgid: w.Pgid, Tty: w.Tty,
		Uid: w.Uid, Gid: w.Gid, Euid: w.Euid, LoginUID: w.LoginUID, Comm: w.Comm, Exe: w.Exe,
		ExePath: w.ExePath, Args: w.Args, Cwd: w.Cwd, ArgsTruncated: w.ArgsTruncated,
		ExeFromMemfd: w.ExeFromMemfd, ExeUpperLayer: w.ExeUpperLayer, CapEffective: w.CapEffective,
		ExeIno: w.ExeIno, ExeMtime: w.ExeMtime,
		CapPermitted: w.CapPermitted, UserName: w.UserName, GroupName: w.GroupName,
		LoginName: w.LoginName, CgroupID: w.CgroupID, ContainerID: w.ContainerID,
		StartTime: w.StartTime, Parent: parent, Cmdline: w.Cmdline, ArgLine: w.ArgLine, ExeLine: w.ExeLine,
	}
	if w.Env != nil {
		env := *w.Env
		if env == nil {
			env = []string{} // "env":[]
		}
		p.Env, p.EnvLine = event.JoinEnv(env)
	}
	c.procs[w.ID] = p
	if c.table != nil {
		c.table.Publish(p)
	}
	if w.ExitTime != 0 {
		if c.table != nil {
			c.table.MarkExited(p, w.ExitCode, w.ExitTime)
		} else {
			p.ExitCode.Store(w.ExitCode)
			p.ExitTime.Store(w.ExitTime)
		}
	}
	return nil
}

func (c *captureReader) fillEvent(w *wireEvent) error {
	typ, ok := event.ParseType(w.Type)
	if !ok && w.Type != event.TypeUnknown.String() {
		return c.errorf("bad event: unknown type %q", w.Type)
	}
	var proc *event.Process
	if w.Proc != 0 {
		if proc = c.procs[w.Proc]; proc == nil {
			return c.errorf("bad event: unknown process id %d", w.Proc)
		}
	}
	c.ev = event.Event{
		Num: w.Num, Time: w.Time, Type: typ, Res: w.Res, Tid: w.Tid, CPU: w.CPU, Proc: proc,
		Fd: w.Fd, Fd2: w.Fd2, Path: w.Path, Path2: w.Path2, PathRaw: w.PathRaw, FSType: w.FSType,
		Flags: w.Flags, Mode: w.Mode, TargetPid: w.TargetPid, Signal: w.Signal,
		Request: w.Request, Cmd: w.Cmd,
	}
	if len(w.UIDs) > 3 {
		return c.errorf("bad event: %d uids, at most 3", len(w.UIDs))
	}
	copy(c.ev.UIDs[:], w.UIDs)
	if setIDs(typ) {
		// a capture from before prev_ids existed: the ids are unknown
		c.ev.PrevIDs = [2]int64{-1, -1}
		if len(w.PrevIDs) != 0 && len(w.PrevIDs) != 2 {
			return c.errorf("bad event: %d prev_ids, want 2", len(w.PrevIDs))
		}
		copy(c.ev.PrevIDs[:], w.PrevIDs)
	}
	if s := w.Sock; s != nil {
		c.ev.Sock = event.Sock{Family: s.Family, Type: s.Type, Proto: s.Proto,
			Role: event.SockRole(s.Role), UnixPath: s.UnixPath}
		var err error
		if s.Local != "" {
			if c.ev.Sock.Local, err = netip.ParseAddrPort(s.Local); err != nil {
				return c.errorf("bad event: local address: %v", err)
			}
		}
		if s.Remote != "" {
			if c.ev.Sock.Remote, err = netip.ParseAddrPort(s.Remote); err != nil {
				return c.errorf("bad event: remote address: %v", err)
			}
		}
	}
	return nil
}

// errReader remembers the error that ended its reader, which bufio.Scanner
// only reports after handing out the partial last line.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && e.err == nil {
		e.err = err
	}
	return n, err
}

// setIDs reports whether events of type t carry the caller's previous ids.
func setIDs(t event.Type) bool {
	return t == event.TypeSetuid || t == event.TypeSetgid || t == event.TypeSetresuid || t == event.TypeSetresgid
}
