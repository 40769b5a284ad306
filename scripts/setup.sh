#!/usr/bin/env bash
# Prepare everything the hotline needs, idempotently:
#   - Python 3.10 (python3.10 on PATH, else pyenv, else a clear error),
#   - a virtual environment outside the clone, keyed by the lock's hash,
#   - OS packages: redis-server, nginx (in front of the Rasa replicas `make run` starts;
#     without it `make run` starts one replica), and chromium with `--with-browser`.
# Prints the path of the environment's python on the last line of stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WITH_BROWSER=0
[[ "${1:-}" == "--with-browser" ]] && WITH_BROWSER=1

say() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

find_python310() {
  if command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys' >/dev/null 2>&1; then
    command -v python3.10; return
  fi
  if command -v pyenv >/dev/null 2>&1; then
    local prefix
    prefix="$(pyenv prefix 3.10 2>/dev/null || true)"
    [[ -z "$prefix" ]] && prefix="$(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.|$)' | tail -n1 | xargs -r pyenv prefix 2>/dev/null || true)"
    if [[ -n "$prefix" && -x "$prefix/bin/python3.10" ]]; then
      echo "$prefix/bin/python3.10"; return
    fi
  fi
  cat >&2 <<'MSG'
[setup] error: Python 3.10 is required (Rasa 3.6 supports Python 3.8-3.10) and was not found.
  Install it with one of:
    pyenv install 3.10.13                      # then run this command again
    sudo apt-get install -y python3.10 python3.10-venv   # Debian/Ubuntu with 3.10 available
    brew install python@3.10                   # macOS
MSG
  exit 1
}

apt_install() {
  # Install Debian packages when we can (root or passwordless sudo), else say how.
  local packages=("$@")
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      die "missing OS packages: ${packages[*]}. Install them with: sudo apt-get install -y ${packages[*]}"
    fi
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing OS packages: ${packages[*]} (no apt-get here; install them with your package manager)"
  say "installing OS packages: ${packages[*]}"
  local stamp=/var/lib/apt/periodic/hotline-update-stamp
  if [[ ! -f $stamp ]] || [[ -z $(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null) ]]; then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq >&2 && $sudo mkdir -p "$(dirname $stamp)" && $sudo touch $stamp
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >&2
}

can_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  [[ $(id -u) -eq 0 ]] || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }
}

ensure_os_packages() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || [[ -n "${REDIS_URL:-}" && "${HOTLINE_SKIP_REDIS_INSTALL:-0}" == 1 ]] || missing+=(redis-server)
  # nginx in front of the Rasa replicas (make run, tests/test_replicas.py, test_scaleout.py).
  # `make run` falls back to one replica without it, so only the tests insist on it.
  if ! command -v nginx >/dev/null 2>&1 && [[ ! -x /usr/sbin/nginx ]]; then
    if [[ $WITH_BROWSER -eq 1 ]] || can_install; then missing+=(nginx); else
      say "nginx is not installed: make run starts one Rasa replica (sudo apt-get install -y nginx for one per core)"
    fi
  fi
  if [[ $WITH_BROWSER -eq 1 ]]; then
    command -v chromium >/dev/null 2>&1 || [[ -x /usr/bin/chromium ]] || missing+=(chromium)
    # CJK glyphs for the screenshots of the Chinese pages
    fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || missing+=(fonts-wqy-microhei)
  fi
  if [[ ${#missing[@]} -gt 0 ]]; then apt_install "${missing[@]}"; fi
}

ensure_venv() {
  local python="$1"
  local cache="${HOTLINE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hotline}"
  local key
  key="$( (cat "$ROOT/requirements.lock"; "$python" -c 'import sys; print(sys.version)') | sha256sum | cut -c1-16)"
  local venv="$cache/venv-$key"
  if [[ ! -f "$venv/.complete" ]]; then
    local log="$ROOT/var/log/setup.log"
    mkdir -p "$(dirname "$log")"
    say "creating the Python environment in $venv (first run: a few minutes; log: var/log/setup.log)"
    rm -rf "$venv"
    mkdir -p "$cache"
    # pip's own output (and its warnings about the package index) goes to the log.
    if ! { "$python" -m venv "$venv" \
           && "$venv/bin/python" -m pip install --quiet --upgrade "pip==24.0" \
           && "$venv/bin/python" -m pip install --quiet --no-deps -r "$ROOT/requirements.lock" \
           && "$venv/bin/python" -m pip check; } >>"$log" 2>&1; then
      tail -n 20 "$log" >&2
      die "installing the Python packages failed; see var/log/setup.log"
    fi
    touch "$venv/.complete"
  fi
  ln -sfn "$venv" "$ROOT/.venv"
  echo "$venv/bin/python"
}

PYTHON310="$(find_python310)"
ensure_os_packages
ensure_venv "$PYTHON310"
