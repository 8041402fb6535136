package event

import (
	"net/netip"
	"strconv"
	"strings"
)

// fdKind says what the file descriptor (or path) of an event type is.
type fdKind uint8

const (
	kindNone  fdKind = iota
	kindFile         // Path names a file (a directory for O_DIRECTORY/AT_REMOVEDIR)
	kindDir          // Path names a directory (mkdir, rmdir)
	kindSock         // Sock describes a socket
	kindMemfd        // Path is the memfd name
	kindBPF          // the fd is a bpf object
	kindUffd         // the fd is a userfaultfd
)

// typeClass describes an event type for the fd.* fields.
type typeClass struct {
	kind  fdKind
	hasFd bool // fd.num is meaningful (Event.Fd is this event's descriptor)
}

var classes = [NumTypes]typeClass{
	TypeOpen:        {kindFile, true},
	TypeOpenat:      {kindFile, true},
	TypeOpenat2:     {kindFile, true},
	TypeCreat:       {kindFile, true},
	TypeUnlink:      {kindFile, false},
	TypeUnlinkat:    {kindFile, false},
	TypeRename:      {kindFile, false},
	TypeRenameat:    {kindFile, false},
	TypeRenameat2:   {kindFile, false},
	TypeLink:        {kindFile, false},
	TypeLinkat:      {kindFile, false},
	TypeSymlink:     {kindFile, false},
	TypeSymlinkat:   {kindFile, false},
	TypeChmod:       {kindFile, false},
	TypeFchmodat:    {kindFile, false},
	TypeFchmod:      {kindFile, true},
	TypeFinitModule: {kindFile, true},
	TypeMkdir:       {kindDir, false},
	TypeMkdirat:     {kindDir, false},
	TypeRmdir:       {kindDir, false},
	TypeConnect:     {kindSock, true},
	TypeAccept:      {kindSock, true},
	TypeAccept4:     {kindSock, true},
	TypeBind:        {kindSock, true},
	TypeListen:      {kindSock, true},
	TypeSocket:      {kindSock, true},
	TypeSendto:      {kindSock, true},
	TypeSendmsg:     {kindSock, true},
	TypeRecvfrom:    {kindSock, true},
	TypeRecvmsg:     {kindSock, true},
	TypeMemfdCreate: {kindMemfd, true},
	TypeBpf:         {kindBPF, true},
	TypeUserfaultfd: {kindUffd, true},
	TypeDup:         {kindNone, true},
	TypeDup2:        {kindNone, true},
	TypeDup3:        {kindNone, true},
	TypeSetns:       {kindNone, true},
}

// Linux constants the fd fields test.
const (
	oDirectory  = 0x10000
	oTmpfile    = 0x410000 // __O_TMPFILE | O_DIRECTORY
	atRemovedir = 0x200
)

// kindOf returns the descriptor kind of e, refining files that are
// directories (open with O_DIRECTORY but not O_TMPFILE, unlinkat with
// AT_REMOVEDIR).
func kindOf(e *Event) fdKind {
	if e.Type >= NumTypes {
		return kindNone
	}
	k := classes[e.Type].kind
	if k == kindNone && isDup(e.Type) && e.Sock.Family != 0 {
		// the sensor reads the socket behind a dup's old descriptor
		return kindSock
	}
	if k != kindFile {
		return k
	}
	switch e.Type {
	case TypeOpen, TypeOpenat, TypeOpenat2:
		if e.Flags&oTmpfile == oDirectory {
			return kindDir
		}
	case TypeUnlinkat:
		if e.Flags&atRemovedir != 0 {
			return kindDir
		}
	}
	return k
}

// isDup reports whether t duplicates a descriptor.
func isDup(t Type) bool { return t == TypeDup || t == TypeDup2 || t == TypeDup3 }

// isInet reports whether the socket is IPv4 or IPv6.
func isInet(s *Sock) bool { return s.Family == AFInet || s.Family == AFInet6 }

// sockOf returns the event's socket if it is an IP socket event.
func sockOf(e *Event) *Sock {
	if kindOf(e) != kindSock || !isInet(&e.Sock) {
		return nil
	}
	return &e.Sock
}

