package sensor

import "testing"

func TestContainerIDFromCgroup(t *testing.T) {
	const id = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899"
	const short = "3f4e5d6c7b8a"
	tests := []struct {
		name, path, want string
	}{
		{"root", "/", "host"},
		{"empty", "", "host"},
		{"host systemd service", "/system.slice/sshd.service", "host"},
		{"host user session", "/user.slice/user-1000.slice/session-3.scope", "host"},
		{"docker cgroupfs v1", "/docker/" + id, short},
		{"docker systemd", "/system.slice/docker-" + id + ".scope", short},
		{"docker systemd nested init", "/system.slice/docker-" + id + ".scope/init.scope", short},
		{"containerd cri systemd", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234.slice/cri-containerd-" + id + ".scope", short},
		{"kubernetes cgroupfs", "/kubepods/besteffort/pod0c1d2e3f-0000-1111-2222-333344445555/" + id, short},
		{"containerd namespace", "/default/" + id, short},
		{"crio systemd", "/kubepods.slice/kubepods-pod1.slice/crio-" + id + ".scope", short},
		{"crio cgroupfs", "/kubepods/pod1/crio-" + id, short},
		{"podman systemd", "/machine.slice/libpod-" + id + ".scope", short},
		{"podman nested container", "/machine.slice/libpod-" + id + ".scope/container", short},
		{"podman cgroupfs", "/libpod_parent/libpod-" + id, short},
		{"podman conmon is host", "/machine.slice/libpod-conmon-" + id + ".scope", "host"},
		{"crio conmon is host", "/kubepods.slice/crio-conmon-" + id + ".scope", "host"},
		{"uppercase hex is not an id", "/docker/" + "3F4E5D6C7B8A99887766554433221100FFEEDDCCBBAA00112233445566778899", "host"},
		{"short hex is not an id", "/docker/3f4e5d6c7b8a", "host"},
		{"63 hex is not an id", "/docker/" + id[:63], "host"},
		{"relative path", "docker-" + id + ".scope", short},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ContainerIDFromCgroup(tt.path); got != tt.want {
				t.Errorf("ContainerIDFromCgroup(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

func FuzzContainerIDFromCgroup(f *testing.F) {
	f.Add("/system.slice/docker-3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899.scope")
	f.Add("/")
	f.Add("")
	f.Fuzz(func(t *testing.T, path string) {
		got := ContainerIDFromCgroup(path)
		if got != HostContainerID && (len(got) != shortIDLen || !isHex(got)) {
			t.Fatalf("ContainerIDFromCgroup(%q) = %q: neither host nor a short id", path, got)
		}
	})
}
