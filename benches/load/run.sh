#!/usr/bin/env bash
# Load comparison of mfa-gateway against nginx and HAProxy on loopback (issue 7).
#
# One run starts, on 127.0.0.1 only:
#   * an upstream: nginx serving a ~2 KB static page with keep-alive (and answering POST /login
#     with a 302 + session cookie, like a legacy login, for the login burst);
#   * nginx and HAProxy as reverse proxies in front of it (keep-alive to the upstream, access
#     logs off: see nginx-proxy.conf / haproxy.cfg beside this script);
#   * the floor: examples/bare_proxy.rs, bare pingora with the gateway's listener buffers and
#     with pingora's defaults;
#   * the gateway in three modes: pass-through (no session cookie), bound session (valid binding
#     + upstream session cookie on every request) and MFA not enforced (enforce_from in the
#     future);
#   * HTTP/2 over TLS (what browsers speak to an HTTPS site): nginx with `ssl http2` and the
#     gateway's TLS listener (ALPN h2), both with one self-signed certificate, driven by h2load
#     (Debian nghttp2-client) with the same connections, one stream each (H2_STREAMS);
# drives each with wrk (same threads, connections, duration; the load generator and the
# upstream pinned to one core, the proxy under test to another) and prints a table with each
# row's req/s and its requests per CPU-second of the serving process (not capped by the load
# side, which on two cores caps nginx and HAProxy: such rows get a warning). Then it
# measures the gateway's RSS with 10 000 idle keep-alive connections, and a login burst: N
# enrolled members logging in and completing MFA concurrently, on SQLite (and on PostgreSQL +
# Redis when their test URLs are set).
#
# Everything it starts is stopped on exit (trap). Needs root only to install missing packages
# (nginx, haproxy, wrk, curl from Debian); the open-file limit is raised to the hard limit.
#
# Usage: benches/load/run.sh            (about 4 minutes after the release build)
# Knobs (environment): DURATION=10 WARMUP=2 ROUNDS=2 CONNECTIONS=64 WRK_THREADS=1 IDLE=10000
#                      BURST_MEMBERS=2000 BURST_CONCURRENCY=64 PORT_BASE=18080 H2_STREAMS=1
#   BASELINE_GATEWAY=/path/to/other/mfa-gateway  also drives that binary (an earlier build) in
#                      the same rounds, pinned like the gateway, and prints this build / baseline
#                      ratios: a before/after of a change measured in one run.
#   THROUGHPUT_ONLY=1  skips the idle-connection RSS and the login burst.
#   MFA_TEST_POSTGRES_URL, MFA_TEST_REDIS_URL (as for cargo test): the login burst also runs on
#                      PostgreSQL + Redis, in a schema and key prefix of its own.
#   CALLGRIND_ONLY=1   only the callgrind rows (no wrk rounds, idle RSS or burst).
#   CG_KEEP=DIR        keeps callgrind_annotate's inclusive profile of each callgrind row in DIR.
#   CALLGRIND=1        also counts user-space instructions per bound request with valgrind's
#                      callgrind (deterministic, unlike req/s on a shared machine): the gateway
#                      (and the baseline) run under callgrind with instrumentation off during a
#                      warm-up, on for CG_SECS (15) of wrk -c4, then the total is divided by the
#                      requests served.
# Rows are driven in ROUNDS interleaved rounds and each row reports its best round (highest
# req/s, with that round's latencies), so a burst of unrelated load on a shared machine
# penalises no single row.
set -euo pipefail

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-2}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-1}
IDLE=${IDLE:-10000}
BURST_MEMBERS=${BURST_MEMBERS:-2000}
BURST_CONCURRENCY=${BURST_CONCURRENCY:-64}
PORT_BASE=${PORT_BASE:-18080}
H2_STREAMS=${H2_STREAMS:-1}

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
UP_PORT=$((PORT_BASE + 1))
NGINX_PORT=$((PORT_BASE + 2))
HAPROXY_PORT=$((PORT_BASE + 3))
GW_PORT=$((PORT_BASE + 4))
GW2_PORT=$((PORT_BASE + 5))
BASE_PORT=$((PORT_BASE + 6))
BARE_PORT=$((PORT_BASE + 7))
BARE_DEFAULTS_PORT=$((PORT_BASE + 8))
GW_H2_PORT=$((PORT_BASE + 9))
NGINX_H2_PORT=$((PORT_BASE + 10))
BASELINE_GATEWAY=${BASELINE_GATEWAY:-}
CALLGRIND=${CALLGRIND:-}
CG_SECS=${CG_SECS:-15}
THROUGHPUT_ONLY=${THROUGHPUT_ONLY:-}

log() { printf '== %s\n' "$*" >&2; }

