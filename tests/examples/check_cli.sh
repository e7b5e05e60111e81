#!/usr/bin/env bash
# The main job's command line, table-driven: every bad invocation exits non-zero with exactly one
# line on stderr naming the flag or the file, never an abort (134) or another signal; every good
# one exits 0.   usage: check_cli.sh <fashion_mnist binary> <scratch dir>
set -uo pipefail
bin=$1
work=$2
rm -rf "$work" && mkdir -p "$work"
real=/usr/share/datasets/fashion-mnist
quick=(--limit 300 --epochs 1 --hidden 16)  # a good run in about a second
cases=0
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# expect_error <substring> <args...>: non-zero, below 128, one stderr line containing <substring>
expect_error() {
    local want=$1
    shift
    cases=$((cases + 1))
    local out=$work/run.out err=$work/run.err rc
    "$bin" "$@" > "$out" 2> "$err"
    rc=$?
    local lines
    lines=$(wc -l < "$err")
    if [ "$rc" -eq 0 ] || [ "$rc" -ge 128 ]; then
        fail "[$*] exited $rc, expected an error naming '$want'"
    elif [ "$lines" -ne 1 ]; then
        fail "[$*] wrote $lines lines on stderr, expected one: $(head -c 600 "$err")"
    elif ! grep -qF -- "$want" "$err"; then
        fail "[$*] said '$(cat "$err")', expected it to name '$want'"
    fi
}

# expect_ok <args...>: exit 0
expect_ok() {
    cases=$((cases + 1))
    "$bin" "$@" > "$work/run.out" 2> "$work/run.err" || fail "[$*] exited $?: $(head -c 600 "$work/run.err")"
}

# 1. Every numeric flag with NaN, infinities, negative, zero, huge, overflowing and non-numeric
#    values. A row is "flag value ok|error".
while read -r flag value verdict; do
    [ -z "$flag" ] && continue
    if [ "$verdict" = ok ]; then
        # the quick run, with the flag under test in place of its setting there (a flag is given once)
        args=()
        set -- "${quick[@]}" --output-dir "$work/ok"
        while [ $# -gt 0 ]; do
            [ "$1" != "$flag" ] && args+=("$1" "$2")
            shift 2
        done
        expect_ok "${args[@]}" "$flag" "$value"
    else
        expect_error "$flag" "$flag" "$value"
    fi
done <<'TABLE'
--epochs nan error
--epochs inf error
--epochs -1 error
--epochs 0 error
--epochs 1e30 error
--epochs 99999999999999999999999 error
--epochs abc error
--epochs 2.5 error
--lr nan error
--lr inf error
--lr -inf error
--lr -1 error
--lr 0 ok
--lr 1e999 error
--lr abc error
--lr 0.1x error
--momentum nan error
--momentum inf error
--momentum -1 error
--momentum 0 ok
--momentum 1.5 error
--momentum abc error
--weight-decay nan error
--weight-decay inf error
--weight-decay -1 error
--weight-decay 0 ok
--weight-decay abc error
--batch-size nan error
--batch-size -1 error
--batch-size 0 error
--batch-size 18446744073709551616 error
--batch-size 18446744073709551615 ok
--batch-size abc error
--hidden nan error
--hidden -5 error
--hidden 0 error
--hidden 100000000 error
--hidden 18446744073709551611 error
--hidden abc error
--hidden 16,0 error
--seed nan error
--seed -1 error
--seed 0 ok
--seed 18446744073709551615 ok
--seed 18446744073709551616 error
--seed abc error
--limit nan error
--limit -1 error
--limit 18446744073709551616 error
--limit abc error
--min-accuracy nan error
--min-accuracy inf error
--min-accuracy -1 error
--min-accuracy 0 ok
--min-accuracy 1.5 error
--min-accuracy abc error
--checkpoint-every nan error
--checkpoint-every -1 error
--checkpoint-every 0 ok
--checkpoint-every 4294967296 error
--checkpoint-every abc error
--stop-after nan error
--stop-after -1 error
--stop-after 0 ok
--stop-after 4294967296 error
--stop-after abc error
--activation nan error
--optimizer nan error
--schedule nan error
--bogus 1 error
TABLE

# 2. Models too large, runs that diverge, bad choices.
expect_error "--hidden" --hidden 65536,65536
expect_error "training diverged" "${quick[@]}" --lr 1e300 --output-dir "$work/diverge"
expect_error "training diverged" "${quick[@]}" --lr 1e300 --optimizer adam --output-dir "$work/diverge"
expect_error "below --min-accuracy" "${quick[@]}" --min-accuracy 1 --output-dir "$work/low"

# 3. Data sets: missing, truncated, of another image size, empty.
/usr/bin/python3 - "$work" "$real" <<'PY'
import gzip, os, shutil, struct, sys
work, real = sys.argv[1], sys.argv[2]
def idx(path, dims, payload):
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">HBB", 0, 8, len(dims)) + b"".join(struct.pack(">I", d) for d in dims) + payload)
for name in ("no_test", "truncated", "size32", "empty_train", "empty_test"):
    os.makedirs(f"{work}/{name}", exist_ok=True)
