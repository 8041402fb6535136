package sensor

import (
	"github.com/ttpwatch/ttpwatch/event"
)

// syscallOf names the syscall tracepoint (syscalls/sys_enter_X and
// sys_exit_X) that produces each event type, "" for types that come from the
// always attached sched_process_* hooks alone. It mirrors bpf/syscalls.h; a
// test checks that they agree. execve and execveat succeed through
// sched_process_exec: their syscall hooks add failures and tell execveat
// from execve.
var syscallOf = [event.NumTypes]string{
	event.TypeExecve:       "execve",
	event.TypeExecveat:     "execveat",
	event.TypeOpen:         "open",
	event.TypeOpenat:       "openat",
	event.TypeOpenat2:      "openat2",
	event.TypeCreat:        "creat",
	event.TypeUnlink:       "unlink",
	event.TypeUnlinkat:     "unlinkat",
	event.TypeRmdir:        "rmdir",
	event.TypeRename:       "rename",
	event.TypeRenameat:     "renameat",
	event.TypeRenameat2:    "renameat2",
	event.TypeMkdir:        "mkdir",
	event.TypeMkdirat:      "mkdirat",
	event.TypeChmod:        "chmod",
	event.TypeFchmod:       "fchmod",
	event.TypeFchmodat:     "fchmodat",
	event.TypeLink:         "link",
	event.TypeLinkat:       "linkat",
	event.TypeSymlink:      "symlink",
	event.TypeSymlinkat:    "symlinkat",
	event.TypeConnect:      "connect",
	event.TypeAccept:       "accept",
	event.TypeAccept4:      "accept4",
	event.TypeBind:         "bind",
	event.TypeListen:       "listen",
	event.TypeSocket:       "socket",
	event.TypeSendto:       "sendto",
	event.TypeSendmsg:      "sendmsg",
	event.TypeRecvfrom:     "recvfrom",
	event.TypeRecvmsg:      "recvmsg",
	event.TypeDup:          "dup",
	event.TypeDup2:         "dup2",
	event.TypeDup3:         "dup3",
	event.TypePtrace:       "ptrace",
	event.TypeSetuid:       "setuid",
	event.TypeSetgid:       "setgid",
	event.TypeSetresuid:    "setresuid",
	event.TypeSetresgid:    "setresgid",
	event.TypeInitModule:   "init_module",
	event.TypeFinitModule:  "finit_module",
	event.TypeDeleteModule: "delete_module",
	event.TypeBpf:          "bpf",
	event.TypeMemfdCreate:  "memfd_create",
	event.TypeMount:        "mount",
	event.TypeUmount2:      "umount", // the umount2 syscall's tracepoint is named umount
	event.TypeSetns:        "setns",
	event.TypeUnshare:      "unshare",
	event.TypeKill:         "kill",
	event.TypeUserfaultfd:  "userfaultfd",
}

// lifecycleHooks are the raw tracepoints always attached: the process table
// lives on them whatever the rules need.
var lifecycleHooks = [...]struct{ tracepoint, program string }{
	{"sched_process_exec", "tw_exec"},
	{"sched_process_fork", "tw_fork"},
	{"sched_process_exit", "tw_exit"},
}

// hookName is how Attached reports a syscall tracepoint.
func hookName(dir, sys string) string { return "syscalls/sys_" + dir + "_" + sys }

// programName is the BPF program of a syscall tracepoint (see syscalls.h).
func programName(dir, sys string) string {
	if dir == "enter" {
		return "tw_en_" + sys
	}
	return "tw_ex_" + sys
}