// client and server return the client and server ends of a connection by
// the traced process's role; RoleNone has neither.
func client(s *Sock) netip.AddrPort {
	switch s.Role {
	case RoleClient:
		return s.Local
	case RoleServer:
		return s.Remote
	}
	return netip.AddrPort{}
}

func server(s *Sock) netip.AddrPort {
	switch s.Role {
	case RoleClient:
		return s.Remote
	case RoleServer:
		return s.Local
	}
	return netip.AddrPort{}
}

// remoteOrLocal is the peer address, or the local one when there is no peer
// (bind, listen): what fd.ip and fd.net compare.
func remoteOrLocal(s *Sock) netip.AddrPort {
	if s.Remote.Addr().IsValid() {
		return s.Remote
	}
	return s.Local
}

// sockName returns fd.name of a socket event, building it once per event:
// "cip:cport->sip:sport" for IP sockets (Falco's tuple, IPv6 without
// brackets), the local "ip:port" when there is no peer, sun_path for unix.
func (e *Event) sockName() (string, bool) {
	s := &e.Sock
	if s.Family == AFUnix {
		return s.UnixPath, s.UnixPath != ""
	}
	if !isInet(s) {
		return "", false
	}
	if e.lazy.have&haveSockName == 0 {
		e.lazy.sockName = buildSockName(s)
		e.lazy.have |= haveSockName
	}
	return e.lazy.sockName, e.lazy.sockName != ""
}

func buildSockName(s *Sock) string {
	var buf [128]byte
	b := appendSockName(buf[:0], s)
	if len(b) == 0 {
		return ""
	}
	return string(b)
}

// appendSockName appends the tuple of an IP socket to b (nothing when
// neither end is known).
func appendSockName(b []byte, s *Sock) []byte {
	local, remote := s.Local, s.Remote
	if !remote.Addr().IsValid() {
		if !local.Addr().IsValid() {
			return b
		}
		return appendAddrPort(b, local, s.Family)
	}
	from, to := local, remote
	if s.Role == RoleServer {
		from, to = remote, local
	}
	b = appendAddrPort(b, from, s.Family)
	b = append(b, "->"...)
	return appendAddrPort(b, to, s.Family)
}

// appendAddrPort renders ip:port, an unknown address as the family's zero
// address (0.0.0.0 or ::) the way Falco prints an unbound end.
func appendAddrPort(b []byte, ap netip.AddrPort, family uint16) []byte {
	a := ap.Addr().Unmap()
	if !a.IsValid() {
		if family == AFInet6 {
			a = netip.IPv6Unspecified()
		} else {
			a = netip.IPv4Unspecified()
		}
	}
	b = a.AppendTo(b)
	b = append(b, ':')
	return strconv.AppendUint(b, uint64(ap.Port()), 10)
}

// fdName is fd.name: the path of file events, the socket name for sockets.
func fdName(e *Event) Value {
	switch kindOf(e) {
	case kindFile, kindDir, kindMemfd:
		if e.Path != "" {
			return str(e.Path)
		}
	case kindSock:
		if s, ok := e.sockName(); ok {
			return str(s)
		}
	}
	return na
}

// dirOf and baseOf split a path without allocating.
func dirOf(p string) string {
	i := strings.LastIndexByte(p, '/')
	switch {
	case i < 0:
		return "."
	case i == 0:
		return "/"
	}
	return p[:i]
}

func baseOf(p string) string { return p[strings.LastIndexByte(p, '/')+1:] }

// datagramWithPeer reports a send or receive on a non-stream socket with a
// peer address: libsinsp renames the fd to the new tuple on such events
// (fd.name_changed) and the socket is not connected.
func datagramWithPeer(e *Event) bool {
	s := &e.Sock
	return sockType(s) != 1 && (s.Remote.Addr().IsValid() || (s.Family == AFUnix && s.UnixPath != ""))
}

// sockType returns the socket type without SOCK_NONBLOCK/SOCK_CLOEXEC.
func sockType(s *Sock) uint16 { return s.Type & sockTypeMask }

