# shellcheck shell=bash
# Sourced: loopback-only fixture servers for ADD <url> and git sources.
# dockerd fetches http and git sources itself, from the host's network
# namespace, so 127.0.0.1 reaches a server started here.
#   servers_start   serves $DFOPT_E2E_DIR/www on 127.0.0.1:$DFOPT_E2E_HTTP_PORT,
#                   including a dumb-HTTP git repository at /repo.git
#   servers_stop    stops it (safe to call any time)

DFOPT_E2E_HTTP_PORT=${DFOPT_E2E_HTTP_PORT:-38181}
DFOPT_E2E_WWW=$DFOPT_E2E_DIR/www
export DFOPT_E2E_HTTP_PORT DFOPT_E2E_WWW

servers_start() {
  rm -rf "$DFOPT_E2E_WWW"
  mkdir -p "$DFOPT_E2E_WWW"
  printf 'served over http\n' >"$DFOPT_E2E_WWW/hello.txt"
  # A git repository with a tag, published for git's dumb HTTP protocol.
  local work=$DFOPT_E2E_DIR/git-work
  rm -rf "$work"
  git init -q -b main "$work"
  printf 'from git\n' >"$work/README.txt"
  mkdir -p "$work/sub"
  printf 'nested\n' >"$work/sub/file.txt"
  git -C "$work" add -A
  git -C "$work" -c user.name=dfopt -c user.email=dfopt@localhost commit -q -m fixture
  git -C "$work" tag v1
  git clone -q --bare "$work" "$DFOPT_E2E_WWW/repo.git"
  git -C "$DFOPT_E2E_WWW/repo.git" update-server-info
  python3 -m http.server "$DFOPT_E2E_HTTP_PORT" --bind 127.0.0.1 --directory "$DFOPT_E2E_WWW" \
    >"$DFOPT_E2E_DIR/http.log" 2>&1 &
  echo $! >"$DFOPT_E2E_DIR/http.pid"
  local i
  for i in $(seq 50); do
    python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
      "http://127.0.0.1:$DFOPT_E2E_HTTP_PORT/hello.txt" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  e2e_die "fixture http server did not start (log: $DFOPT_E2E_DIR/http.log)"
}

servers_stop() {
  local pidfile=$DFOPT_E2E_DIR/http.pid
  [[ -f $pidfile ]] || return 0
  kill "$(cat "$pidfile")" 2>/dev/null || true
  rm -f "$pidfile"
}
