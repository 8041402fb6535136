package sensor

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"sync"
	"time"
)

// Users resolves user and group ids to names from passwd- and group-format
// files, without cgo (the static binary has no NSS). The files are re-read
// when their modification time changes, checked at most once per
// RecheckInterval so a lookup costs a map read, not a stat.
// Users is safe for concurrent use.
type Users struct {
	passwdPath, groupPath string

	mu          sync.Mutex
	users       map[uint32]string
	groups      map[uint32]string
	passwdMtime time.Time
	groupMtime  time.Time
	checked     time.Time
	now         func() time.Time
}

// RecheckInterval bounds how often Users stats its files for changes.
const RecheckInterval = time.Second

// NewUsers returns a resolver over the given passwd and group files
// (normally /etc/passwd and /etc/group). Missing or unreadable files resolve
// no names; they are retried on the next recheck.
func NewUsers(passwdPath, groupPath string) *Users {
	return &Users{passwdPath: passwdPath, groupPath: groupPath, now: time.Now}
}

// UserName returns the name of uid, or "" when unknown.
func (u *Users) UserName(uid uint32) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.refresh()
	return u.users[uid]
}

// GroupName returns the name of gid, or "" when unknown.
func (u *Users) GroupName(gid uint32) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.refresh()
	return u.groups[gid]
}

// names resolves a uid, a gid and a login uid under one lock.
func (u *Users) names(uid, gid, loginUID uint32) (user, group, login string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.refresh()
	return u.users[uid], u.groups[gid], u.users[loginUID]
}

// refresh re-reads a file whose mtime changed. Called with mu held.
func (u *Users) refresh() {
	now := u.now()
	if u.users != nil && now.Sub(u.checked) < RecheckInterval {
		return
	}
	u.checked = now
	if m, ok := reloadIfChanged(u.passwdPath, u.passwdMtime); ok || u.users == nil {
		u.users = readIDFile(u.passwdPath)
		u.passwdMtime = m
	}
	if m, ok := reloadIfChanged(u.groupPath, u.groupMtime); ok || u.groups == nil {
		u.groups = readIDFile(u.groupPath)
		u.groupMtime = m
	}
}

// reloadIfChanged returns the file's mtime and whether it differs from last.
func reloadIfChanged(path string, last time.Time) (time.Time, bool) {
	st, err := os.Stat(path)
	if err != nil {
		return time.Time{}, !last.IsZero()
	}
	return st.ModTime(), !st.ModTime().Equal(last)
}

// readIDFile parses a passwd or group file: name:password:id:... per line.
// Malformed lines are skipped; the first name for an id wins, as getpwuid
// does.
func readIDFile(path string) map[uint32]string {
	m := map[uint32]string{}
	data, err := os.ReadFile(path)
	if err != nil {
		return m
	}
	parseIDFile(data, m)
	return m
}

func parseIDFile(data []byte, m map[uint32]string) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		f := bytes.SplitN(line, []byte{':'}, 4)
		if len(f) < 3 || len(f[0]) == 0 {
			continue
		}
		id, err := strconv.ParseUint(string(f[2]), 10, 32)
		if err != nil {
			continue
		}
		if _, dup := m[uint32(id)]; !dup {
			m[uint32(id)] = string(f[0])
		}
	}
}