// l4proto names the transport protocol as Falco's fd.l4proto.
func l4proto(s *Sock) string {
	const (
		ipprotoICMP   = 1
		ipprotoTCP    = 6
		ipprotoUDP    = 17
		ipprotoICMPv6 = 58
	)
	icmp := s.Proto == ipprotoICMP || s.Proto == ipprotoICMPv6
	switch sockType(s) {
	case 1: // SOCK_STREAM
		return "tcp"
	case 2: // SOCK_DGRAM
		if icmp {
			return "icmp"
		}
		return "udp"
	case 3: // SOCK_RAW
		if icmp {
			return "icmp"
		}
		return "raw"
	case 0: // type unknown: infer from the protocol
		switch {
		case s.Proto == ipprotoTCP:
			return "tcp"
		case s.Proto == ipprotoUDP:
			return "udp"
		case icmp:
			return "icmp"
		}
	}
	return ""
}

// fdType returns Falco's fd.type and fd.typechar for e.
func fdType(e *Event) (string, string) {
	switch kindOf(e) {
	case kindFile:
		return "file", "f"
	case kindDir:
		return "directory", "d"
	case kindMemfd:
		return "memfd", "m"
	case kindBPF:
		return "bpf", "b"
	case kindUffd:
		return "userfaultfd", "u"
	case kindSock:
		switch e.Sock.Family {
		case AFInet:
			return "ipv4", "4"
		case AFInet6:
			return "ipv6", "6"
		case AFUnix:
			return "unix", "u"
		case 16: // AF_NETLINK
			return "netlink", "n"
		}
	}
	return "", ""
}

// sockIPField builds an IP or Net field reading one end of an IP socket.
func sockIPField(name string, typ FieldType, desc string, end func(s *Sock) netip.AddrPort) *Field {
	return &Field{Name: name, Type: typ, Desc: desc, Filled: true,
		Get: func(e *Event, _ Arg) Value {
			if s := sockOf(e); s != nil {
				return ip(end(s).Addr())
			}
			return na
		}}
}

// sockPortField builds a port field reading one end of an IP socket.
func sockPortField(name, desc string, end func(s *Sock) netip.AddrPort) *Field {
	return &Field{Name: name, Type: Number, Desc: desc, Filled: true,
		Get: func(e *Event, _ Arg) Value {
			if s := sockOf(e); s != nil {
				if ap := end(s); ap.Addr().IsValid() {
					return num(int64(ap.Port()))
				}
			}
			return na
		}}
}

func local(s *Sock) netip.AddrPort  { return s.Local }
func remote(s *Sock) netip.AddrPort { return s.Remote }

