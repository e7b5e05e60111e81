#pragma once
// What the character-model benchmark shares between its xgrad and libtorch halves: plain data
// only (the libtorch half compiles without xtensor, the xgrad half without torch).

#include <cstdint>
#include <string>
#include <vector>

#include "bench/step_bench.hpp"

namespace bench {

/// A tensor by name: a parameter or a buffer of a model.
struct NamedArray {
    std::string name;
    std::vector<std::int64_t> shape;
    std::vector<float> values;  ///< float32 values, or an int64 buffer's as floats
};

/// The exact starting point both libraries train from: every parameter and buffer by its
/// dotted name, one int64 batch of inputs (batch, block) and labels (batch) or (batch, block).
struct CharProblem {
    std::vector<NamedArray> params, buffers;
    std::vector<std::int64_t> x, y;
    std::int64_t batch = 0, block = 0;
    bool sequence_labels = false;  ///< labels (batch, block): the transformer's
};

/// libtorch's twins of examples/char_models.hpp: the median step (zero_grad, forward, loss,
/// backward, SGD lr 0.1 for the MLP, AdamW lr 1e-3 wd 0.01 for the transformer) on one thread,
/// and the loss of one step from the problem's start (to check both compute the same).
bool have_torch_chars();
Timing torch_char_mlp(const CharProblem& p, std::size_t warmup, std::size_t steps, float* first_loss);
Timing torch_char_transformer(const CharProblem& p, std::size_t warmup, std::size_t steps, float* first_loss);

}  // namespace bench
