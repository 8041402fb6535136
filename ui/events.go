package ui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ttpwatch/ttpwatch/event"
)

// summary describes an event in one escaped line: what it did, to what,
// and its error when it failed.
func summary(e *event.Event) string {
	var b strings.Builder
	switch e.Type {
	case event.TypeExecve, event.TypeExecveat:
		b.WriteString("exec ")
		if e.Proc != nil {
			b.WriteString(safe(e.Proc.ExeLine))
		}
	case event.TypeClone:
		b.WriteString("fork child " + strconv.FormatInt(e.Res, 10))
	case event.TypeProcexit:
		b.WriteString("exit")
		if e.Proc != nil {
			fmt.Fprintf(&b, " code %d", e.Proc.ExitCode.Load())
		}
	case event.TypeConnect, event.TypeAccept, event.TypeAccept4, event.TypeBind,
		event.TypeListen, event.TypeSendto, event.TypeSendmsg, event.TypeRecvfrom, event.TypeRecvmsg:
		b.WriteString(e.Type.String() + " " + sockText(&e.Sock))
	case event.TypeKill:
		fmt.Fprintf(&b, "kill pid %d signal %d", e.TargetPid, e.Signal)
	case event.TypePtrace:
		fmt.Fprintf(&b, "ptrace pid %d request %d", e.TargetPid, e.Request)
	case event.TypeSetuid, event.TypeSetgid, event.TypeSetresuid, event.TypeSetresgid:
		fmt.Fprintf(&b, "%s %d", e.Type, e.UIDs[0])
	default:
		b.WriteString(e.Type.String())
		if e.Path != "" {
			b.WriteString(" " + safe(e.Path))
		}
		if e.Path2 != "" {
			b.WriteString(" -> " + safe(e.Path2))
		}
	}
	if e.Res < 0 && e.Type != event.TypeClone {
		fmt.Fprintf(&b, " = %d", e.Res)
	}
	return b.String()
}

// sockText is the remote end of a socket event, or its local end when the
// remote is unknown.
func sockText(s *event.Sock) string {
	switch {
	case s.UnixPath != "":
		return "unix:" + safe(s.UnixPath)
	case s.Remote.IsValid():
		return s.Remote.String()
	case s.Local.IsValid():
		return "local " + s.Local.String()
	}
	return "?"
}
