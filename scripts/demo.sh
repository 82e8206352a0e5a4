#!/usr/bin/env bash
# The knot-gtm demo: build the module, start knotd with knot.conf.example +
# gtm.conf.example and three HTTP origins on 127.0.0.11-13, then print the
# answer for gtm.example.com every second.  Make an origin fail from another
# terminal with 'scripts/origin-ctl 1 down' and watch the answer move.
#
#   scripts/demo.sh [--duration SECONDS] [--selftest] [--no-deps] [--no-build]
#
# --duration   stop after SECONDS (default: until Ctrl-C; 60 without a tty)
# --selftest   non-interactive check: stop origin 1, expect origin 2 to
#              answer, restore origin 1, expect it back; exit 0 or 1
# Ctrl-C stops everything the demo started.  Files: $GTM_DEMO_DIR
# (default /tmp/knot-gtm-demo), removed on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DURATION=""
SELFTEST=0
DEPS=1
BUILD=1
while [ "$#" -gt 0 ]; do
    case "$1" in
        --duration) DURATION="${2:?--duration needs SECONDS}"; shift ;;
        --duration=*) DURATION="${1#*=}" ;;
        --selftest) SELFTEST=1 ;;
        --no-deps) DEPS=0 ;;
        --no-build) BUILD=0 ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "demo.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
case "$DURATION" in
    "") if [ -t 0 ]; then DURATION=0; else DURATION=60; fi ;;
    *[!0-9]*) echo "demo.sh: --duration takes whole seconds" >&2; exit 2 ;;
esac

DIR="${GTM_DEMO_DIR:-/tmp/knot-gtm-demo}"
BUILD_DIR="${BUILD_DIR:-build}"
PY=/usr/bin/python3
ADDRS=(127.0.0.11 127.0.0.12 127.0.0.13)

say() { printf '%s\n' "$*"; }

# -- dependencies and build ---------------------------------------------------
if [ "$DEPS" = 1 ]; then
    scripts/deps.sh
fi
if [ "$BUILD" = 1 ]; then
    if [ ! -f "$BUILD_DIR/build.ninja" ]; then
        meson setup "$BUILD_DIR" >/dev/null
    fi
    ninja -C "$BUILD_DIR" >/dev/null
fi
case "$BUILD_DIR" in /*) MODULE="$BUILD_DIR/gtm.so" ;; *) MODULE="$ROOT/$BUILD_DIR/gtm.so" ;; esac
[ -f "$MODULE" ] || { echo "demo.sh: $MODULE not built" >&2; exit 1; }

# -- one demo at a time ---------------------------------------------------------
if [ -f "$DIR/demo.pid" ] && kill -0 "$(cat "$DIR/demo.pid")" 2>/dev/null; then
    echo "demo.sh: a demo is already running (PID $(cat "$DIR/demo.pid"), $DIR)" >&2
    exit 1
fi

KNOTD_PID=""
ORIGIN_PID=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    for pid in $KNOTD_PID $ORIGIN_PID; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in $KNOTD_PID $ORIGIN_PID; do
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ -n "${KEEP_DEMO_DIR:-}" ]; then
        say "demo files kept in $DIR"
    else
        rm -rf "$DIR"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rm -rf "$DIR"
mkdir -p "$DIR/db" "$DIR/origins"
echo $$ > "$DIR/demo.pid"

# -- ports -----------------------------------------------------------------------
free_port() {   # preferred-port addr... -> a port free on every addr
    "$PY" - "$@" <<'EOF'
import sys
sys.path.insert(0, 'tests/integration')
from origins import free_port, port_free_on
want, addrs = int(sys.argv[1]), sys.argv[2:]
print(want if port_free_on(addrs, want) else free_port(addrs, udp_too=True))
EOF
}
DNS_PORT="$(free_port 5300 127.0.0.1)"
HTTP_PORT="$(free_port 8080 "${ADDRS[@]}")"

# -- configuration from the shipped examples -----------------------------------
USER_LINE='    # user: knot:knot'
if [ "$(id -u)" -eq 0 ] && id knot >/dev/null 2>&1; then
    USER_LINE='    user: knot:knot'
fi
# a copy of the module: knotd (as user knot) reloads it from there
cp "$MODULE" "$DIR/gtm.so"
sed -e "s|/tmp/knot-gtm-demo|$DIR|g" \
    -e "s|127.0.0.1@5300|127.0.0.1@$DNS_PORT|" \
    -e "s|file: /usr/lib/.*/gtm.so|file: $DIR/gtm.so|" \
    -e "s|^    # user: knot:knot.*|$USER_LINE|" \
    knot.conf.example > "$DIR/knot.conf"
sed -e "s|port: 8080|port: $HTTP_PORT|" gtm.conf.example > "$DIR/gtm.conf"
cp scripts/example.com.zone "$DIR/example.com.zone"
if [ "$(id -u)" -eq 0 ] && id knot >/dev/null 2>&1; then
    chown -R knot:knot "$DIR"
fi

# -- start origins and knotd ------------------------------------------------------
"$PY" scripts/origin.py --port "$HTTP_PORT" --state-dir "$DIR/origins" \
    "${ADDRS[@]}" > "$DIR/origins.log" 2>&1 &
