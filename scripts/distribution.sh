#!/usr/bin/env bash
# Runs CNCF Distribution 2.8.2 (Debian package docker-registry) on 127.0.0.1 as a peer registry
# for the conformance suite (docs/deviations.md#cncf-distribution-282), with deletes enabled and its store in a directory.
#
#   scripts/distribution.sh start DIR [PORT]   start in the background; prints the URL
#   scripts/distribution.sh stop DIR           stop it
#   scripts/distribution.sh gc DIR [--delete-untagged]
#                                              offline GC: stop, garbage-collect, start again on the
#                                              same port (use as: touchstone check --gc-command …)
#   scripts/distribution.sh restart DIR        stop, then start again on the same store and port
#                                              (use as: touchstone check --restart-command …)
#
# DISTRIBUTION_EXTRA_CONFIG=FILE at start: YAML sections appended to the configuration (e.g. an
# `auth:` section), kept in DIR for later restarts. Its keys must not repeat log, storage or http.
set -euo pipefail

command -v docker-registry >/dev/null || { echo "missing docker-registry: install it with: apt-get install -y docker-registry" >&2; exit 127; }

action=${1:?usage: distribution.sh start|stop|gc|restart DIR [PORT|--delete-untagged]}
dir=${2:?usage: distribution.sh start|stop|gc|restart DIR}
mkdir -p "$dir/storage"
dir=$(cd "$dir" && pwd)

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# One HTTP secret per store, kept across restarts: without it Distribution makes a new one at each
# start, so the restart of an offline collection would void every upload session's signed state.
secret() {
  [ -f "$dir/secret" ] || od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$dir/secret"
  cat "$dir/secret"
}

write_config() {
  cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$1
  secret: $(secret)
YAML
  if [ -f "$dir/extra.yml" ]; then cat "$dir/extra.yml" >>"$dir/config.yml"; fi
}

start() {
  local port=$1
  write_config "$port"
  echo "$port" >"$dir/port"
  docker-registry serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do
    # Ours answering (200, or 401 with authentication), not some other server on the port: the
    # process must still be alive.
    if kill -0 "$pid" 2>/dev/null && [[ $(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" 2>/dev/null) =~ ^(200|401)$ ]]; then
      echo "$pid" >"$dir/pid"
      echo "http://127.0.0.1:$port"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  echo "docker-registry did not start; log:" >&2
  cat "$dir/registry.log" >&2
  return 1
}

stop() {
  [ -f "$dir/pid" ] || return 0
  local pid
  pid=$(cat "$dir/pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/pid"
}

case "$action" in
  start)
    if [ -n "${DISTRIBUTION_EXTRA_CONFIG:-}" ]; then cp "$DISTRIBUTION_EXTRA_CONFIG" "$dir/extra.yml"; fi
    start "${3:-$(free_port)}"
    ;;
  stop) stop ;;
  gc)
    port=$(cat "$dir/port")
    stop
    status=0
    docker-registry garbage-collect "$dir/config.yml" ${3:+"$3"} >"$dir/gc.log" 2>&1 || status=$?
    start "$port" >/dev/null
    # A store with no blobs yet makes garbage-collect fail with "Path not found": nothing to collect.
    if [ "$status" -ne 0 ] && ! grep -q 'Path not found' "$dir/gc.log"; then
      cat "$dir/gc.log" >&2
      exit "$status"
    fi
    ;;
  restart)
    port=$(cat "$dir/port")
    stop
    start "$port" >/dev/null
    ;;
  *) echo "unknown action $action" >&2; exit 2 ;;
esac
