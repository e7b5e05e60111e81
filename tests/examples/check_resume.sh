#!/usr/bin/env bash
# The main job stopped after epoch 1 and resumed from its checkpoint must print, for epochs 2
# and 3, exactly what the uninterrupted run prints.
#   usage: check_resume.sh <fashion_mnist executable> <scratch directory>
set -euo pipefail
exe=$1 dir=$2
rm -rf "$dir"
flags=(--limit 3000 --epochs 3 --hidden 64 --checkpoint-every 1)
"$exe" "${flags[@]}" --output-dir "$dir/whole" > "$dir.whole.log"
"$exe" "${flags[@]}" --output-dir "$dir/parts" --stop-after 1 > "$dir.first.log"
"$exe" "${flags[@]}" --output-dir "$dir/parts" --resume "$dir/parts/checkpoint.npz" > "$dir.rest.log"
# Per-epoch lines without their timings.
epochs() { grep -E '^epoch [23]:' "$1" | sed 's/%, .*/%/'; }
if ! diff <(epochs "$dir.whole.log") <(epochs "$dir.rest.log"); then
    echo "resumed run differs from the uninterrupted one" >&2
    exit 1
fi
grep -q 'resumed from .* after epoch 1' "$dir.rest.log"
echo "resumed run matches the uninterrupted one:"
epochs "$dir.rest.log"
