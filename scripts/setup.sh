#!/usr/bin/env bash
# Sets up everything the project needs on a fresh Debian machine (run as root):
# system packages (Pango for WeasyPrint, HarfBuzz subsetter, CJK fonts, poppler-utils for
# pdftotext/pdffonts, LibreOffice for the DOCX conversion test) and .venv in the repo root.
# Idempotent: a second run installs nothing new.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  libpango-1.0-0 libpangoft2-1.0-0   # WeasyPrint text layout
  libharfbuzz-subset0                # fast font subsetting (else fontTools, ~17x slower)
  fontconfig fonts-noto-cjk          # Noto Serif/Sans CJK SC for the PDF
  fonts-arphic-ukai                  # 楷体 stand-in (AR PL UKai)
  fonts-liberation2                  # Times New Roman stand-in (Liberation Serif): digits, Latin
  poppler-utils                      # pdftotext, pdffonts (tests)
  libreoffice-writer-nogui           # headless DOCX conversion (tests)
  python3-uno                        # drives LibreOffice to update the DOCX fields (tests/lo_update_toc.py)
  chromium chromium-driver           # the preview test drives a real headless browser (Selenium)
  firefox-esr                        # the web workspace's browser test runs in Firefox too (Marionette)
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "需要 root 权限安装系统软件包：${missing[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Open stand-ins for the official font names the DOCX uses (仿宋_GB2312 → Noto Serif CJK SC, …), so
# LibreOffice and WeasyPrint never fall back to a Latin or Japanese face.
FONT_CONF=scripts/fontconfig/64-juesuan-official-fonts.conf
if ! cmp -s "$FONT_CONF" /etc/fonts/conf.d/64-juesuan-official-fonts.conf; then
  if [ "$(id -u)" != 0 ]; then
    echo "需要 root 权限安装字体替代规则：$FONT_CONF → /etc/fonts/conf.d/" >&2
    exit 1
  fi
  install -m 644 "$FONT_CONF" /etc/fonts/conf.d/64-juesuan-official-fonts.conf
  fc-cache -f >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[test,cluster]'     # cluster: Dask, for batch --cluster and its tests
  rm -f .venv/.installed-*
  touch "$stamp"
fi
# The package's compiled modules, written now: where PYTHONDONTWRITEBYTECODE is set (as on some
# build machines) Python would otherwise compile every module again at each juesuan start.
.venv/bin/python -m compileall -q generator
