#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
#
# Regenerates the committed training corpus resources/corpus/ from a Debian package.
#
# Source: the King James Version of the Bible (1611; public domain) as shipped by Debian's
# bible-kjv-text package, read through the package's own `bible` retrieval program (package bible-kjv).
# Extraction: `bible -l0 Gen1:1-Rev22:21` prints every chapter as a "Book N" header followed by
# "  V text" verse lines; each chapter becomes one document = one line of plain prose (verse numbers
# dropped, verses joined by one space). 1189 chapters, ~4 MB of text.
# Held-out split: every 20th chapter (chapter index 19, 39, ... in canonical order) = 5 % of the
# documents, spread over all books so that held-out text has the training distribution.
# The two splits are committed gzip-compressed (the trainer reads plain .txt; callers gunzip first).
#
# Not needed by the build or the tests (the extracted files are committed), so the package is not in
# scripts/packages.txt. Run by hand (root or sudo) to regenerate: bash scripts/make_corpus.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$here/resources/corpus"
pkg=bible-kjv-text
if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends "$pkg"
fi
version=$(dpkg-query -W -f='${Version}' "$pkg")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
bible -l0 "Gen1:1-Rev22:21" > "$tmp/raw.txt"
# Chapter headers are lines without leading spaces; verse lines start with spaces and a number.
awk '
  /^[^ ].* [0-9]+$/ { if (doc != "") print doc; doc = ""; next }
  /^ +[0-9]+ / { sub(/^ +[0-9]+ /, ""); doc = (doc == "" ? $0 : doc " " $0); next }
  END { if (doc != "") print doc }
' "$tmp/raw.txt" > "$tmp/all.txt"
awk 'NR % 20 != 0' "$tmp/all.txt" > "$tmp/kjv-train.txt"
awk 'NR % 20 == 0' "$tmp/all.txt" > "$tmp/kjv-heldout.txt"
mkdir -p "$out"
for f in kjv-train kjv-heldout; do gzip -9n < "$tmp/$f.txt" > "$out/$f.txt.gz"; done
docs=$(wc -l < "$tmp/all.txt"); tr=$(wc -l < "$tmp/kjv-train.txt"); ho=$(wc -l < "$tmp/kjv-heldout.txt")
trb=$(wc -c < "$tmp/kjv-train.txt"); hob=$(wc -c < "$tmp/kjv-heldout.txt")
cat > "$out/SOURCE.md" <<MD
<!-- SPDX-License-Identifier: Apache-2.0 -->
<!-- SPDX-FileCopyrightText: 2026 EntroScope developers -->
# Corpus of the demo models

| | |
| --- | --- |
| text | The King James Version of the Bible (1611), English prose |
| Debian package | \`$pkg\` $version (data read with the \`bible\` program of package \`bible-kjv\`) |
| licence | the KJV text is in the public domain (translation of 1611; see /usr/share/doc/$pkg/copyright: "The copyright for the King James Version text of the Bible is expired"); the retrieval software is GPL-2+ and is not redistributed here |
| extraction | \`scripts/make_corpus.sh\`: \`bible -l0 Gen1:1-Rev22:21\`, one chapter per line, verse numbers dropped |
| documents | $docs chapters |
| training split | \`kjv-train.txt.gz\`: $tr chapters, $trb bytes of text |
| held-out split | \`kjv-heldout.txt.gz\`: $ho chapters (every 20th chapter), $hob bytes of text; never seen by the tokenizer or the model during training |

Both files are UTF-8 (ASCII in practice), one document per line, gzip-compressed with \`gzip -9n\`
(deterministic). The trainer reads plain text: \`gunzip -k\` (or \`zcat\` to a file) first;
\`scripts/make_demo_models.sh\` does that.
MD
echo "make_corpus: $docs chapters -> $out (train $trb bytes, held-out $hob bytes)" >&2
