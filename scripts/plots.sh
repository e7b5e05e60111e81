#!/usr/bin/env bash
# Regenerates the pictures in docs/images/: the activation plots (each function and its
# derivative, the derivative taken through xgrad's backward pass: examples/activation_plots.cpp)
# and the diagram of one Fashion-MNIST training step (examples/fashion_mnist.cpp).
#   usage: scripts/plots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build/release -j "${XGRAD_JOBS:-2}" --target activation_plots fashion_mnist
data=build/plots
build/release/examples/activation_plots "$data"

out=docs/images/activations
mkdir -p "$out"
for tsv in "$data"/*.tsv; do
    name=$(basename "$tsv" .tsv)
    gnuplot <<GP
set terminal svg size 520,340 dynamic font "sans,13" background rgb "white"
set output "$out/$name.svg"
set title "$name" font "sans,15"
set grid lc rgb "#dddddd"
set xzeroaxis lt 1 lc rgb "#888888"
set yzeroaxis lt 1 lc rgb "#888888"
set key top left box opaque
set xrange [-5:5]
set offsets 0, 0, graph 0.08, graph 0.08
plot "$tsv" using 1:2 with lines lw 2.5 lc rgb "#1f77b4" title "f(x)", \
     "$tsv" using 1:3 with lines lw 2.5 dt 2 lc rgb "#d62728" title "f'(x), from backward()"
GP
    echo "wrote $out/$name.svg"
done

# the diagram of one Fashion-MNIST training step, shown in the README
build/release/examples/fashion_mnist --epochs 1 --limit 6000 --output-dir build/plots/fashion_mnist > /dev/null
cp build/plots/fashion_mnist/graph.svg docs/images/fashion_mnist_graph.svg
echo "wrote docs/images/fashion_mnist_graph.svg"

# one training step of a small MLP before and after backward (examples/graph.cpp)
cmake --build build/release -j "${XGRAD_JOBS:-2}" --target graph
build/release/examples/graph build/plots/graph > /dev/null
cp build/plots/graph/graph_before.svg build/plots/graph/graph_after.svg docs/images/
echo "wrote docs/images/graph_before.svg docs/images/graph_after.svg"
