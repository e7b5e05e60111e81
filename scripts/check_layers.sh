#!/usr/bin/env bash
# Checks that includes point one way (docs/architecture.md, "Layers"):
#   autograd/runtime <- autograd <- ops <- nn <- nn/export <- xgrad.hpp, examples, bench, tests
# A file may include headers of its own layer or of layers to its left, never to its right.
# Prints each include that runs back up and exits 1 if there is one.
#   usage: scripts/check_layers.sh [root, default: the repository]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"

layer() {  # the layer of a path inside the repository
    case $1 in
        autograd/runtime/*) echo 0 ;;
        autograd/*) echo 1 ;;
        ops/*) echo 2 ;;
        nn/export/*) echo 4 ;;
        nn/*) echo 3 ;;
        *) echo 5 ;;
    esac
}
names=(runtime autograd ops nn export user)

bad=0
checked=0
while IFS= read -r file; do
    from=$(layer "$file")
    while IFS=: read -r line target; do
        [ -n "$target" ] || continue
        checked=$((checked + 1))
        to=$(layer "$target")
        if [ "$to" -gt "$from" ]; then
            echo "$file:$line: includes \"$target\" (${names[$to]}), above its own layer (${names[$from]})"
            bad=1
        fi
    done < <(grep -n -o '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]\(\(autograd\|ops\|nn\)/[^">]*\|xgrad\.hpp\)' "$file" |
             sed 's/:[[:space:]]*#[[:space:]]*include[[:space:]]*["<]/:/')
done < <(find autograd ops nn -name '*.hpp' -o -name '*.cpp' | sort)

if [ "$bad" -ne 0 ]; then
    echo "check_layers: includes must point one way (docs/architecture.md, Layers)" >&2
    exit 1
fi
echo "check_layers: $checked project includes in autograd/, ops/ and nn/, none runs back up"
