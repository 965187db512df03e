#!/usr/bin/env bash
# Smoke test of the Debian package, without systemd (CI machines and containers have none):
#
#   packaging/deb/smoke-test.sh target/debian/mfa-gateway_*.deb      (as root: dpkg)
#
# Installs the package, checks what postinst made (user, directories, keys and their modes),
# runs `check-config` on the installed default config as root and as the service user, then
# runs the installed gateway as the mfa-gateway user with the installed config pointed at a
# throwaway legacy site (`mfa-gateway demo`'s, on free ports) and drives one login through it:
# the site's page comes back, the login is held for MFA (303 to /_mfa/) and the gateway's set-up
# page renders from the installed templates with the installed branding. Finally it purges the
# package and checks that the purge removed the state. Whatever happens, the trap stops the
# processes and purges the package; a mfa-gateway user this run created is deleted too, so
# the machine is left as it was.
set -euo pipefail

deb=${1:?usage: smoke-test.sh PATH/TO/mfa-gateway_VERSION_ARCH.deb}
user=mfa-gateway
conf=/etc/mfa-gateway/gateway.yaml

say() { echo "smoke-test: $*"; }
fail() {
    echo "smoke-test: FAIL: $*" >&2
    exit 1
}

[ "$(id -u)" = 0 ] || fail "must run as root (it installs and purges the package with dpkg)"
[ -f "$deb" ] || fail "no package at $deb"
# Never purge a real installation (its state and keys would go with it).
if dpkg-query -W -f='${Status}' mfa-gateway 2>/dev/null | grep -qv 'not-installed'; then
    fail "mfa-gateway is already installed on this machine; refusing to install over it and purge it"
fi
if getent passwd "$user" >/dev/null; then user_existed=true; else user_existed=false; fi

tmp=$(mktemp -d)
chmod 0755 "$tmp" # the service user reads the test's config copy here
installed=false
pids=()

