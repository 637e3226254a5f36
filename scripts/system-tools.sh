#!/usr/bin/env bash
# Make sure the system tools the tests, deploy and the demo use are installed, before anything needs them.
# Usage: scripts/system-tools.sh [TOOL ...]   (default: every tool `make test` uses)
# As root with apt-get, missing tools are installed from Debian's packages; otherwise this stops at once with one
# message naming the packages to install.
set -euo pipefail

declare -A PACKAGE=([curl]=curl [rsync]=rsync [ssh]=openssh-client [ssh-keygen]=openssh-client [sshd]=openssh-server
                   [initdb]=postgresql [chromium]=chromium [chromedriver]=chromium-driver
                   [node]=nodejs [npm]=npm [groovy]=groovy [cmake]=cmake [g++]=g++)
tools=("$@")
[ "${#tools[@]}" -gt 0 ] || tools=(curl rsync ssh ssh-keygen sshd initdb chromium chromedriver groovy)

# Debian keeps PostgreSQL's server programs off PATH, in /usr/lib/postgresql/<version>/bin.
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || compgen -G "/usr/lib/postgresql/*/bin/$1" >/dev/null; }

missing=()
for tool in "${tools[@]}"; do
  have "$tool" || missing+=("${PACKAGE[$tool]:?unknown tool $tool}")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "missing system packages: ${packages[*]} — install them (e.g. sudo apt-get install -y ${packages[*]}) and run again" >&2
  exit 1
fi
echo "installing system packages: ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
for tool in "${tools[@]}"; do
  have "$tool" || { echo "$tool is still missing after installing ${packages[*]}" >&2; exit 1; }
done