ORIGIN_PID=$!
# origins listening before knotd starts probing them
for _ in $(seq 100); do
    [ "$(cat "$DIR"/origins/origin[123].status 2>/dev/null | grep -c '^up$')" = 3 ] && break
    kill -0 "$ORIGIN_PID" 2>/dev/null || { cat "$DIR/origins.log" >&2; exit 1; }
    sleep 0.1
done
/usr/sbin/knotd -c "$DIR/knot.conf" > "$DIR/knotd.log" 2>&1 &
KNOTD_PID=$!

dig_a() {
    { kdig @127.0.0.1 -p "$DNS_PORT" gtm.example.com A +short +timeout=1 \
        +retry=0 2>/dev/null || true; } | tr '\n' ' ' | sed 's/ $//'
}

up=0
for _ in $(seq 100); do
    if ! kill -0 "$KNOTD_PID" 2>/dev/null; then
        echo "demo.sh: knotd exited:" >&2; tail -20 "$DIR/knotd.log" >&2; exit 1
    fi
    if [ -n "$(dig_a)" ]; then up=1; break; fi
    sleep 0.1
done
if [ "$up" != 1 ]; then
    echo "demo.sh: knotd does not answer:" >&2; tail -20 "$DIR/knotd.log" >&2; exit 1
fi

origin_states() {
    local out="" i
    for i in 1 2 3; do
        out+="$i=$(cat "$DIR/origins/origin$i.status" 2>/dev/null || echo '?') "
    done
    printf '%s' "${out% }"
}

# -- selftest ----------------------------------------------------------------------
wait_answer() {   # expected timeout-seconds
    local want="$1" i got=""
    for i in $(seq $(( $2 * 10 ))); do
        got="$(dig_a)"
        [ "$got" = "$want" ] && { say "  answer $got after ~$(( i / 10 )).$(( i % 10 ))s"; return 0; }
        sleep 0.1
    done
    say "  FAIL: expected $want, last answer '$got'"
    return 1
}

if [ "$SELFTEST" = 1 ]; then
    say "demo selftest: knotd on 127.0.0.1@$DNS_PORT, origins on port $HTTP_PORT"
    ok=1
    say "all origins up: expect 127.0.0.11"
    wait_answer 127.0.0.11 10 || ok=0
    say "scripts/origin-ctl 1 stop: expect 127.0.0.12"
    GTM_DEMO_DIR="$DIR" scripts/origin-ctl 1 stop >/dev/null
    wait_answer 127.0.0.12 15 || ok=0
    say "scripts/origin-ctl 1 up: expect 127.0.0.11 again"
    GTM_DEMO_DIR="$DIR" scripts/origin-ctl 1 up >/dev/null
    wait_answer 127.0.0.11 15 || ok=0
    { grep -h 'mod-gtm' "$DIR/knotd.log" || true; } | sed 's/^/  knotd: /' | tail -8
    if [ "$ok" = 1 ]; then
        say "demo selftest: PASS"
        exit 0
    fi
    say "demo selftest: FAIL"; tail -30 "$DIR/knotd.log"
    exit 1
fi

# -- interactive loop -------------------------------------------------------------
CTL="scripts/origin-ctl"
[ "$DIR" != /tmp/knot-gtm-demo ] && CTL="GTM_DEMO_DIR=$DIR scripts/origin-ctl"
cat <<EOF

knot-gtm demo
  knotd      127.0.0.1 port $DNS_PORT (config $DIR/knot.conf, log $DIR/knotd.log)
  origins    ${ADDRS[*]} port $HTTP_PORT, GET /health
  query      kdig @127.0.0.1 -p $DNS_PORT gtm.example.com A +short

Make an origin fail, in another terminal:
  $CTL 1 down      # answer 503         $CTL 1 stop   # refuse connections
  $CTL 1 hang      # never answer       $CTL 1 up     # healthy again
Health: interval 1s, fall 3, rise 2 (gtm.conf): a change shows within a few seconds.
Ctrl-C stops the demo$( [ "$DURATION" -gt 0 ] && echo " (or it stops after ${DURATION}s)").

EOF

start=$SECONDS
seen=0
while [ "$DURATION" -eq 0 ] || [ $(( SECONDS - start )) -lt "$DURATION" ]; do
    if ! kill -0 "$KNOTD_PID" 2>/dev/null; then
        echo "demo.sh: knotd exited" >&2; tail -20 "$DIR/knotd.log" >&2; exit 1
    fi
    printf '%s  gtm.example.com A -> %-15s  origins: %s\n' \
        "$(date +%T)" "$(dig_a)" "$(origin_states)"
    # new state changes logged by the module
    n="$(grep -c 'mod-gtm.* \(up\|down\) (' "$DIR/knotd.log" || true)"
    if [ "$n" -gt "$seen" ]; then
        grep 'mod-gtm.* \(up\|down\) (' "$DIR/knotd.log" | tail -n $(( n - seen )) |
            sed 's/^.*module .mod-gtm\/default., /          knotd: /'
        seen="$n"
    fi
    sleep 1
done
