#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: installs what the tests need (as root, with apt-get),
# makes sure PostgreSQL answers on 127.0.0.1:5432, installs the npm dependencies, runs vitest.
set -euo pipefail
cd "$(dirname "$0")/.."

export SHAKENSTACK_TEST_DATABASE_URL="${SHAKENSTACK_TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/test}"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else echo "test/run.sh: needs root to run: $*" >&2; return 1; fi
}

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}"
}

# openssl: independent certificate checks; curl: the quick-start test runs the printed curl command;
# softhsm2 + opensc (pkcs11-tool): the PKCS#11 key store tests run against a real SoftHSM2 token;
# secsipidx: an independent signer whose tokens the verification tests must accept;
# chromium: the dashboard end-to-end tests drive Debian's browser with playwright-core (never a downloaded one).
apt_install openssl curl ca-certificates softhsm2 opensc secsipidx chromium
# SIP peers (test/sip-peers): Kamailio runs the shipped gateway configs (http_client in utils, json for the
# answer, app_lua for the KEMI shim) and secsipid as an independent verifier and 302 reference; sip-tester is
# sipp (the PBX and carrier sides); lua5.4 runs the FreeSWITCH script with its API stood in.
apt_install kamailio kamailio-lua-modules kamailio-utils-modules kamailio-json-modules kamailio-secsipid-modules sip-tester lua5.4
# redis-server (and redis-cli): the STI-CPS tests (test/cps) start their own Redis processes on 127.0.0.1.
apt_install redis-server

pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! command -v pg_isready >/dev/null 2>&1; then
  apt_install postgresql
  installed_pg=1
fi
if ! pg_ready; then
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
fi
pg_ready || { echo "test/run.sh: PostgreSQL is not answering on 127.0.0.1:5432" >&2; exit 1; }
if [ "${installed_pg:-0}" = 1 ]; then
  # A PostgreSQL we installed just now: give the tests the user and database they expect.
  as_root su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" 
  as_root su postgres -c "createdb test" 2>/dev/null || true
fi

npm ci --no-audit --no-fund
npx vitest run "$@"
