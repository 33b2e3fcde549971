#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
# Soak test of the workbench: scripted random use of a real window for SECONDS (default 3600) under Xvfb,
# with a JSON report (actions, state checks, RSS curve) in OUT (default build/soak-report.json).
#   scripts/soak.sh [SECONDS [OUT [BUILD_DIR [SEED]]]]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=${1:-3600}
out=${2:-"$root/build/soak-report.json"}
build=${3:-"$root/build"}
seed=${4:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache" QT_QPA_PLATFORM=xcb \
  xvfb-run -a -s "-screen 0 1600x1000x24" \
  "$build/tests/soak_workbench" --seconds "$seconds" --seed "$seed" --max-length 2048 --report "$out"