func init() {
	register(
		&Field{Name: "fd.num", Type: Number, Filled: true,
			Desc: "File descriptor number the event is about (the returned fd for open, socket, accept, dup).",
			Get: func(e *Event, _ Arg) Value {
				if e.Type < NumTypes && classes[e.Type].hasFd {
					return num(e.Fd)
				}
				return na
			}},
		&Field{Name: "fd.name", Type: String, Filled: true,
			Desc: "File path for file events; for IP sockets the tuple cip:cport->sip:sport; for unix sockets the path.",
			Get:  func(e *Event, _ Arg) Value { return fdName(e) }},
		&Field{Name: "fd.nameraw", Type: String, Filled: true,
			Desc: "File path as passed to the syscall, before it was made absolute.",
			Get: func(e *Event, _ Arg) Value {
				switch kindOf(e) {
				case kindFile, kindDir:
					if e.PathRaw != "" {
						return str(e.PathRaw)
					}
					if e.Path != "" {
						return str(e.Path)
					}
				}
				return na
			}},
		&Field{Name: "fd.directory", Type: String, Filled: true,
			Desc: "Directory of the file (the directory itself for directory events).",
			Get: func(e *Event, _ Arg) Value {
				if e.Path == "" {
					return na
				}
				switch kindOf(e) {
				case kindDir:
					return str(e.Path)
				case kindFile:
					return str(dirOf(e.Path))
				}
				return na
			}},
		&Field{Name: "fd.filename", Type: String, Filled: true,
			Desc: "File name without its directory, for file events.",
			Get: func(e *Event, _ Arg) Value {
				if kindOf(e) == kindFile && e.Path != "" {
					return str(baseOf(e.Path))
				}
				return na
			}},
		&Field{Name: "fd.type", Type: String, Filled: true,
			Desc: "Type of the descriptor: file, directory, ipv4, ipv6, unix, netlink, memfd, bpf, userfaultfd.",
			Get: func(e *Event, _ Arg) Value {
				if t, _ := fdType(e); t != "" {
					return str(t)
				}
				return na
			}},
		&Field{Name: "fd.typechar", Type: String, Filled: true,
			Desc: "Type of the descriptor as one character: f file, d directory, 4 ipv4, 6 ipv6, u unix, n netlink, m memfd, b bpf.",
			Get: func(e *Event, _ Arg) Value {
				if _, c := fdType(e); c != "" {
					return str(c)
				}
				return na
			}},
		&Field{Name: "fd.sockfamily", Type: String, Filled: true,
			Desc: "Socket family: ip for IPv4/IPv6, unix for unix sockets.",
			Get: func(e *Event, _ Arg) Value {
				if kindOf(e) == kindSock {
					switch e.Sock.Family {
					case AFInet, AFInet6:
						return str("ip")
					case AFUnix:
						return str("unix")
					}
				}
				return na
			}},
		&Field{Name: "fd.l4proto", Type: String, Filled: true,
			Desc: "Transport protocol of an IP socket: tcp, udp, icmp or raw.",
			Get: func(e *Event, _ Arg) Value {
				if s := sockOf(e); s != nil {
					if p := l4proto(s); p != "" {
						return str(p)
					}
				}
				return na
			}},
		&Field{Name: "fd.connected", Type: Bool, Filled: true,
			Desc: "True if the socket is connected: a successful connect or accept, or a send/receive with a known peer.",
			Get: func(e *Event, _ Arg) Value {
				if kindOf(e) != kindSock {
					return na
				}
				switch e.Type {
				case TypeConnect:
					return boolean(e.Res == 0)
				case TypeAccept, TypeAccept4:
					return boolean(e.Res >= 0)
				case TypeSendto, TypeSendmsg, TypeRecvfrom, TypeRecvmsg:
					// Stream sockets only carry data once connected;
					// datagram sockets are taken as unconnected, as the
					// address-per-packet UDP case Falco's macros look for.
					return boolean(e.Res >= 0 && !datagramWithPeer(e))
				}
				return boolean(false)
			}},
		&Field{Name: "fd.name_changed", Type: Bool, Filled: true,
			Desc: "True when the event changed the name of its file or socket: renames, and datagram send/receive to an address.",
			Get: func(e *Event, _ Arg) Value {
				switch e.Type {
				case TypeRename, TypeRenameat, TypeRenameat2:
					return boolean(true)
				case TypeSendto, TypeSendmsg, TypeRecvfrom, TypeRecvmsg:
					return boolean(datagramWithPeer(e))
				}
				return boolean(false)
			}},

		sockIPField("fd.cip", IP, "Client IP address of the connection.", client),
		sockIPField("fd.sip", IP, "Server IP address of the connection.", server),
		sockIPField("fd.lip", IP, "Local IP address of the socket.", local),
		sockIPField("fd.rip", IP, "Remote (peer) IP address of the socket.", remote),
		sockIPField("fd.ip", IP, "IP address of the peer (the local one for bind/listen); `fd.ip = X` tests it.", remoteOrLocal),
		sockIPField("fd.net", Net, "Network of the peer address (the local one for bind/listen), compared by CIDR membership.", remoteOrLocal),
		sockIPField("fd.cnet", Net, "Client IP address compared by CIDR membership.", client),
		sockIPField("fd.snet", Net, "Server IP address compared by CIDR membership.", server),
		sockIPField("fd.lnet", Net, "Local IP address compared by CIDR membership.", local),
		sockIPField("fd.rnet", Net, "Remote IP address compared by CIDR membership.", remote),
		sockPortField("fd.cport", "Client port of the connection.", client),
		sockPortField("fd.sport", "Server port of the connection.", server),
		sockPortField("fd.lport", "Local port of the socket.", local),
		sockPortField("fd.rport", "Remote (peer) port of the socket.", remote),
		sockPortField("fd.port", "Server port of the connection (the port the service listens on).", server),

		unavailable("fd.cip.name", String, ArgNone, "Domain name of the client IP (DNS names are not tracked)."),
		unavailable("fd.sip.name", String, ArgNone, "Domain name of the server IP (DNS names are not tracked)."),
		unavailable("fd.lip.name", String, ArgNone, "Domain name of the local IP (DNS names are not tracked)."),
		unavailable("fd.rip.name", String, ArgNone, "Domain name of the remote IP (DNS names are not tracked)."),
	)
}
