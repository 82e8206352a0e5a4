#!/usr/bin/env bash
# Install everything knot-gtm needs to build, test and run its demo on
# Debian bookworm.  Idempotent: does nothing when all packages are present.
set -euo pipefail

PACKAGES=(
    # Knot DNS 3.2: server, kdig/knotc, module headers (knotd.pc)
    knot knot-dnsutils libknot-dev
    # build
    gcc libc6-dev pkg-config meson ninja-build liburcu-dev
    # unit tests
    libcmocka-dev
    # integration tests, demo, benchmark (run with /usr/bin/python3);
    # openssl makes the certificate of the HTTPS test origins
    python3 python3-dnspython openssl
    # https checks (GnuTLS); icmp tests run in their own network namespace
    libgnutls28-dev libmaxminddb-dev libcurl4-gnutls-dev mmdb-bin iproute2 util-linux
    # operations tests: promtool checks the Prometheus textfile, node_exporter
    # scrapes it through its textfile collector
    prometheus prometheus-node-exporter
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "deps.sh: not root and no sudo: install as root: ${PACKAGES[*]}" >&2
        exit 1
    fi
fi

missing=()
for p in "${PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
    if [ "$status" != "install ok installed" ]; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "deps.sh: all ${#PACKAGES[@]} packages installed"
    exit 0
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# The knot package may try to start its system service; that is harmless
# (the tests use their own knotd on private ports).
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "deps.sh: done"
