# bench/lib.sh: shell helpers shared by bench/run and bench/pg (sourced, not run).

log() { printf '[%s] %s\n' "${BENCH_NAME:-bench}" "$*" >&2; }

# need_tools TOOL...: installs the Debian packages of the tools that are missing.
need_tools() {
  local missing=() pkgs=() tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("$tool")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  log "installing ${missing[*]}"
  for tool in "${missing[@]}"; do
    case $tool in taskset) pkgs+=(util-linux) ;; *) pkgs+=("$tool") ;; esac
  done
  apt-get install -y "${pkgs[@]}" >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y "${pkgs[@]}" >/dev/null; }
}

now_ns() { date +%s%N; }
ms_since() { echo $((($(now_ns) - $1) / 1000000)); }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Polls until the URL answers; prints nothing. Fails after 10 s.
wait_for() {
  for _ in $(seq 1 2000); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.005
  done
  log "no answer from $1"
  return 1
}

# free_ports N: prints N distinct loopback TCP ports that nothing listens on right now.
free_ports() {
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
    print(s.getsockname()[1])
PY
  else
    local port=$((20000 + RANDOM % 20000)) found=0
    while [ "$found" -lt "$1" ]; do
      port=$((port + 1))
      if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "$port"
        found=$((found + 1))
      fi
    done
  fi
}
