#!/usr/bin/env bash
# A fresh clone sets itself up: `git clone` this repository's HEAD into an empty temp folder (no
# ../shared beside it, no venv), run the install steps of the README's two commands (`make install`
# for `make run`, `make install-dev` for `make test`), check the installed command answers, then
# collect the whole test suite while an audit hook records every file opened: any file outside the
# clone, its venv and the system's own Python and libraries fails the check.
set -euo pipefail
src=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
work=$(mktemp -d "${TMPDIR:-/tmp}/eventlens-fresh-XXXXXX")
trap 'rm -rf "$work"' EXIT
git clone --quiet "$src" "$work/clone"
cd "$work/clone"
echo "fresh clone in $work/clone"
make --no-print-directory install >/dev/null
.venv/bin/eventlens --help >/dev/null
make --no-print-directory install-dev >/dev/null
.venv/bin/python scripts/collect_inside.py "$work/clone"
echo "fresh clone: installed, and the suite collected without reading outside the clone"