cleanup() {
    local rc=$?
    set +e
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    if $installed; then
        dpkg --purge mfa-gateway >/dev/null || echo "smoke-test: dpkg --purge mfa-gateway failed" >&2
    fi
    if ! $user_existed && getent passwd "$user" >/dev/null; then
        userdel "$user"
        getent group "$user" >/dev/null && groupdel "$user"
    fi
    if [ "$rc" != 0 ]; then
        for log in "$tmp"/*.log; do
            [ -f "$log" ] && { echo "--- $log (last 30 lines)"; tail -n 30 "$log"; }
        done >&2
        echo "smoke-test: FAILED (exit $rc)" >&2
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# as_user CMD...: run as the service user, as systemd would (its uid, gid and groups).
as_user() { setpriv --reuid="$user" --regid="$user" --init-groups -- "$@"; }
# owner_mode PATH EXPECTED: e.g. owner_mode /var/lib/mfa-gateway "mfa-gateway:mfa-gateway 750".
owner_mode() {
    local got
    got=$(stat -c '%U:%G %a' "$1") || fail "$1 is missing"
    [ "$got" = "$2" ] || fail "$1 is $got, expected $2"
}
# wait_for URL: until it answers (any status), at most 30 s.
wait_for() {
    local i
    for i in $(seq 1 60); do
        curl -s -o /dev/null --max-time 2 "$1" && return 0
        for pid in "${pids[@]}"; do
            kill -0 "$pid" 2>/dev/null || fail "a process died while waiting for $1 (logs below)"
        done
        sleep 0.5
    done
    fail "nothing answered at $1 within 30 s"
}

# --- install ---------------------------------------------------------------------------------
say "dpkg -i $deb"
installed=true
dpkg -i "$deb" > "$tmp/dpkg.log" 2>&1 || fail "dpkg -i failed (dpkg.log below)"

say "installed files"
for path in /usr/bin/mfa-gateway /lib/systemd/system/mfa-gateway.service "$conf" \
    /usr/lib/mfa-gateway/mfa-gateway-upgrade.sh /usr/share/mfa-gateway/static/gateway.css \
    /usr/share/mfa-gateway/static/templates/layout.html /usr/share/man/man1/mfa-gateway.1.gz \
    /usr/share/bash-completion/completions/mfa-gateway /usr/share/zsh/vendor-completions/_mfa-gateway \
    /usr/share/fish/vendor_completions.d/mfa-gateway.fish /usr/share/doc/mfa-gateway/README.md \
    /usr/share/doc/mfa-gateway/operations.md /usr/share/doc/mfa-gateway/examples/gateway.yaml; do
    [ -s "$path" ] || fail "the package did not install $path"
done
[ -x /usr/lib/mfa-gateway/mfa-gateway-upgrade.sh ] || fail "the upgrade script is not executable"
# The default config's static_dir: all of the repository's static/ (templates, CSS, locales).
repo=$(cd "$(dirname "$0")/../.." && pwd)
diff -r "$repo/static" /usr/share/mfa-gateway/static >&2 ||
    fail "/usr/share/mfa-gateway/static differs from $repo/static (assets in Cargo.toml?)"
dpkg-query -W -f='${Conffiles}\n' mfa-gateway | grep -q " $conf " ||
    fail "$conf is not a conffile"
grep -q '^Type=notify$' /lib/systemd/system/mfa-gateway.service || fail "the unit lost Type=notify"

say "what postinst made"
getent passwd "$user" | grep -q ':/var/lib/mfa-gateway:/usr/sbin/nologin$' ||
    fail "user $user missing or wrong home/shell: $(getent passwd "$user")"
owner_mode /var/lib/mfa-gateway "$user:$user 750"
owner_mode /var/log/mfa-gateway "$user:$user 750"
owner_mode /etc/mfa-gateway/keys "root:$user 750"
for key in cookie-k1.key secret-k1.key admin.token; do
    owner_mode "/etc/mfa-gateway/keys/$key" "root:$user 640"
done

say "check-config of the installed default config (root via MFA_GATEWAY_CONFIG, then as $user)"
out=$(cd / && MFA_GATEWAY_CONFIG="$conf" mfa-gateway check-config 2>&1) ||
    fail "check-config as root refused $conf: $out"
out=$(cd / && as_user mfa-gateway check-config --config "$conf" 2>&1) ||
    fail "check-config as $user refused $conf: $out"
[ "$out" = ok ] || fail "check-config printed '$out', expected 'ok'"

# --- run it ----------------------------------------------------------------------------------
read -r p_demo p_site p_demo_admin p_gw p_admin < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(5)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
[ -n "${p_admin:-}" ] || fail "could not find free ports (python3)"

say "throwaway legacy site on 127.0.0.1:$p_site (mfa-gateway demo)"
(cd "$tmp" && TMPDIR="$tmp" exec mfa-gateway demo --data-dir "$tmp/demo" --listen "127.0.0.1:$p_demo" \
    --site "127.0.0.1:$p_site" --admin "127.0.0.1:$p_demo_admin") > "$tmp/demo.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$p_site/login"

# The installed config with only its three addresses changed: the listener, the site, admin.
sed -e "s/^  address: 127.0.0.1:8080$/  address: 127.0.0.1:$p_gw/" \
    -e "s/^  address: 127.0.0.1:8081$/  address: 127.0.0.1:$p_site/" \
    -e "s/^  address: 127.0.0.1:9090$/  address: 127.0.0.1:$p_admin/" "$conf" > "$tmp/gateway.yaml"
chmod 0644 "$tmp/gateway.yaml"
for port in "$p_gw" "$p_site" "$p_admin"; do
    grep -q "^  address: 127.0.0.1:$port$" "$tmp/gateway.yaml" ||
        fail "could not point the installed config's addresses at the test ports (changed $conf?)"
done

say "installed gateway as $user on 127.0.0.1:$p_gw"
# Its pid file and upgrade socket go to TMPDIR: keep them out of /tmp.
install -d -o "$user" -g "$user" -m 0700 "$tmp/gateway-tmp"
(cd "$tmp" && TMPDIR="$tmp/gateway-tmp" exec setpriv --reuid="$user" --regid="$user" --init-groups -- \
    /usr/bin/mfa-gateway run --config "$tmp/gateway.yaml") > "$tmp/gateway.log" 2>&1 &
gateway=$!
pids+=("$gateway")
wait_for "http://127.0.0.1:$p_admin/readyz"
status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$p_admin/readyz")
[ "$status" = 200 ] || fail "/readyz answered $status, expected 200"

gw="http://127.0.0.1:$p_gw"
say "GET $gw/login: the legacy site's page through the gateway"
status=$(curl -s -o "$tmp/login.html" -w '%{http_code}' --max-time 10 "$gw/login")
[ "$status" = 200 ] || fail "GET /login answered $status, expected 200"
grep -q 'Member Login' "$tmp/login.html" || fail "GET /login did not return the legacy login page"

say "POST $gw/login: the login is held for MFA"
curl -s -o /dev/null -D "$tmp/held.headers" --max-time 10 \
    --data 'username=jdoe&password=listings2024' "$gw/login" || fail "POST /login failed"
status=$(head -n 1 "$tmp/held.headers" | tr -d '\r')
case "$status" in
    HTTP/1.1\ 303*) ;;
    *) fail "POST /login answered '$status', expected 303 to /_mfa/" ;;
esac
location=$(grep -i '^location:' "$tmp/held.headers" | head -n 1 | sed 's/^[^:]*: *//' | tr -d '\r')
case "$location" in
    /_mfa/*) ;;
    *) fail "POST /login redirected to '$location', expected /_mfa/…" ;;
esac
grep -qi '^set-cookie: MLSSESSION' "$tmp/held.headers" && fail "the legacy session leaked before MFA"
# Secure cookies (the config says cookies.secure: true) are sent back by hand over plain http.
cookies=$(grep -i '^set-cookie:' "$tmp/held.headers" | sed 's/^[^:]*: *//; s/;.*//' | tr -d '\r' | paste -sd ';' -)
[ -n "$cookies" ] || fail "the held login set no cookie"

say "GET $gw$location: the gateway's set-up page"
status=$(curl -s -o "$tmp/setup.html" -w '%{http_code}' --max-time 10 -H "Cookie: $cookies" "$gw$location")
[ "$status" = 200 ] || fail "GET $location answered $status, expected 200"
grep -q 'Set up' "$tmp/setup.html" || fail "GET $location is not the set-up page"
grep -q 'Example MLS' "$tmp/setup.html" || fail "the set-up page lacks the installed branding"

grep -q '"login_intercepted"' /var/log/mfa-gateway/audit.log ||
    fail "no login_intercepted line in /var/log/mfa-gateway/audit.log"
[ "$(stat -c %U /var/lib/mfa-gateway/mfa.sqlite)" = "$user" ] || fail "the SQLite file is not $user's"

say "SIGTERM: graceful stop"
kill -TERM "$gateway"
for _ in $(seq 1 40); do kill -0 "$gateway" 2>/dev/null || break; sleep 0.5; done
kill -0 "$gateway" 2>/dev/null && fail "the gateway did not stop within 20 s of SIGTERM"
wait "$gateway" || fail "the gateway exited with status $? after SIGTERM"

# --- purge -----------------------------------------------------------------------------------
say "dpkg --purge mfa-gateway"
dpkg --purge mfa-gateway > "$tmp/dpkg.log" 2>&1 || fail "dpkg --purge failed (dpkg.log below)"
installed=false
for path in /usr/bin/mfa-gateway /etc/mfa-gateway /var/lib/mfa-gateway /var/log/mfa-gateway; do
    [ ! -e "$path" ] || fail "$path is still there after the purge"
done
say "ok"
