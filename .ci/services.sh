#!/usr/bin/env bash
# Starts local PostgreSQL and Redis for the store/lease contract suites (tests/db).
#
#   eval "$(bash .ci/services.sh)"
#
# Runs as root on Debian 12 (CI). Installs `postgresql` and `redis-server` with apt when
# missing, starts both listening on 127.0.0.1 only, waits (bounded) until they accept
# connections, then prints `export TEST_POSTGRES_URL=…` / `export TEST_REDIS_URL=…` on
# stdout. Progress goes to stderr. When a service does not start, the script says which
# and exits 1 (after printing the export of the one that did start): CI must not pass
# without the PostgreSQL and Redis suites.
#
# Overrides (also to simulate a failure): CI_PG_PORT (default: the cluster's port),
# CI_PG_USER, CI_PG_PASSWORD, CI_PG_DB, CI_REDIS_PORT, CI_SERVICES_WAIT_SECONDS.
set -u

PG_USER="${CI_PG_USER:-trader}"
PG_PASSWORD="${CI_PG_PASSWORD:-trader}"
PG_DB="${CI_PG_DB:-trader}"
REDIS_PORT="${CI_REDIS_PORT:-6379}"
WAIT_SECONDS="${CI_SERVICES_WAIT_SECONDS:-30}"

log() { printf '[services] %s\n' "$*" >&2; }
warn() { printf '[services] WARNING: %s\n' "$*" >&2; }

export DEBIAN_FRONTEND=noninteractive
apt_updated=0
apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    warn "not root: cannot apt-get install $*"
    return 1
  fi
  if [ "$apt_updated" -eq 0 ]; then
    log "apt-get update"
    apt-get update -qq >&2 || { warn "apt-get update failed (no network?)"; return 1; }
    apt_updated=1
  fi
  log "apt-get install $*"
  apt-get install -y -qq --no-install-recommends "$@" >&2 || { warn "apt-get install $* failed"; return 1; }
}

# Waits until "$@" succeeds, at most WAIT_SECONDS tries one second apart.
wait_until() {
  local tries=0
  until "$@" >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -ge "$WAIT_SECONDS" ]; then return 1; fi
    sleep 1
  done
}

start_postgres() {
  if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    apt_install postgresql || return 1
  fi
  local version port
  version="$(ls /etc/postgresql | sort -V | tail -n 1)"
  if [ -z "$version" ] || [ ! -d "/etc/postgresql/$version/main" ]; then
    warn "no PostgreSQL cluster found under /etc/postgresql"
    return 1
  fi
  port="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $3 }')"
  port="${CI_PG_PORT:-${port:-5432}}"
  # Loopback only, whatever the packaged default says (conf.d is included last, so it wins).
  local listen_conf="/etc/postgresql/$version/main/conf.d/zz-ci-listen.conf" changed=0
  if ! grep -qx "listen_addresses = '127.0.0.1'" "$listen_conf" 2>/dev/null; then
    printf "listen_addresses = '127.0.0.1'\n" >"$listen_conf" || return 1
    changed=1
  fi
  if pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $4 }' | grep -q online; then
    if [ "$changed" -eq 1 ]; then
      log "PostgreSQL $version/main already running; restarting to listen on 127.0.0.1 only"
      pg_ctlcluster "$version" main restart >&2 || return 1
    else
      log "PostgreSQL $version/main already running"
    fi
  else
    log "starting PostgreSQL $version/main on 127.0.0.1:$port"
    pg_ctlcluster "$version" main start >&2 || return 1
  fi
  if ! wait_until pg_isready -q -h 127.0.0.1 -p "$port"; then
    warn "PostgreSQL did not accept connections within ${WAIT_SECONDS}s"
    return 1
  fi
  # Role and database, idempotent.
  runuser -u postgres -- psql -q -p "$port" -v ON_ERROR_STOP=1 >&2 <<SQL || return 1
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${PG_USER}') THEN
    CREATE ROLE ${PG_USER} LOGIN PASSWORD '${PG_PASSWORD}';
  ELSE
    ALTER ROLE ${PG_USER} LOGIN PASSWORD '${PG_PASSWORD}';
  END IF;
END
\$\$;
SQL
  if ! runuser -u postgres -- psql -p "$port" -tAc "SELECT 1 FROM pg_database WHERE datname = '${PG_DB}'" | grep -q 1; then
    runuser -u postgres -- createdb -p "$port" -O "$PG_USER" "$PG_DB" >&2 || return 1
  fi
  if ! wait_until env PGPASSWORD="$PG_PASSWORD" psql -h 127.0.0.1 -p "$port" -U "$PG_USER" -d "$PG_DB" -tAc 'SELECT 1'; then
    warn "cannot log in to PostgreSQL as ${PG_USER} over 127.0.0.1"
    return 1
  fi
  log "PostgreSQL ready"
  printf 'export TEST_POSTGRES_URL=%s\n' "postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/${PG_DB}"
}

start_redis() {
  if ! command -v redis-server >/dev/null 2>&1; then
    apt_install redis-server || return 1
  fi
  if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
    log "Redis already running on 127.0.0.1:$REDIS_PORT"
  else
    log "starting Redis on 127.0.0.1:$REDIS_PORT"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save '' --appendonly no >&2 || return 1
  fi
  if ! wait_until sh -c "redis-cli -h 127.0.0.1 -p '$REDIS_PORT' ping | grep -q PONG"; then
    warn "Redis did not answer PING within ${WAIT_SECONDS}s"
    return 1
  fi
  log "Redis ready"
  printf 'export TEST_REDIS_URL=%s\n' "redis://127.0.0.1:${REDIS_PORT}"
}

failed=0
start_postgres || { warn "PostgreSQL did not start: the PostgreSQL store/lease suites cannot run"; failed=1; }
start_redis || { warn "Redis did not start: the Redis store/lease suites cannot run"; failed=1; }
exit "$failed"