# --- tools ------------------------------------------------------------------------------------
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} from Debian (apt-get; needs root)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # A policy-rc.d that denies everything keeps the packages' own services (nginx on port 80,
  # HAProxy) from being started by the install; it is removed again right after.
  own_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  status=0
  apt-get install -y -qq "${missing[@]}" >/dev/null || status=$?
  [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
  [ "$status" = 0 ] || { log "apt-get install failed ($status)"; exit "$status"; }
fi
export PATH="$PATH:/usr/sbin"

log "building mfa-gateway and the load helper (release)"
(cd "$ROOT" && cargo build --release --quiet --bin mfa-gateway --example load_helper --example bare_proxy)
GATEWAY="$ROOT/target/release/mfa-gateway"
HELPER="$ROOT/target/release/examples/load_helper"
BARE="$ROOT/target/release/examples/bare_proxy"

# --- cleanup ------------------------------------------------------------------------------------
WORK=$(mktemp -d /tmp/mfa-load.XXXXXX)
PIDS=()
stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() {
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  log "nothing listens on port $1"; return 1
}

# One core for the load generator and the upstream, another for the proxy under test.
NCPU=$(nproc)
if [ "$NCPU" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
  LOAD_PIN=(taskset -c 0); PROXY_PIN=(taskset -c 1); PINNING="wrk+upstream on cpu0, proxy on cpu1"
else
  LOAD_PIN=(); PROXY_PIN=(); PINNING="not pinned (1 cpu or no taskset)"
fi

# Open files: 10 000 idle connections on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((IDLE + 1000)) ]; then
  log "open-file limit $(ulimit -n) is below $((IDLE + 1000)): IDLE lowered"
  IDLE=$(( $(ulimit -n) - 1000 ))
fi

# --- upstream and the two reference proxies -------------------------------------------------
mkdir -p "$WORK/www" "$WORK/nginx-up" "$WORK/nginx-proxy" "$WORK/nginx-proxy-h2" "$WORK/data/keys" "$WORK/tls"
# nginx workers run as an unprivileged user: they must be able to read the page.
chmod 755 "$WORK" "$WORK/www"
# A listings page of about 2 KB, the size of a small legacy page.
awk 'BEGIN {
  print "<!doctype html>\n<html><head><title>Listings</title></head><body>\n<table>"
  for (i = 0; i < 26; i++) printf "<tr><td>Listing %d</td><td>12 Elm Street, Unit %d</td><td>$4%02d,000</td></tr>\n", i, i, i
  print "</table>\n</body></html>"
}' >"$WORK/www/index.html"
chmod 644 "$WORK/www/index.html"
sed -e "s#@WORK@#$WORK#g" -e "s#@UP_PORT@#$UP_PORT#g" "$HERE/nginx-upstream.conf" >"$WORK/nginx-upstream.conf"
sed -e "s#@WORK@#$WORK#g" -e "s#@UP_PORT@#$UP_PORT#g" -e "s#@PORT@#$NGINX_PORT#g" \
  "$HERE/nginx-proxy.conf" >"$WORK/nginx-proxy.conf"
sed -e "s#@UP_PORT@#$UP_PORT#g" -e "s#@PORT@#$HAPROXY_PORT#g" "$HERE/haproxy.cfg" >"$WORK/haproxy.cfg"
sed -e "s#@WORK@#$WORK#g" -e "s#@UP_PORT@#$UP_PORT#g" -e "s#@PORT@#$NGINX_H2_PORT#g" \
  "$HERE/nginx-proxy-h2.conf" >"$WORK/nginx-proxy-h2.conf"
# One certificate for both h2 rows (P-256: the handshake is not what is measured).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=localhost -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" 2>/dev/null
chmod 644 "$WORK/tls/key.pem" "$WORK/tls/cert.pem"
chmod 755 "$WORK/tls"

"${LOAD_PIN[@]}" nginx -p "$WORK/nginx-up" -e "$WORK/nginx-up/error.log" -c "$WORK/nginx-upstream.conf" &
UP_PID=$!; PIDS+=("$UP_PID")
wait_port "$UP_PORT"
PAGE_BYTES=$(wc -c <"$WORK/www/index.html")

# --- the gateway ------------------------------------------------------------------------------
for k in cookie-k1 secret-k1; do head -c 32 /dev/urandom | base64 >"$WORK/data/keys/$k.key"; done
chmod 600 "$WORK/data/keys/"*.key
printf -- '- login_id: "jdoe"\n  name: "Jane Doe"\n  email: "jdoe@example.com"\n  mobile: "+12035550100"\n' \
  >"$WORK/data/roster.yaml"
# write_config FILE PORT ENFORCE_FROM THREADS_LINE [tls]
write_config() {
  local listen_tls="# plain HTTP/1.1 listener"
  [ "${5:-}" = tls ] && listen_tls="tls: {cert_file: $WORK/tls/cert.pem, key_file: $WORK/tls/key.pem, http2: true}"
  sed -e "s#@WORK@#$WORK#g" -e "s#@UP_PORT@#$UP_PORT#g" -e "s#@PORT@#$2#g" \
    -e "s#@ENFORCE_FROM@#$3#g" -e "s|@THREADS@|$4|g" -e "s|@LISTEN_TLS@|$listen_tls|g" \
    "$HERE/gateway.yaml" >"$1"
}
write_config "$WORK/gw-enforced.yaml" "$GW_PORT" 2025-01-01 "threads: 1"
write_config "$WORK/gw-not-enforced.yaml" "$GW2_PORT" 2099-01-01 "threads: 1"
write_config "$WORK/gw-default-threads.yaml" "$GW_PORT" 2025-01-01 "# threads: default (one per core)"
write_config "$WORK/gw-h2.yaml" "$GW_H2_PORT" 2025-01-01 "threads: 1" tls
BOUND_COOKIE=$("$HELPER" mint --config "$WORK/gw-enforced.yaml" --session 3f9c2a7e5b1d4c6f8a0b2c4d6e8f0a1b)

start_gateway() { # CONFIG PORT [pinned [BINARY]]; sets GW_PID
  local binary=${4:-$GATEWAY}
  if [ "${3:-}" = pinned ]; then
    "${PROXY_PIN[@]}" "$binary" run --config "$1" >>"$WORK/gateway.log" 2>&1 &
  else
    "$binary" run --config "$1" >>"$WORK/gateway.log" 2>&1 &
  fi
  GW_PID=$!
  PIDS+=("$GW_PID")
  wait_port "$2"
}

# --- wrk --------------------------------------------------------------------------------------
RESULTS="$WORK/results.tsv"
: >"$RESULTS"
to_ms() { # 512.00us | 1.23ms | 1.01s -> milliseconds
  awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; printf "%.3f", n }'
}
# Connections the upstream has accepted so far (nginx stub_status, counting the asking one):
# the growth during a run, less the second asking connection, is how many upstream
# connections the proxy opened in it.
upstream_accepts() {
  curl -s "http://127.0.0.1:$UP_PORT/_upstream_status" | awk 'NR == 3 { print $1 }'
}
# CPU time (user + system, clock ticks) of a process and its children (nginx's worker).
cpu_ticks() {
  local total=0 pid
  for pid in "$1" $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
TICKS=$(getconf CLK_TCK)
drive() { # LABEL PORT PID [COOKIE]   (PID: the process serving the row, for its CPU time)
  local label=$1 port=$2 pid=$3 cookie=${4:-} out="$WORK/wrk-$1-$ROUND.txt"
  local args=(-t"$WRK_THREADS" -c"$CONNECTIONS" --latency)
  [ -n "$cookie" ] && args+=(-H "Cookie: $cookie")
  "${LOAD_PIN[@]}" wrk "${args[@]}" -d"${WARMUP}s" "http://127.0.0.1:$port/" >/dev/null
  local before after cpu_before cpu_after
  before=$(upstream_accepts)
  cpu_before=$(cpu_ticks "$pid")
  "${LOAD_PIN[@]}" wrk "${args[@]}" -d"${DURATION}s" "http://127.0.0.1:$port/" >"$out"
  cpu_after=$(cpu_ticks "$pid")
  after=$(upstream_accepts)
  local rps p50 p99 notes requests per_cpu
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
  requests=$(awk '/requests in/ { print $1 }' "$out")
  # Requests per CPU-second of the serving process: what the row would do with a core to
  # itself, also when the load side caps its req/s (the "capped" warning below).
  per_cpu=$(awk -v r="$requests" -v t=$((cpu_after - cpu_before)) -v hz="$TICKS" \
    'BEGIN { if (t > 0) printf "%.0f", r / (t / hz); else print 0 }')
  p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
  notes="upstream conns opened: $((after - before - 1)); $(awk '/Non-2xx|Socket errors/ { printf "%s ", $0 }' "$out")"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$rps" "$p50" "$p99" "$ROUND" "$per_cpu" "$notes" >>"$RESULTS"
  log "round $ROUND $label: $rps req/s, p50 ${p50} ms, p99 ${p99} ms, $per_cpu req per CPU-s; $notes"
}

# The h2 rows: h2load over TLS with ALPN h2, CONNECTIONS connections of H2_STREAMS streams each.
# Percentiles come from h2load's per-request log (its summary has only min/max/mean).
drive_h2() { # LABEL PORT PID [COOKIE]
  local label=$1 port=$2 pid=$3 cookie=${4:-} out="$WORK/h2load-$1-$ROUND.txt" reqlog="$WORK/h2load-$1-$ROUND.log"
  local args=(-t1 -c"$CONNECTIONS" -m"$H2_STREAMS")
  [ -n "$cookie" ] && args+=(-H "cookie: $cookie")
  local before after cpu_before cpu_after
  before=$(upstream_accepts)
  cpu_before=$(cpu_ticks "$pid")
  "${LOAD_PIN[@]}" h2load "${args[@]}" -D "$DURATION" --warm-up-time="$WARMUP" \
    --log-file="$reqlog" "https://127.0.0.1:$port/" >"$out" 2>&1 || true
  cpu_after=$(cpu_ticks "$pid")
  after=$(upstream_accepts)
  local rps requests per_cpu p50 p99 notes
  rps=$(awk '/^finished in/ { gsub(",", "", $4); print $4 }' "$out")
  requests=$(awk '/^requests:/ { print $8 }' "$out")   # succeeded
  per_cpu=$(awk -v r="$requests" -v t=$((cpu_after - cpu_before)) -v hz="$TICKS" \
    'BEGIN { if (t > 0) printf "%.0f", r / (t / hz); else print 0 }')
  # The log also holds the warm-up's requests; their latencies are as valid as the rest.
  read -r p50 p99 < <(awk -F'\t' '$2 >= 200 && $2 < 300 { print $3 }' "$reqlog" | sort -n |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "0 0"; else printf "%.3f %.3f\n", v[int((NR - 1) * 0.5) + 1] / 1000, v[int((NR - 1) * 0.99) + 1] / 1000 }')
  notes="h2, $H2_STREAMS stream(s) per connection; upstream conns opened: $((after - before - 1)); $(awk '/^status codes:/ { printf "%s ", $0 }' "$out")"
  [ -n "$rps" ] || { log "h2load failed on $label:"; tail -5 "$out" >&2; rps=0; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$rps" "$p50" "$p99" "$ROUND" "$per_cpu" "$notes" >>"$RESULTS"
  log "round $ROUND $label: $rps req/s, p50 ${p50} ms, p99 ${p99} ms, $per_cpu req per CPU-s; $notes"
}

# Every proxy under test runs for the whole comparison (idle ones cost nothing), so the rounds
# can interleave the rows.
"${PROXY_PIN[@]}" nginx -p "$WORK/nginx-proxy" -e "$WORK/nginx-proxy/error.log" -c "$WORK/nginx-proxy.conf" &
NGINX_PID=$!; PIDS+=("$NGINX_PID"); wait_port "$NGINX_PORT"
"${PROXY_PIN[@]}" haproxy -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
HAPROXY_PID=$!; PIDS+=("$HAPROXY_PID"); wait_port "$HAPROXY_PORT"
# The floor: bare pingora with the gateway's buffers, and with pingora's defaults.
"${PROXY_PIN[@]}" "$BARE" --listen "127.0.0.1:$BARE_PORT" --upstream "127.0.0.1:$UP_PORT" >"$WORK/bare.log" 2>&1 &
BARE_PID=$!; PIDS+=("$BARE_PID"); wait_port "$BARE_PORT"
"${PROXY_PIN[@]}" "$BARE" --pingora-defaults --listen "127.0.0.1:$BARE_DEFAULTS_PORT" --upstream "127.0.0.1:$UP_PORT" >"$WORK/bare-defaults.log" 2>&1 &
BARE_DEFAULTS_PID=$!; PIDS+=("$BARE_DEFAULTS_PID"); wait_port "$BARE_DEFAULTS_PORT"
start_gateway "$WORK/gw-enforced.yaml" "$GW_PORT" pinned
ENFORCED_PID=$GW_PID
start_gateway "$WORK/gw-not-enforced.yaml" "$GW2_PORT" pinned
NOT_ENFORCED_PID=$GW_PID
"${PROXY_PIN[@]}" nginx -p "$WORK/nginx-proxy-h2" -e "$WORK/nginx-proxy-h2/error.log" -c "$WORK/nginx-proxy-h2.conf" &
NGINX_H2_PID=$!; PIDS+=("$NGINX_H2_PID"); wait_port "$NGINX_H2_PORT"
start_gateway "$WORK/gw-h2.yaml" "$GW_H2_PORT" pinned
H2_PID=$GW_PID
BASELINE_PID=
if [ -n "$BASELINE_GATEWAY" ]; then
  # Same keys and store as the gateway under test, so the same bound cookie is valid there.
  write_config "$WORK/gw-baseline.yaml" "$BASE_PORT" 2025-01-01 "threads: 1"
  start_gateway "$WORK/gw-baseline.yaml" "$BASE_PORT" pinned "$BASELINE_GATEWAY"
  BASELINE_PID=$GW_PID
fi
for port in "$GW_PORT" "$GW2_PORT"; do
  probe=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $BOUND_COOKIE" "http://127.0.0.1:$port/" || true)
  [ "$probe" = 200 ] || log "WARNING: bound-session probe on port $port answered $probe"
done

log "wrk: $WRK_THREADS thread(s), $CONNECTIONS connections, ${DURATION}s (+${WARMUP}s warm-up) per row, $ROUNDS rounds; $PINNING"
[ -n "${CALLGRIND_ONLY:-}" ] && { CALLGRIND=1; THROUGHPUT_ONLY=1; ROUNDS=0; }
for ROUND in $(seq 1 "$ROUNDS"); do
  drive upstream-direct "$UP_PORT" "$UP_PID"
  drive nginx "$NGINX_PORT" "$NGINX_PID" "$BOUND_COOKIE"
  drive haproxy "$HAPROXY_PORT" "$HAPROXY_PID" "$BOUND_COOKIE"
  drive bare-pingora "$BARE_PORT" "$BARE_PID" "$BOUND_COOKIE"
  drive bare-pingora-defaults "$BARE_DEFAULTS_PORT" "$BARE_DEFAULTS_PID" "$BOUND_COOKIE"
  drive gateway-pass-through "$GW_PORT" "$ENFORCED_PID"
  drive gateway-bound "$GW_PORT" "$ENFORCED_PID" "$BOUND_COOKIE"
  drive gateway-not-enforced "$GW2_PORT" "$NOT_ENFORCED_PID" "$BOUND_COOKIE"
  drive_h2 nginx-h2 "$NGINX_H2_PORT" "$NGINX_H2_PID" "$BOUND_COOKIE"
  drive_h2 gateway-h2-pass-through "$GW_H2_PORT" "$H2_PID"
  drive_h2 gateway-h2-bound "$GW_H2_PORT" "$H2_PID" "$BOUND_COOKIE"
  if [ -n "$BASELINE_PID" ]; then
    drive baseline-pass-through "$BASE_PORT" "$BASELINE_PID"
    drive baseline-bound "$BASE_PORT" "$BASELINE_PID" "$BOUND_COOKIE"
  fi
done
stop_pid "$ENFORCED_PID"
stop_pid "$NOT_ENFORCED_PID"
stop_pid "$H2_PID"
stop_pid "$NGINX_H2_PID"
[ -n "$BASELINE_PID" ] && stop_pid "$BASELINE_PID"
# --- instructions per request (callgrind) -----------------------------------------------------
CG_RESULTS="$WORK/callgrind.tsv"
: >"$CG_RESULTS"
callgrind_row() { # LABEL PORT COOKIE COMMAND...   (COOKIE may be empty)
  local label=$1 port=$2 cookie=$3 args=(-t1 -c4) pid out requests ir
  shift 3
  [ -n "$cookie" ] && args+=(-H "Cookie: $cookie")
  "${PROXY_PIN[@]}" valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$WORK/cg-$label.out" "$@" >>"$WORK/gateway.log" 2>&1 &
  pid=$!; PIDS+=("$pid")
  for _ in $(seq 1 20); do wait_port "$port" 2>/dev/null && break; done
  "${LOAD_PIN[@]}" wrk "${args[@]}" -d3s "http://127.0.0.1:$port/" >/dev/null
  callgrind_control -i on "$pid" >/dev/null
  out=$("${LOAD_PIN[@]}" wrk "${args[@]}" -d"${CG_SECS}s" "http://127.0.0.1:$port/")
  callgrind_control -d "$pid" >/dev/null
  stop_pid "$pid"
  requests=$(awk '/requests in/ { print $1 }' <<<"$out")
  ir=$(cat "$WORK"/cg-"$label".out* | awk '/^(summary|totals):/ { s += $2 } END { print s + 0 }')
  printf '%s\t%s\t%s\n' "$label" "$requests" "$ir" >>"$CG_RESULTS"
  log "callgrind $label: $ir instructions over $requests requests"
  # Inclusive cost by function, for docs/performance.md (kept when CG_KEEP names a folder).
  if [ -n "${CG_KEEP:-}" ]; then
    mkdir -p "$CG_KEEP"
    # The dump taken during the measured window is the largest part.
    callgrind_annotate --inclusive=yes "$(ls -S "$WORK"/cg-"$label".out* | head -1)" 2>/dev/null \
      | head -150 >"$CG_KEEP/$label.txt" || true
    cp "$(ls -S "$WORK"/cg-"$label".out* | head -1)" "$CG_KEEP/$label.callgrind"
  fi
}
if [ -n "$CALLGRIND" ]; then
  command -v valgrind >/dev/null || { log "CALLGRIND=1 needs valgrind (apt-get install valgrind)"; exit 1; }
  stop_pid "$BARE_PID"
  callgrind_row bare-pingora "$BARE_PORT" "$BOUND_COOKIE" "$BARE" --listen "127.0.0.1:$BARE_PORT" --upstream "127.0.0.1:$UP_PORT"
  callgrind_row gateway-bound "$GW_PORT" "$BOUND_COOKIE" "$GATEWAY" run --config "$WORK/gw-enforced.yaml"
  callgrind_row gateway-pass-through "$GW_PORT" "" "$GATEWAY" run --config "$WORK/gw-enforced.yaml"
  if [ -n "$BASELINE_GATEWAY" ]; then
    callgrind_row baseline-bound "$BASE_PORT" "$BOUND_COOKIE" "$BASELINE_GATEWAY" run --config "$WORK/gw-baseline.yaml"
    callgrind_row baseline-pass-through "$BASE_PORT" "" "$BASELINE_GATEWAY" run --config "$WORK/gw-baseline.yaml"
  fi
fi

# Best round per row, in the order the rows were first driven.
awk -F'\t' '!($1 in best) { order[++n] = $1 } !($1 in best) || $2 > best[$1] { best[$1] = $2; line[$1] = $0 }
  END { for (i = 1; i <= n; i++) print line[order[i]] }' "$RESULTS" >"$WORK/best.tsv"

# --- RSS with idle keep-alive connections ---------------------------------------------------
rss_kb() { # PID: resident set of the process and its children (nginx's master and worker)
  local total=0 pid
  for pid in "$1" $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    total=$((total + $(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
idle_rss() { # PID PORT: sets IDLE_RESULT="RSS_BEFORE_KB RSS_IDLE_KB CONNECTIONS_OPEN"
  local pid=$1 port=$2 before idle_pid open
  before=$(rss_kb "$pid")
  "$HELPER" idle --addr "127.0.0.1:$port" --connections "$IDLE" --hold-secs 60 >"$WORK/idle-$port.out" 2>&1 &
  idle_pid=$!; PIDS+=("$idle_pid")
  for _ in $(seq 1 1200); do
    grep -q '^ready' "$WORK/idle-$port.out" && break
    kill -0 "$idle_pid" 2>/dev/null || break
    sleep 0.1
  done
  open=$(awk '/^ready/ { print $2 }' "$WORK/idle-$port.out")
  [ -n "$open" ] || { log "idle client failed on port $port:"; tail -5 "$WORK/idle-$port.out" >&2; open=0; }
  sleep 1
  IDLE_RESULT="$before $(rss_kb "$pid") $open"
  stop_pid "$idle_pid"
}
if [ -z "$THROUGHPUT_ONLY" ]; then
log "RSS: $IDLE idle keep-alive connections to nginx, the bare floor (both buffer settings) and the gateway (one worker each)"
idle_rss "$NGINX_PID" "$NGINX_PORT"
read -r NGINX_RSS_BEFORE NGINX_RSS_IDLE NGINX_IDLE_OPEN <<<"$IDLE_RESULT"
stop_pid "$NGINX_PID"
stop_pid "$HAPROXY_PID"
if ! kill -0 "$BARE_PID" 2>/dev/null; then  # stopped for callgrind
  "${PROXY_PIN[@]}" "$BARE" --listen "127.0.0.1:$BARE_PORT" --upstream "127.0.0.1:$UP_PORT" >"$WORK/bare.log" 2>&1 &
  BARE_PID=$!; PIDS+=("$BARE_PID"); wait_port "$BARE_PORT"
fi
idle_rss "$BARE_PID" "$BARE_PORT"
read -r BARE_RSS_BEFORE BARE_RSS_IDLE BARE_IDLE_OPEN <<<"$IDLE_RESULT"
stop_pid "$BARE_PID"
idle_rss "$BARE_DEFAULTS_PID" "$BARE_DEFAULTS_PORT"
read -r BARED_RSS_BEFORE BARED_RSS_IDLE BARED_IDLE_OPEN <<<"$IDLE_RESULT"
stop_pid "$BARE_DEFAULTS_PID"
start_gateway "$WORK/gw-enforced.yaml" "$GW_PORT" pinned
sleep 0.5
idle_rss "$GW_PID" "$GW_PORT"
read -r RSS_BEFORE RSS_IDLE IDLE_OPEN <<<"$IDLE_RESULT"
stop_pid "$GW_PID"
BASE_RSS_BEFORE=
if [ -n "$BASELINE_GATEWAY" ]; then
  start_gateway "$WORK/gw-baseline.yaml" "$BASE_PORT" pinned "$BASELINE_GATEWAY"
  sleep 0.5
  idle_rss "$GW_PID" "$BASE_PORT"
  read -r BASE_RSS_BEFORE BASE_RSS_IDLE BASE_IDLE_OPEN <<<"$IDLE_RESULT"
  stop_pid "$GW_PID"
fi

# --- login burst ------------------------------------------------------------------------------
log "login burst: $BURST_MEMBERS members, $BURST_CONCURRENCY concurrent, SQLite"
"$HELPER" enroll --config "$WORK/gw-default-threads.yaml" --members "$BURST_MEMBERS" \
  --roster "$WORK/data/roster.yaml" >/dev/null
start_gateway "$WORK/gw-default-threads.yaml" "$GW_PORT"
BURST=$("$HELPER" burst --url "http://127.0.0.1:$GW_PORT" --members "$BURST_MEMBERS" \
  --concurrency "$BURST_CONCURRENCY" 2>&1) || log "burst failed: $BURST"
stop_pid "$GW_PID"
VERIFY_RATE=$(sed -n 's/.*verifications_per_s=\([0-9]*\).*/\1/p' <<<"$BURST")
FLOW_RATE=$(sed -n 's/.*complete_logins_per_s=\([0-9]*\).*/\1/p' <<<"$BURST")
# The same burst on PostgreSQL + Redis (the scale-out stores), when the test servers are named
# as for `cargo test`: in a schema and a key prefix of its own, dropped afterwards.
SERVERS_VERIFY_RATE=; SERVERS_FLOW_RATE=
if [ -n "${MFA_TEST_POSTGRES_URL:-}" ] && [ -n "${MFA_TEST_REDIS_URL:-}" ] && command -v psql >/dev/null; then
  BENCH_SCHEMA="mfa_bench_$$"
  psql -q "$MFA_TEST_POSTGRES_URL" -c "CREATE SCHEMA $BENCH_SCHEMA" >/dev/null
  joiner='?'; case "$MFA_TEST_POSTGRES_URL" in *\?*) joiner='&' ;; esac
  PG_URL="${MFA_TEST_POSTGRES_URL}${joiner}options=-c%20search_path%3D${BENCH_SCHEMA}"
  awk -v pg="$PG_URL" -v redis="$MFA_TEST_REDIS_URL" -v prefix="mfa-bench-$$:" '
    /^    sqlite:/ { print "    postgres:\n      url: " pg; next }
    /^  ephemeral: memory/ { print "  ephemeral:\n    redis:\n      url: " redis "\n      key_prefix: \"" prefix "\""; next }
    { print }' "$WORK/gw-default-threads.yaml" >"$WORK/gw-servers.yaml"
  log "login burst: $BURST_MEMBERS members, $BURST_CONCURRENCY concurrent, PostgreSQL + Redis"
  "$HELPER" enroll --config "$WORK/gw-servers.yaml" --members "$BURST_MEMBERS" \
    --roster "$WORK/data/roster.yaml" >/dev/null
  start_gateway "$WORK/gw-servers.yaml" "$GW_PORT"
  BURST=$("$HELPER" burst --url "http://127.0.0.1:$GW_PORT" --members "$BURST_MEMBERS" \
    --concurrency "$BURST_CONCURRENCY" 2>&1) || log "burst failed: $BURST"
  stop_pid "$GW_PID"
  psql -q "$MFA_TEST_POSTGRES_URL" -c "DROP SCHEMA $BENCH_SCHEMA CASCADE" >/dev/null
  SERVERS_VERIFY_RATE=$(sed -n 's/.*verifications_per_s=\([0-9]*\).*/\1/p' <<<"$BURST")
  SERVERS_FLOW_RATE=$(sed -n 's/.*complete_logins_per_s=\([0-9]*\).*/\1/p' <<<"$BURST")
fi
else
  stop_pid "$NGINX_PID"
  stop_pid "$HAPROXY_PID"
fi

# --- report -----------------------------------------------------------------------------------
val() { awk -F'\t' -v k="$1" -v c="$2" '$1 == k { print $c }' "$WORK/best.tsv"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }
echo
echo "machine: $NCPU x $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo); $(uname -r)"
echo "versions: $(nginx -v 2>&1 | sed 's/.*: //'), $(haproxy -v | head -1 | awk '{ print "HAProxy " $3 }'), $(wrk -v 2>&1 | head -1 | awk '{ print "wrk " $2 }'), $("$GATEWAY" --version)"
echo "load: wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s, GET / (${PAGE_BYTES} B page), best of $ROUNDS rounds, $PINNING"
echo "proxies: 1 worker each (nginx worker_processes 1, HAProxy nbthread 1, gateway threads: 1)"
echo
printf '| %-22s | %10s | %8s | %8s | %12s | %s\n' row "req/s" "p50 ms" "p99 ms" "req / CPU-s" notes
printf '|%s|\n' "------------------------|------------|----------|----------|--------------|------"
while IFS=$'\t' read -r label rps p50 p99 round per_cpu notes; do
  printf '| %-22s | %10.0f | %8.3f | %8.3f | %12s | round %s; %s\n' "$label" "$rps" "$p50" "$p99" "$per_cpu" "$round" "$notes"
done <"$WORK/best.tsv"
echo
BR=$(val gateway-bound 2); BP99=$(val gateway-bound 4)
NR=$(val nginx 2); NP99=$(val nginx 4)
HR=$(val haproxy 2); HP99=$(val haproxy 4)
PR=$(val gateway-pass-through 2); UR=$(val gateway-not-enforced 2)
printf '| %-40s | %7s | %s\n' ratio value target
printf '|%s|\n' "------------------------------------------|---------|-------"
FR=$(val bare-pingora 2); DR=$(val upstream-direct 2)
# Per CPU-second of the proxy's own core: not capped by the load side.
BC=$(val gateway-bound 6); NC=$(val nginx 6); FC=$(val bare-pingora 6); HC=$(val haproxy 6)
printf '| %-40s | %7s | >= 0.7\n' "bound / nginx, requests per CPU-second" "$(ratio "$BC" "$NC")"
printf '| %-40s | %7s |\n' "bound / HAProxy, requests per CPU-second" "$(ratio "$BC" "$HC")"
printf '| %-40s | %7s |\n' "bound / bare pingora, req per CPU-second" "$(ratio "$BC" "$FC")"
printf '| %-40s | %7s | >= 0.7\n' "bound req/s / nginx req/s" "$(ratio "$BR" "$NR")"
printf '| %-40s | %7s | <= 2.0\n' "bound p99 / nginx p99" "$(ratio "$BP99" "$NP99")"
printf '| %-40s | %7s |\n' "bound req/s / HAProxy req/s" "$(ratio "$BR" "$HR")"
printf '| %-40s | %7s |\n' "bound req/s / bare pingora req/s" "$(ratio "$BR" "$FR")"
printf '| %-40s | %7s |\n' "bare pingora req/s / nginx req/s" "$(ratio "$FR" "$NR")"
printf '| %-40s | %7s | >= 0.97\n' "bound req/s / pass-through req/s" "$(ratio "$BR" "$PR")"
printf '| %-40s | %7s |\n' "pass-through req/s / nginx req/s" "$(ratio "$PR" "$NR")"
printf '| %-40s | %7s |\n' "not-enforced req/s / bound req/s" "$(ratio "$UR" "$BR")"
H2R=$(val gateway-h2-bound 2); H2P99=$(val gateway-h2-bound 4); H2C=$(val gateway-h2-bound 6)
NH2R=$(val nginx-h2 2); NH2P99=$(val nginx-h2 4); NH2C=$(val nginx-h2 6)
printf '| %-40s | %7s | >= 0.7\n' "h2 bound / nginx h2, req per CPU-second" "$(ratio "$H2C" "$NH2C")"
printf '| %-40s | %7s | >= 0.7\n' "h2 bound req/s / nginx h2 req/s" "$(ratio "$H2R" "$NH2R")"
printf '| %-40s | %7s | <= 2.0\n' "h2 bound p99 / nginx h2 p99" "$(ratio "$H2P99" "$NH2P99")"
# A proxy row close to the direct row may be capped by the upstream and wrk (which share a
# core), not by the proxy: say so rather than report it as the proxy's speed.
while IFS=$'\t' read -r label rps _; do
  [ "$label" = upstream-direct ] && continue
  if awk -v r="$rps" -v d="$DR" 'BEGIN { exit !(d > 0 && r > 0.85 * d) }'; then
    echo "WARNING: $label ran at $(ratio "$rps" "$DR") of upstream-direct: it may be capped by the load side, not measured"
  fi
done <"$WORK/best.tsv"
if [ -n "$BASELINE_PID" ]; then
  BBR=$(val baseline-bound 2); BBP99=$(val baseline-bound 4); BPR=$(val baseline-pass-through 2)
  printf '| %-40s | %7s | >= 0.97\n' "bound req/s / baseline bound req/s" "$(ratio "$BR" "$BBR")"
  printf '| %-40s | %7s |\n' "bound p99 / baseline bound p99" "$(ratio "$BP99" "$BBP99")"
  printf '| %-40s | %7s | >= 0.97\n' "pass-through / baseline pass-through" "$(ratio "$PR" "$BPR")"
fi
if [ -s "$CG_RESULTS" ]; then
  echo
  printf '| %-24s | %9s | %22s\n' "callgrind row" requests "instructions / request"
  printf '|%s|\n' "--------------------------|-----------|-----------------------"
  while IFS=$'\t' read -r label requests ir; do
    printf '| %-24s | %9s | %22s\n' "$label" "$requests" \
      "$(awk -v i="$ir" -v r="$requests" 'BEGIN { if (r > 0) printf "%.0f", i / r; else print "n/a" }')"
  done <"$CG_RESULTS"
  cg_per() { awk -F'\t' -v k="$1" '$1 == k && $2 > 0 { printf "%.0f", $3 / $2 }' "$CG_RESULTS"; }
  printf '| %-40s | %7s | <= 1.10\n' "bound instructions / bare pingora's" "$(ratio "$(cg_per gateway-bound)" "$(cg_per bare-pingora)")"
fi
echo
[ -n "$THROUGHPUT_ONLY" ] && exit 0
idle_row() { # LABEL BEFORE_KB IDLE_KB OPEN: one row of the idle table, with KB per connection
  printf '| %-29s | %9s | %9s | %11s | %s\n' "$1" $(($2 / 1024)) $(($3 / 1024)) "$4" \
    "$(awk -v b="$2" -v i="$3" -v n="$4" 'BEGIN { if (n > 0) printf "%.1f", (i - b) / n; else print "n/a" }')"
}
printf '| %-29s | %9s | %9s | %11s | %s\n' "idle keep-alive RSS" "start MB" "idle MB" "connections" "KB / connection"
printf '|%s|\n' "-------------------------------|-----------|-----------|-------------|----------------"
idle_row "nginx (master + worker)" "$NGINX_RSS_BEFORE" "$NGINX_RSS_IDLE" "$NGINX_IDLE_OPEN"
idle_row "bare pingora, pingora buffers" "$BARED_RSS_BEFORE" "$BARED_RSS_IDLE" "$BARED_IDLE_OPEN"
idle_row "bare pingora, gateway buffers" "$BARE_RSS_BEFORE" "$BARE_RSS_IDLE" "$BARE_IDLE_OPEN"
idle_row "gateway" "$RSS_BEFORE" "$RSS_IDLE" "$IDLE_OPEN"
if [ -n "$BASE_RSS_BEFORE" ]; then
  idle_row "baseline gateway" "$BASE_RSS_BEFORE" "$BASE_RSS_IDLE" "$BASE_IDLE_OPEN"
fi
echo "targets: gateway <= 60 MB with 10000 idle connections, <= 6 KB per idle connection"
echo "login burst (SQLite, $BURST_MEMBERS members, $BURST_CONCURRENCY concurrent): ${VERIFY_RATE:-n/a} MFA verifications/s, ${FLOW_RATE:-n/a} complete logins/s (login + challenge page + verify) (target >= 1000 verifications/s)"
if [ -n "$SERVERS_VERIFY_RATE" ]; then
  echo "login burst (PostgreSQL + Redis, same members): ${SERVERS_VERIFY_RATE} MFA verifications/s, ${SERVERS_FLOW_RATE:-n/a} complete logins/s"
else
  echo "login burst on PostgreSQL + Redis: not run (set MFA_TEST_POSTGRES_URL and MFA_TEST_REDIS_URL, as for cargo test)"
fi
