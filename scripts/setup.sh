#!/usr/bin/env bash
# Installs every Debian package xgrad needs to build, test and run its examples, plus any named
# on the command line (scripts/bench.sh adds libtorch-dev).
# Idempotent: when everything is already installed it only checks and returns.
#   usage: scripts/setup.sh [extra-package ...]
set -euo pipefail

packages=(
    g++ cmake ninja-build pkg-config make
    libxtensor-dev xtl-dev libxsimd-dev libxtensor-blas-dev libopenblas-dev libxsmm-dev
    catch2 zlib1g-dev libcli11-dev libzip-dev
    dataset-fashion-mnist graphviz libgraphviz-dev gnuplot-nox
    python3-numpy
    clang libclang-rt-14-dev valgrind
    "$@"
)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#packages[@]} packages present"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
