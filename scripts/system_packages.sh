#!/usr/bin/env bash
# The Debian packages `make test` and `make bench` need beyond Python: installed with apt-get
# when missing and running as root; otherwise the one command to run is printed and we stop.
#
#   scripts/system_packages.sh          install what is missing (root), or say what to run
#   scripts/system_packages.sh --check  only list what is missing (exit 1 when something is)
#
# Fast when everything is there: `command -v` for packages that bring a command, one
# `dpkg-query` for the others, and `apt-get update` only when something must be installed.
# Uses only bash builtins besides dpkg-query and apt-get (its test runs it on a stub PATH).
set -euo pipefail

# package:command (the command proves the package), or a bare package checked with dpkg.
PACKAGES=(
  chromium:chromium                # browser tests (tests/e2e), Debian's build, never `playwright install`
  poppler-utils:pdftotext          # PDFs read back in tests
  gettext:msgfmt                   # compilemessages
  gettext-base:envsubst            # deploy/nginx/start.sh renders the nginx config
  fontconfig:fc-list               # the PDF font test proves its empty fontconfig lists nothing
  softhsm2:softhsm2-util           # PKCS#11 signer tests
  libnss3-tools:certutil           # Chromium's certificate store in browser tests
  nginx                            # nginx -t of deploy/nginx, and the benchmark's load balancer
  libpango-1.0-0                   # WeasyPrint
  libpangoft2-1.0-0
  libharfbuzz-subset0
  libmagic1                        # upload type sniffing
)

mode=install
case "${1:-}" in
  --check) mode=check ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

missing=()
by_dpkg=()
for entry in "${PACKAGES[@]}"; do
  package=${entry%%:*}
  command=${entry#*:}
  if [ "$command" != "$entry" ]; then
    command -v "$command" >/dev/null 2>&1 || missing+=("$package")
  else
    by_dpkg+=("$package")
  fi
done
if [ ${#by_dpkg[@]} -gt 0 ]; then
  installed=" $(dpkg-query -W -f='${Package}=${db:Status-Status} ' "${by_dpkg[@]}" 2>/dev/null || true) "
  for package in "${by_dpkg[@]}"; do
    [[ $installed == *" $package=installed "* ]] || missing+=("$package")
  done
fi

[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$mode" = check ]; then
  echo "${missing[*]}"
  exit 1
fi
# SYSTEM_PACKAGES_UID lets the test exercise the non-root answer while running as root.
if [ "${SYSTEM_PACKAGES_UID:-$EUID}" -ne 0 ]; then
  echo "Thiếu gói hệ thống / missing system packages: ${missing[*]}" >&2
  echo "Chạy / run:  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "Cài gói hệ thống / installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
