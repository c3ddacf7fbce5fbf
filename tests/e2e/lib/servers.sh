# shellcheck shell=bash
# Sourced: loopback-only fixture servers for ADD <url> and git sources.
# dockerd fetches http and git sources itself, from its own network
# namespace, so the server runs in the daemon's namespace (netns.sh) and
# 127.0.0.1 reaches it from the daemon.
#   servers_start   serves $DFOPT_E2E_DIR/www on 127.0.0.1:$DFOPT_E2E_HTTP_PORT,
#                   including a dumb-HTTP git repository at /repo.git and the
#                   remote build contexts below
#   servers_context_fixtures
#                   (re)makes only the remote build contexts, for a server
#                   that is already running: /context.git, /context.tar.gz and
#                   /Dockerfile.remote, made from the remote-* cases
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
  servers_context_fixtures
  netns_exec python3 -m http.server "$DFOPT_E2E_HTTP_PORT" --bind 127.0.0.1 --directory "$DFOPT_E2E_WWW" \
    >"$DFOPT_E2E_DIR/http.log" 2>&1 &
  echo $! >"$DFOPT_E2E_DIR/http.pid"
  local i
  for i in $(seq 50); do
    netns_exec python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
      "http://127.0.0.1:$DFOPT_E2E_HTTP_PORT/hello.txt" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  e2e_die "fixture http server did not start (log: $DFOPT_E2E_DIR/http.log)"
}

# Remote build contexts (`docker build <url>`), each made from the Dockerfile and
# context/ of an e2e case, so the case dir shows what the remote holds:
#   /context.git       branch master (BuildKit v0.8's default ref): remote-git at
#                      the root, remote-git-subdir below app/
#   /context.tar.gz    remote-tarball
#   /Dockerfile.remote remote-dockerfile's Dockerfile alone
servers_context_fixtures() {
  local cases=$DFOPT_E2E_SRC/cases work=$DFOPT_E2E_DIR/context-work
  rm -rf "$work" "$DFOPT_E2E_WWW/context.git"
  mkdir -p "$work/git/app" "$work/tar"
  cp "$cases/remote-git/Dockerfile" "$work/git/"
  cp -R "$cases/remote-git/context/." "$work/git/"
  cp "$cases/remote-git-subdir/Dockerfile" "$work/git/app/"
  cp -R "$cases/remote-git-subdir/context/." "$work/git/app/"
  git init -q -b master "$work/git"
  git -C "$work/git" add -A
  git -C "$work/git" -c user.name=dfopt -c user.email=dfopt@localhost commit -q -m contexts
  git clone -q --bare "$work/git" "$DFOPT_E2E_WWW/context.git"
  git -C "$DFOPT_E2E_WWW/context.git" update-server-info
  cp "$cases/remote-tarball/Dockerfile" "$work/tar/"
  cp -R "$cases/remote-tarball/context/." "$work/tar/"
  tar -czf "$DFOPT_E2E_WWW/context.tar.gz" -C "$work/tar" .
  cp "$cases/remote-dockerfile/Dockerfile" "$DFOPT_E2E_WWW/Dockerfile.remote"
  rm -rf "$work"
}

servers_stop() {
  local pidfile=$DFOPT_E2E_DIR/http.pid
  [[ -f $pidfile ]] || return 0
  kill "$(cat "$pidfile")" 2>/dev/null || true
  rm -f "$pidfile"
}