for name in ("truncated", "size32", "empty_test"):
    for f in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        shutil.copy(f"{real}/{f}", f"{work}/{name}/{f}")
for f in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
    shutil.copy(f"{real}/{f}", f"{work}/no_test/{f}")
data = open(f"{real}/t10k-images-idx3-ubyte.gz", "rb").read()
open(f"{work}/truncated/t10k-images-idx3-ubyte.gz", "wb").write(data[: len(data) // 2])
shutil.copy(f"{real}/t10k-labels-idx1-ubyte.gz", f"{work}/truncated/t10k-labels-idx1-ubyte.gz")
idx(f"{work}/size32/t10k-images-idx3-ubyte.gz", [10, 32, 32], bytes(10 * 32 * 32))
idx(f"{work}/size32/t10k-labels-idx1-ubyte.gz", [10], bytes(10))
idx(f"{work}/empty_train/train-images-idx3-ubyte.gz", [0, 28, 28], b"")
idx(f"{work}/empty_train/train-labels-idx1-ubyte.gz", [0], b"")
idx(f"{work}/empty_test/t10k-images-idx3-ubyte.gz", [0, 28, 28], b"")
idx(f"{work}/empty_test/t10k-labels-idx1-ubyte.gz", [0], b"")
PY
expect_error "$work/nowhere" --data-dir "$work/nowhere"
expect_error "t10k-images-idx3-ubyte" --data-dir "$work/no_test"
expect_error "t10k-images-idx3-ubyte" --data-dir "$work/truncated"
expect_error "test images are (1024) but training images are (784)" --data-dir "$work/size32"
expect_error "the training set is empty" --data-dir "$work/empty_train"
expect_error "the test set is empty" --data-dir "$work/empty_test"

# 4. Output directories: a file, read-only, full; a path with shell and gnuplot syntax in it.
touch "$work/a_file"
expect_error "--output-dir $work/a_file" "${quick[@]}" --output-dir "$work/a_file"
expect_error "--output-dir $work/a_file/below" "${quick[@]}" --output-dir "$work/a_file/below"
if [ "$(id -u)" -ne 0 ]; then  # root writes into read-only directories anyway
    mkdir -p "$work/read_only" && chmod 555 "$work/read_only"
    expect_error "--output-dir $work/read_only" "${quick[@]}" --output-dir "$work/read_only"
    chmod 755 "$work/read_only"
else
    echo "check_cli: read-only output directory not checked (running as root)"
fi
# a full disk: past the file size limit a write fails (SIGXFSZ ignored, as a full disk would)
( trap '' XFSZ; ulimit -f 2; expect_error "cannot write there" "${quick[@]}" --output-dir "$work/full" ; exit $failures )
failures=$(( $? )); cases=$((cases + 1))
( trap '' XFSZ; ulimit -f 40; expect_error "$work/full_later" "${quick[@]}" --output-dir "$work/full_later" ; exit $failures )
failures=$(( $? )); cases=$((cases + 1))
hostile="$work/it's \$(touch $work/PWNED) \`touch $work/PWNED\` ; touch $work/PWNED"
expect_ok "${quick[@]}" --output-dir "$hostile"
[ -e "$work/PWNED" ] && fail "a shell ran text from --output-dir"
for f in model.npz history.tsv graph.svg checkpoint.npz; do
    [ -s "$hostile/$f" ] || fail "the run into a hostile directory name did not write $f"
done
if command -v gnuplot > /dev/null; then
    [ -s "$hostile/history.svg" ] || fail "gnuplot did not draw into a directory with an apostrophe"
fi

# 5. Checkpoints: one from after the last epoch, and a corrupt file.
resumable=(--limit 300 --epochs 2 --hidden 16 --output-dir "$work/ckpt")
expect_ok "${resumable[@]}" --stop-after 1
/usr/bin/python3 - "$work/ckpt/checkpoint.npz" "$work/late.npz" <<'PY'
import numpy as np, sys
d = dict(np.load(sys.argv[1]))
d["epoch"] = np.array(3000000000, dtype=d["epoch"].dtype)
np.savez(sys.argv[2], **d)
PY
expect_error "after epoch 3000000000" "${resumable[@]}" --resume "$work/late.npz"
head -c 100 "$work/ckpt/checkpoint.npz" > "$work/torn.npz"
expect_error "$work/torn.npz" "${resumable[@]}" --resume "$work/torn.npz"
expect_error "--resume" "${quick[@]}" --resume "$work/missing.npz"

echo "check_cli: $cases cases, $failures failed"
[ "$failures" -eq 0 ]
