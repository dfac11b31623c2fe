#!/usr/bin/env bash
# BurdenWatch: install the tools `burdenwatch report` needs to write PDFs.
#
# Usage: deploy/install-report-tools.sh        (as root)
#
# Installs, from Debian's apt repositories, only the packages that are
# missing:
#   chromium        headless browser that prints the HTML report to PDF
#   fonts-noto-cjk  Noto Serif/Sans CJK SC, the Chinese fonts of the report
#   fonts-arphic-uming, fonts-wqy-zenhei
#                   TrueType CJK fonts that Chromium embeds as real fonts in
#                   the PDF (Noto CJK, an OpenType/CFF collection, ends up as
#                   unnamed Type 3 glyphs)
#   poppler-utils   pdftotext / pdftoppm, used by tests and for review
# Runs `apt-get update` first when something is to be installed. Idempotent:
# when everything is present it changes nothing and exits 0.
set -euo pipefail

PACKAGES=(chromium fonts-noto-cjk fonts-arphic-uming fonts-wqy-zenhei poppler-utils)

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for p in "${PACKAGES[@]}"; do
	if installed "$p"; then
		echo "install-report-tools: $p already installed"
	else
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	echo "install-report-tools: nothing to do"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-report-tools: need root to install: ${missing[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-report-tools: installing ${missing[*]}"
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"

# Make the new fonts visible to Chromium right away.
if command -v fc-cache >/dev/null 2>&1; then
	fc-cache -f >/dev/null
fi

for p in "${missing[@]}"; do
	if ! installed "$p"; then
		echo "install-report-tools: $p failed to install" >&2
		exit 1
	fi
done
echo "install-report-tools: done"
