#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

/// How a loss combines its per-element values (PyTorch's `reduction`).
enum class Reduction { none, mean, sum };

/// Class indices, one per sample, each in [0, classes).
using Labels = std::vector<std::int64_t>;

/// Throws std::invalid_argument "<op>: label 12 at position 3 is out of range for 10 classes" for
/// the first label outside [0, classes).
void check_label_range(std::string_view op, const Labels& labels, std::size_t classes);

struct CrossEntropyOptions {
    Reduction reduction = Reduction::mean;
    /// ε in [0, 1]: the target becomes (1 - ε) target + ε / classes.
    double label_smoothing = 0.0;
};

/// Softmax and cross-entropy fused through log-sum-exp: logits (N, C), one label per sample.
/// Per sample: logsumexp(x) - Σ_c q_c x_c with q the (smoothed) one-hot target; finite for
/// logits of ±1e4. Its gradient is (softmax(x) - q) / N for the mean.
/// Throws ShapeError for logits that are not (N, C) or a label count that is not N, and
/// std::invalid_argument naming the label and the class count for a label out of range.
Tensor cross_entropy(const Tensor& logits, const Labels& targets, CrossEntropyOptions options = {});
/// The same from class probabilities `target` of the logits' shape (N, C):
/// per sample -Σ_c q_c log softmax(x)_c; the target receives a gradient if it requires one.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, CrossEntropyOptions options = {});
/// Negative log-likelihood of log-probabilities (N, C) at the labels: per sample -x[i, label_i].
/// Throws as cross_entropy.
Tensor nll_loss(const Tensor& log_probs, const Labels& targets, Reduction reduction = Reduction::mean);
/// Sigmoid and binary cross-entropy fused: per element max(x, 0) - x t + log(1 + e^-|x|), stable
/// for any logit; gradient σ(x) - t. Throws ShapeError unless target has the input's shape.
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction = Reduction::mean);
/// Mean squared error: per element (x - t)². Throws ShapeError unless the shapes are equal.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);

}  // namespace xgrad
