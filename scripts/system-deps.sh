#!/usr/bin/env bash
# System libraries the portal needs: pango (weasyprint), Noto fonts (Arabic letters), gettext
# (compiled translations), poppler (PDF checks in tests), chromium (browser tests).
# Installs what is missing when we are root on Debian; otherwise says what to install.
set -euo pipefail
need=()
ldconfig -p 2>/dev/null | grep -q libpango-1.0 || need+=(libpango-1.0-0)
ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || need+=(libpangoft2-1.0-0)
fc-list 2>/dev/null | grep -qi "Noto Naskh Arabic" || need+=(fonts-noto-core)
command -v msgfmt >/dev/null || need+=(gettext)
command -v pdftotext >/dev/null || need+=(poppler-utils)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "Missing system packages: ${need[*]}"
  echo "Install them with: sudo apt-get install ${need[*]}"
  # chromium only matters for the browser tests, which skip without it.
  for pkg in "${need[@]}"; do [ "$pkg" = chromium ] || exit 1; done
fi
