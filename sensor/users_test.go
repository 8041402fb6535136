package sensor

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestUsersFromFiles(t *testing.T) {
	u := NewUsers("testdata/etc/passwd", "testdata/etc/group")
	for _, tt := range []struct {
		uid  uint32
		want string
	}{{0, "root"}, {1000, "alice"}, {1001, "bob"}, {4242, ""}, {4294967295, ""}} {
		if got := u.UserName(tt.uid); got != tt.want {
			t.Errorf("UserName(%d) = %q, want %q", tt.uid, got, tt.want)
		}
	}
	for _, tt := range []struct {
		gid  uint32
		want string
	}{{0, "root"}, {100, "users"}, {1000, "alice"}, {7, ""}} {
		if got := u.GroupName(tt.gid); got != tt.want {
			t.Errorf("GroupName(%d) = %q, want %q", tt.gid, got, tt.want)
		}
	}
}

func TestUsersReloadOnMtimeChange(t *testing.T) {
	dir := t.TempDir()
	passwd := filepath.Join(dir, "passwd")
	group := filepath.Join(dir, "group")
	if err := os.WriteFile(passwd, []byte("carol:x:2000:2000::/:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1000, 0)
	u := NewUsers(passwd, group)
	u.now = func() time.Time { return now }
	if got := u.UserName(2000); got != "carol" {
		t.Fatalf("UserName(2000) = %q, want carol", got)
	}
	if got := u.GroupName(2000); got != "" {
		t.Fatalf("GroupName(2000) with no group file = %q, want empty", got)
	}
	if err := os.WriteFile(passwd, []byte("dave:x:2000:2000::/:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(group, []byte("staff:x:2000:\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Unix(5000, 0)
	for _, f := range []string{passwd, group} {
		if err := os.Chtimes(f, later, later); err != nil {
			t.Fatal(err)
		}
	}
	// Within the recheck interval the cached names stay.
	if got := u.UserName(2000); got != "carol" {
		t.Fatalf("UserName(2000) before recheck = %q, want cached carol", got)
	}
	now = now.Add(RecheckInterval)
	if got := u.UserName(2000); got != "dave" {
		t.Errorf("UserName(2000) after change = %q, want dave", got)
	}
	if got := u.GroupName(2000); got != "staff" {
		t.Errorf("GroupName(2000) after group file appeared = %q, want staff", got)
	}
}

func FuzzParseIDFile(f *testing.F) {
	f.Add([]byte("root:x:0:0:root:/root:/bin/bash\n"))
	f.Add([]byte("a:b:c\n::1\nx:x:99999999999\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := map[uint32]string{}
		parseIDFile(data, m)
		for id, name := range m {
			if name == "" {
				t.Fatalf("empty name for id %d", id)
			}
		}
	})
}
