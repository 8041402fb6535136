package sensor

import (
	"bytes"
	"context"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/ttpwatch/ttpwatch/event"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenEvents builds a small session by hand: init -> bash -> cat, with
// every event field used at least once and one process exiting.
func goldenEvents() []*event.Event {
	initp := &event.Process{Pid: 1, Vpid: 1, Sid: 1, Pgid: 1, LoginUID: UnsetLoginUID, Comm: "systemd",
		Exe: "/sbin/init", ExePath: "/usr/lib/systemd/systemd", Cwd: "/", CapEffective: 0x1ffffffffff,
		CapPermitted: 0x1ffffffffff, UserName: "root", GroupName: "root", CgroupID: 7,
		ContainerID: "host", StartTime: 1e9, Cmdline: "systemd", ExeLine: "/sbin/init"}
	bash := &event.Process{Pid: 100, Ppid: 1, Vpid: 100, Sid: 100, Pgid: 100, Tty: 34816, Uid: 1000,
		Gid: 1000, Euid: 1000, LoginUID: 1000, Comm: "bash", Exe: "-bash", ExePath: "/usr/bin/bash",
		Cwd: "/home/alice", UserName: "alice", GroupName: "alice", LoginName: "alice", CgroupID: 9,
		ContainerID: "host", StartTime: 2e9, Parent: initp, Cmdline: "bash", ExeLine: "-bash"}
	cat := &event.Process{Pid: 200, Ppid: 100, Vpid: 1, Sid: 100, Pgid: 200, Tty: 34816, Uid: 1000,
		Gid: 1000, Euid: 0, LoginUID: 1000, Comm: "cat", Exe: "cat", ExePath: "/usr/bin/cat",
		Args: []string{"/etc/shadow", "with space", "ünïcødé\x1b[31m"}, Cwd: "/tmp", ArgsTruncated: true,
		ExeFromMemfd: true, ExeUpperLayer: true, UserName: "alice", GroupName: "alice", LoginName: "alice",
		ExeIno: 131077, ExeMtime: 2999e6,
		ContainerID: "3f4e5d6c7b8a", StartTime: 3e9, Parent: bash,
		Cmdline: "cat /etc/shadow with space ünïcødé\x1b[31m", ArgLine: "/etc/shadow with space ünïcødé\x1b[31m",
		ExeLine: "cat /etc/shadow with space ünïcødé\x1b[31m"}
	evs := []*event.Event{
		{Num: 1, Time: 3e9, Type: event.TypeExecve, Tid: 200, CPU: 1, Proc: cat},
		{Num: 2, Time: 3e9 + 1, Type: event.TypeOpenat, Res: 3, Tid: 200, Proc: cat, Fd: 3,
			Path: "/etc/shadow", PathRaw: "../etc/shadow", Flags: 0o2101, Mode: 0o600},
		{Num: 3, Time: 3e9 + 2, Type: event.TypeConnect, Res: -111, Tid: 201, Proc: cat, Fd: 4,
			Sock: event.Sock{Family: event.AFInet, Type: 1, Proto: 6, Role: event.RoleClient,
				Local: netip.MustParseAddrPort("10.0.0.2:40000"), Remote: netip.MustParseAddrPort("192.0.2.1:443")}},
		{Num: 4, Time: 3e9 + 3, Type: event.TypeAccept4, Res: 5, Tid: 100, Proc: bash, Fd: 5, Flags: 0o4000,
			Sock: event.Sock{Family: event.AFInet6, Type: 1, Role: event.RoleServer,
				Local: netip.MustParseAddrPort("[::1]:22"), Remote: netip.MustParseAddrPort("[2001:db8::7]:50123")}},
		{Num: 5, Time: 3e9 + 4, Type: event.TypeConnect, Tid: 100, Proc: bash, Fd: 6,
			Sock: event.Sock{Family: event.AFUnix, Type: 1, Role: event.RoleClient, UnixPath: "/run/docker.sock"}},
		{Num: 6, Time: 3e9 + 5, Type: event.TypeRenameat2, Tid: 100, Proc: bash, Path: "/a", Path2: "/b", Flags: 1},
		{Num: 7, Time: 3e9 + 6, Type: event.TypeMount, Tid: 100, Proc: bash, Path: "/mnt", Path2: "/dev/sda1", FSType: "ext4", Flags: 4096},
		{Num: 8, Time: 3e9 + 7, Type: event.TypeSetresuid, Tid: 100, Proc: bash, UIDs: [3]int64{0, -1, 0}, PrevIDs: [2]int64{1000, 0}},
		{Num: 9, Time: 3e9 + 8, Type: event.TypeKill, Tid: 100, Proc: bash, TargetPid: 200, Signal: 9},
		{Num: 10, Time: 3e9 + 9, Type: event.TypePtrace, Res: -1, Tid: 100, Proc: bash, TargetPid: 1, Request: 16},
		{Num: 11, Time: 3e9 + 10, Type: event.TypeBpf, Tid: 100, Proc: bash, Cmd: 5},
		{Num: 12, Time: 3e9 + 11, Type: event.TypeDup2, Res: 1, Tid: 100, Proc: bash, Fd: 3, Fd2: 1,
			Sock: event.Sock{Family: event.AFInet, Type: 1, Proto: 6,
				Local: netip.MustParseAddrPort("10.0.0.2:40001"), Remote: netip.MustParseAddrPort("192.0.2.1:4444")}},
		{Num: 13, Time: 3e9 + 12, Type: event.TypeProcexit, Tid: 200, Proc: cat},
		{Num: 14, Time: 3e9 + 13, Type: event.TypeUnknown, Tid: 5},
	}
	return evs
}

// record writes evs, marking cat exited just before its procexit event as
// the process table would.
func record(t *testing.T, evs []*event.Event, gz bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	rec := NewRecorder(&buf, gz)
	rec.host, rec.start = "testhost", 42
	for _, ev := range evs {
		if ev.Type == event.TypeProcexit {
			ev.Proc.ExitCode.Store(137)
			ev.Proc.ExitTime.Store(ev.Time)
		}
		if err := rec.Write(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCaptureRoundTrip(t *testing.T) {
	for _, gz := range []bool{false, true} {
		evs := goldenEvents()
		data := record(t, evs, gz)
		hdr, got, err := ReadCapture(bytes.NewReader(data), "golden")
		if err != nil {
			t.Fatalf("gz=%v: %v", gz, err)
		}
		if hdr != (CaptureHeader{Format: CaptureFormat, Version: 1, Host: "testhost", Start: 42}) {
			t.Errorf("header = %+v", hdr)
		}
		if len(got) != len(evs) {
			t.Fatalf("gz=%v: %d events, want %d", gz, len(got), len(evs))
		}
		for i := range evs {
			// DeepEqual follows Proc and its Parent chain and compares the
			// exit state held in the atomics.
			if !reflect.DeepEqual(evs[i], got[i]) {
				t.Errorf("gz=%v event %d:\n got %+v\nwant %+v\n got proc %+v\nwant proc %+v", gz, i, got[i], evs[i], got[i].Proc, evs[i].Proc)
			}
		}
		// Images are shared, not duplicated: the chain is rebuilt by id.
		if got[0].Proc != got[1].Proc || got[0].Proc.Parent != got[3].Proc {
			t.Error("replay duplicated process images instead of sharing them")
		}
		if gz != (data[0] == 0x1f) {
			t.Errorf("gz=%v but data starts %x", gz, data[:2])
		}
	}
}

func TestRecorderBoundsItsMemory(t *testing.T) {
	var buf bytes.Buffer
	rec := NewRecorder(&buf, false)
	rec.maxProcs = 3
	var evs []*event.Event
	parent := &event.Process{Pid: 1, Comm: "init"}
	for i := 0; i < 20; i++ {
		p := &event.Process{Pid: uint32(100 + i), Ppid: 1, Comm: "p", Parent: parent}
		evs = append(evs, &event.Event{Num: uint64(i + 1), Type: event.TypeOpenat, Proc: p},
			&event.Event{Num: uint64(i + 1), Type: event.TypeOpenat, Proc: parent})
	}
	for _, ev := range evs {
		if err := rec.Write(ev); err != nil {
			t.Fatal(err)
		}
		if len(rec.ids) > rec.maxProcs {
			t.Fatalf("recorder remembers %d images, bound %d", len(rec.ids), rec.maxProcs)
		}
	}
	rec.Close()
	if !bytes.Contains(buf.Bytes(), []byte(`{"reset":true}`)) {
		t.Fatal("no reset line written")
	}
	_, got, err := ReadCapture(bytes.NewReader(buf.Bytes()), "bounded")
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		if !reflect.DeepEqual(evs[i], got[i]) {
			t.Fatalf("event %d after resets: got proc %+v want %+v", i, got[i].Proc, evs[i].Proc)
		}
	}
}

func TestCaptureGolden(t *testing.T) {
	got := record(t, goldenEvents(), false)
	path := filepath.Join("testdata", "capture", "golden.jsonl")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("capture format changed; if intended bump CaptureVersion and run go test -update\n got:\n%s\nwant:\n%s", got, want)
	}
}

func TestReplayFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.jsonl.gz")
	rec, err := CreateRecorder(path)
	if err != nil {
		t.Fatal(err)
	}
	rec.host = "testhost"
	evs := goldenEvents()
	for _, ev := range evs {
		if ev.Type == event.TypeProcexit {
			ev.Proc.ExitTime.Store(ev.Time)
		}
		if err := rec.Write(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("capture mode %v, want 0600", st.Mode().Perm())
	}
	r, err := OpenReplay(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Header().Host != "testhost" {
		t.Errorf("header host %q", r.Header().Host)
	}
	var nums []uint64
	var types []string
	err = r.Run(context.Background(), func(ev *event.Event) {
		nums = append(nums, ev.Num)
		types = append(types, ev.Type.String())
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(nums) != len(evs) || nums[0] != 1 || nums[len(nums)-1] != uint64(len(evs)) {
		t.Errorf("replayed nums %v", nums)
	}
	if types[1] != "openat" || types[12] != "procexit" {
		t.Errorf("replayed types %v", types)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close after Run = %v, want nil", err)
	}
	tab := r.Procs()
	if p := tab.Get(200); p == nil || p.Alive() || p.Parent != tab.Get(100) || p.Parent.Parent != tab.Get(1) {
		t.Errorf("replay table: cat %+v", p)
	}
	if c := tab.Children(100); len(c) != 1 || c[0].Comm != "cat" {
		t.Errorf("replay table children of bash: %v", c)
	}
}

func TestReplayStopsOnCancel(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "slow.jsonl")
	if err := os.WriteFile(path, record(t, goldenEvents(), false), 0o600); err != nil {
		t.Fatal(err)
	}
	// At speed 1e-9 the second event is due in years; cancel must end Run.
	r, err := OpenReplay(path, 1e-9)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err = r.Run(ctx, func(*event.Event) { n++; cancel() })
	if err != nil || n != 1 {
		t.Errorf("Run after cancel = %v after %d events, want nil after 1", err, n)
	}
}

func TestReplayErrors(t *testing.T) {
	good := string(record(t, goldenEvents(), false))
	lines := strings.SplitAfter(good, "\n")
	gz := record(t, goldenEvents(), true)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "c.jsonl: empty file"},
		{"not a capture", []byte("hello\n"), "c.jsonl:1: not a ttpwatch capture"},
		{"other json", []byte(`{"format":"pcap"}` + "\n"), "c.jsonl:1: not a ttpwatch capture"},
		{"future version", []byte(`{"format":"ttpwatch-capture","version":9}` + "\n"), "c.jsonl:1: capture version 9 is not supported"},
		{"bad json line", []byte(lines[0] + lines[1] + "{oops\n"), "c.jsonl:3: bad line"},
		{"truncated line", []byte(good[:len(good)-20]), "c.jsonl:" + itoa(len(lines)-1) + ": bad line"},
		{"unknown type", []byte(lines[0] + lines[1] + lines[2] + lines[3] + `{"evt":{"num":1,"type":"frobnicate","proc":1}}` + "\n"), "c.jsonl:5: bad event: unknown type \"frobnicate\""},
		{"unknown proc", []byte(lines[0] + `{"evt":{"num":1,"type":"openat","proc":99}}` + "\n"), "c.jsonl:2: bad event: unknown process id 99"},
		{"unknown parent", []byte(lines[0] + `{"proc":{"id":5,"parent":4}}` + "\n"), "c.jsonl:2: bad proc: unknown parent id 4"},
		{"duplicate proc", []byte(lines[0] + lines[1] + lines[1]), "c.jsonl:3: bad proc: id 1 defined twice"},
		{"unknown exit", []byte(lines[0] + `{"exit":{"id":3,"time":1}}` + "\n"), "c.jsonl:2: bad exit: unknown process id 3"},
		{"empty record", []byte(lines[0] + "{}\n"), "c.jsonl:2: bad line: neither proc, exit, evt nor reset"},
		{"bad address", []byte(lines[0] + `{"evt":{"type":"connect","sock":{"remote":"1.2.3.4"}}}` + "\n"), "c.jsonl:2: bad event: remote address"},
		{"too many uids", []byte(lines[0] + `{"evt":{"type":"setresuid","uids":[1,2,3,4]}}` + "\n"), "c.jsonl:2: bad event: 4 uids"},
		{"truncated gzip", gz[:len(gz)-30], ": capture is truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadCapture(bytes.NewReader(tt.data), "c.jsonl")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func FuzzReplay(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "capture", "golden.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add(golden[:len(golden)/2])
	f.Add([]byte(`{"format":"ttpwatch-capture","version":1}` + "\n" + `{"proc":{"id":1,"parent":1}}` + "\n"))
	f.Add([]byte{0x1f, 0x8b, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, evs, err := ReadCapture(bytes.NewReader(data), "fuzz.jsonl")
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.jsonl") {
			t.Fatalf("error does not name the file: %v", err)
		}
		for _, ev := range evs {
			for p, n := ev.Proc, 0; p != nil; p, n = p.Parent, n+1 {
				if n > 1<<20 {
					t.Fatal("parent cycle")
				}
			}
		}
	})
}

func TestDemoCaptureReads(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "capture", "demo.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hdr, evs, err := ReadCapture(f, "demo.jsonl.gz")
	if err != nil {
		t.Fatal(err)
	}
	if hdr.Version != CaptureVersion || len(evs) < 1000 {
		t.Fatalf("demo capture: version %d, %d events", hdr.Version, len(evs))
	}
	nobody := 0
	for i, ev := range evs {
		if ev.Proc == nil {
			t.Fatalf("event %d has no process", i)
		}
		if i > 0 && ev.Num <= evs[i-1].Num {
			t.Fatalf("event %d out of order", i)
		}
		if ev.Proc.UserName == "nobody" {
			nobody++
		}
	}
	if nobody == 0 {
		t.Error("no event of the script's nobody user")
	}
}

// TestCaptureEnv records images with an environment, an empty one and an
// unknown one, and reads them back as they were.
func TestCaptureEnv(t *testing.T) {
	withEnv := &event.Process{Pid: 10, Comm: "sh", LoginUID: UnsetLoginUID}
	withEnv.Env, withEnv.EnvLine = event.JoinEnv([]string{"LD_PRELOAD=/tmp/x.so", "PS1=$ ", "E="})
	empty := &event.Process{Pid: 11, Ppid: 10, Comm: "env", Parent: withEnv, LoginUID: UnsetLoginUID}
	empty.Env, empty.EnvLine = event.JoinEnv([]string{})
	unknown := &event.Process{Pid: 12, Ppid: 10, Comm: "old", Parent: withEnv, LoginUID: UnsetLoginUID}
	evs := []*event.Event{
		{Num: 1, Type: event.TypeExecve, Proc: withEnv},
		{Num: 2, Type: event.TypeExecve, Proc: empty},
		{Num: 3, Type: event.TypeExecve, Proc: unknown},
	}
	data := record(t, evs, false)
	if !bytes.Contains(data, []byte(`"env":["LD_PRELOAD=/tmp/x.so","PS1=$ ","E="]`)) ||
		!bytes.Contains(data, []byte(`"env":[]`)) {
		t.Errorf("env not recorded as expected:\n%s", data)
	}
	_, got, err := ReadCapture(bytes.NewReader(data), "env")
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		if !reflect.DeepEqual(evs[i].Proc, got[i].Proc) {
			t.Errorf("proc %d: got %+v, want %+v", i, got[i].Proc, evs[i].Proc)
		}
	}
	if got[1].Proc.Env == nil || got[2].Proc.Env != nil {
		t.Errorf("empty env %#v must stay empty, unknown %#v unknown", got[1].Proc.Env, got[2].Proc.Env)
	}
}

// TestCaptureWithoutEnvStillLoads reads a version 1 line written before the
// environment was recorded: the image's environment is unknown.
func TestCaptureWithoutEnvStillLoads(t *testing.T) {
	old := `{"format":"ttpwatch-capture","version":1,"host":"h","start":1}
{"proc":{"id":1,"pid":5,"ppid":1,"uid":0,"gid":0,"euid":0,"loginuid":4294967295,"comm":"sh","exe":"sh","exepath":"/bin/sh"}}
{"evt":{"num":1,"time":2,"type":"execve","res":0,"tid":5,"proc":1}}
`
	_, got, err := ReadCapture(strings.NewReader(old), "old")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Proc.Env != nil || got[0].Proc.EnvLine != "" {
		t.Fatalf("old capture: %d events, env %#v", len(got), got[0].Proc.Env)
	}
	f, _ := event.Lookup("proc.env")
	if v := f.Get(got[0], event.Arg{}); v.OK {
		t.Errorf("proc.env of an old capture is available: %+v", v)
	}
	// the golden capture (written before env existed) still decodes too
	if _, _, err := ReadCapture(bytes.NewReader(mustRead(t, filepath.Join("testdata", "capture", "golden.jsonl"))), "golden"); err != nil {
		t.Fatal(err)
	}
}

// TestCreateRecorderMakesExistingFilePrivate: O_CREAT's mode does not apply
// to a file that exists, so a world-readable one is made 0600 first.
func TestCreateRecorderMakesExistingFilePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.jsonl")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	rec, err := CreateRecorder(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("capture mode %v, want 0600", st.Mode().Perm())
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCaptureWithoutPrevIDs: a setuid event recorded before prev_ids
// existed loads with the previous ids unknown, not as root.
func TestCaptureWithoutPrevIDs(t *testing.T) {
	old := `{"format":"ttpwatch-capture","version":1,"host":"h","start":1}
{"proc":{"id":1,"pid":5,"ppid":1,"uid":0,"gid":0,"euid":0,"loginuid":4294967295,"comm":"sh","exe":"sh","exepath":"/bin/sh"}}
{"evt":{"num":1,"time":2,"type":"setuid","res":0,"tid":5,"proc":1,"uids":[0]}}
{"evt":{"num":2,"time":3,"type":"setresuid","res":0,"tid":5,"proc":1,"uids":[0,0,0],"prev_ids":[1000,0]}}
`
	_, got, err := ReadCapture(strings.NewReader(old), "old")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].PrevIDs != [2]int64{-1, -1} || got[1].PrevIDs != [2]int64{1000, 0} {
		t.Fatalf("previous ids: %d events, %v and %v", len(got), got[0].PrevIDs, got[1].PrevIDs)
	}
	f, _ := event.Lookup("evt.arg.olduid")
	if v := f.Get(got[0], event.Arg{}); v.OK {
		t.Errorf("evt.arg.olduid of an old capture is available: %+v", v)
	}
	bad := strings.Replace(old, `"prev_ids":[1000,0]`, `"prev_ids":[1,2,3]`, 1)
	if _, _, err := ReadCapture(strings.NewReader(bad), "bad"); err == nil || !strings.Contains(err.Error(), "prev_ids") {
		t.Errorf("three prev_ids accepted: %v", err)
	}
}
