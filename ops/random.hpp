#pragma once

#include <cstdint>

#include "autograd/tensor.hpp"

namespace xgrad {

/// When `training`, each element is zeroed with probability p and the others scaled by 1/(1-p)
/// (the mask drawn from this thread's generator: manual_seed or a GeneratorGuard makes it
/// reproducible); x itself otherwise, as F.dropout. Throws std::invalid_argument unless 0 <= p <= 1.
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true);

/// `num_samples` category indices drawn from the non-negative weights `probs` (C) or each row of
/// (N, C), as torch.multinomial: an int64 (num_samples) or (N, num_samples) tensor; without
/// replacement each category is drawn at most once. Throws std::invalid_argument for negative,
/// non-finite or all-zero weights, or more samples than categories without replacement.
Tensor multinomial(const Tensor& probs, std::size_t num_samples, bool replacement = false);

}  // namespace xgrad
