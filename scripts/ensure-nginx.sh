#!/usr/bin/env bash
# Makes sure an nginx binary is there for the edge tests (test/edge-nginx.test.ts), which
# put a real nginx in front of the sample shop. Silent when nginx is found. Otherwise, as
# root with apt-get (a fresh CI machine), installs Debian's nginx and says so in one line;
# anything else gets a clear message and a non-zero exit, before the tests run.
# NGINX=/path/to/nginx names a binary explicitly; test/support/nginx.ts honours it too.
set -euo pipefail

# nginx lives in sbin, which a non-root PATH often lacks.
find_nginx() {
  if [ -n "${NGINX:-}" ]; then
    [ -x "$NGINX" ] && echo "$NGINX"
    return
  fi
  PATH="$PATH:/usr/sbin:/usr/local/sbin:/sbin" command -v nginx
}

if find_nginx >/dev/null; then exit 0; fi

if [ -n "${NGINX:-}" ]; then
  echo "ensure-nginx: NGINX=$NGINX is not an executable file" >&2
  exit 1
fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-nginx: nginx not found and cannot be installed here (needs root and apt-get);" \
    "install nginx (e.g. apt-get install nginx) or set NGINX=/path/to/nginx" >&2
  exit 1
fi

echo "ensure-nginx: nginx not found; installing Debian's nginx for the edge tests"
export DEBIAN_FRONTEND=noninteractive
# Installing the package would also start a system nginx on port 80; the tests run their
# own. A policy-rc.d that says "no" keeps services from starting, and goes afterwards.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  trap 'rm -f "$policy"' EXIT
fi
# apt's own output only matters when it fails.
log="$(mktemp)"
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends nginx; } >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "ensure-nginx: apt-get could not install nginx (output above)" >&2
  exit 1
fi
rm -f "$log"
if ! find_nginx >/dev/null; then
  echo "ensure-nginx: nginx was installed but no nginx binary is on PATH or in /usr/sbin" >&2
  exit 1
fi
