package sensor

import "strings"

// HostContainerID is the container id of processes outside any container, as
// Falco reports it.
const HostContainerID = "host"

// shortIDLen is the length of the container ids Falco prints (docker's short
// form).
const shortIDLen = 12

// containerPrefixes are the runtime-specific prefixes of a systemd scope or
// cgroupfs directory named after a container: docker
// (docker-<id>.scope), containerd through the CRI plugin
// (cri-containerd-<id>.scope), cri-o (crio-<id>.scope, crio-<id>) and podman
// (libpod-<id>.scope, libpod-<id>).
var containerPrefixes = []string{"docker-", "cri-containerd-", "crio-", "libpod-"}

// ContainerIDFromCgroup returns the 12-character short container id named by
// a cgroup path, or "host" when the path is not a container's. It walks the
// path components from the innermost outwards, so a container's nested
// cgroups (systemd inside a container: .../docker-<id>.scope/init.scope) still
// resolve to the container. Conmon scopes (libpod-conmon-<id>,
// crio-conmon-<id>) are the runtime's monitor on the host, not the container.
func ContainerIDFromCgroup(path string) string {
	for path != "" {
		i := strings.LastIndexByte(path, '/')
		comp := path[i+1:]
		if i < 0 {
			path = ""
		} else {
			path = path[:i]
		}
		if id, ok := containerIDFromComponent(comp); ok {
			return id
		}
	}
	return HostContainerID
}

// containerIDFromComponent recognises one cgroup directory name.
func containerIDFromComponent(comp string) (string, bool) {
	comp = strings.TrimSuffix(comp, ".scope")
	if strings.Contains(comp, "-conmon-") {
		return "", false
	}
	for _, p := range containerPrefixes {
		if strings.HasPrefix(comp, p) {
			comp = comp[len(p):]
			break
		}
	}
	// cgroupfs layouts (docker's /docker/<id>, kubernetes'
	// /kubepods/.../pod<uid>/<id>, containerd's /<namespace>/<id>) use the
	// bare 64-hex id.
	if len(comp) != 64 || !isHex(comp) {
		return "", false
	}
	return comp[:shortIDLen], true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
