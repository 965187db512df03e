#!/bin/sh
# Zero-downtime restart of mfa-gateway with pingora's graceful upgrade.
#
#   mfa-gateway-upgrade.sh PIDFILE GATEWAY-COMMAND...
#   e.g. mfa-gateway-upgrade.sh /run/mfa-gateway/gateway.pid \
#            /usr/local/bin/mfa-gateway run --config /etc/mfa-gateway/gateway.yaml
#
# PIDFILE holds the pid of the running gateway. The new gateway is started with `--upgrade`:
# it loads its config and stores, then waits (up to 5 s) on the upgrade socket for the old
# process's listening sockets. SIGQUIT tells the old process to hand them over, stop accepting
# and finish its in-flight requests. No connection is refused in between: the kernel keeps
# queueing on the same sockets. The new pid is written to PIDFILE once the old one was told.
#
# If the new gateway exits before the hand-over (bad config, store down), the old one keeps
# serving and this script fails, so `systemctl reload` reports the error.
set -eu

pidfile=$1
shift
old=$(cat "$pidfile")
if ! kill -0 "$old" 2>/dev/null; then
    echo "mfa-gateway-upgrade: no running gateway with pid $old (from $pidfile)" >&2
    exit 1
fi

"$@" --upgrade &
new=$!

# Let the new process load its config and stores and reach the hand-over; both sides retry
# for 5 s, so one second is plenty without being racy.
sleep "${MFA_UPGRADE_WAIT:-1}"
if ! kill -0 "$new" 2>/dev/null; then
    echo "mfa-gateway-upgrade: the new gateway exited; the old one (pid $old) keeps serving" >&2
    exit 1
fi

kill -QUIT "$old"
echo "$new" > "$pidfile.tmp"
mv "$pidfile.tmp" "$pidfile"
