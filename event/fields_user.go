package event

// unsetLoginUID is the audit loginuid of processes no login session started.
const unsetLoginUID = 4294967295

// procName builds a field returning a resolved name of the process; an
// unresolved (empty) name is unavailable, printed <NA> as Falco does.
func procName(name, desc string, get func(p *Process) string) *Field {
	return procField(name, String, desc, func(p *Process) Value {
		if s := get(p); s != "" {
			return str(s)
		}
		return na
	})
}

func init() {
	register(
		// Falco's user.uid is the effective uid: a setuid-root binary run
		// by alice is user.uid = 0 (user.loginuid keeps alice).
		procNum("user.uid", "Effective user id of the process (0 for a setuid-root binary run by anyone).",
			func(p *Process) int64 { return int64(p.Euid) }),
		procName("user.name", "User name of the process's effective user id.",
			func(p *Process) string { return p.UserName }),
		procNum("user.loginuid", "Audit login user id (the user who logged in, kept across su/sudo); -1 when unset.",
			func(p *Process) int64 {
				if p.LoginUID == unsetLoginUID {
					return -1
				}
				return int64(p.LoginUID)
			}),
		procName("user.loginname", "User name of the audit login user id.",
			func(p *Process) string { return p.LoginName }),
		procNum("group.gid", "Group id of the process.",
			func(p *Process) int64 { return int64(p.Gid) }),
		procName("group.name", "Group name of the process's group id.",
			func(p *Process) string { return p.GroupName }),
	)
}
