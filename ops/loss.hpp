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
    /// Samples with this label count for nothing, in the loss and in the mean's denominator.
    std::int64_t ignore_index = -100;
    /// One weight per class (C), or undefined for all 1; the mean divides by the weights summed
    /// over the samples' labels (as PyTorch).
    Tensor weight = Tensor();
};

/// Softmax and cross-entropy fused through log-sum-exp, with PyTorch's semantics: logits (N, C)
/// or (N, C, d1, ...), one int64 label per sample (N) or (N, d1, ...) (class indices; labels equal to
/// ignore_index are left out), or class probabilities of the logits' shape (the target then
/// receives a gradient if it requires one). Per sample: logsumexp(x) - Σ_c q_c x_c with q the
/// (smoothed) target; finite for logits of ±1e4; the gradient is (softmax(x) - q) / N for the mean.
/// Throws ShapeError naming the shapes, DtypeError for labels that are not int64, and
/// std::invalid_argument naming the label and the class count for a label out of range.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, CrossEntropyOptions options = {});
/// The same with the labels as a vector (2-D logits).
Tensor cross_entropy(const Tensor& logits, const Labels& targets, CrossEntropyOptions options = {});

struct NllLossOptions {
    Reduction reduction = Reduction::mean;
    std::int64_t ignore_index = -100;
    Tensor weight = Tensor();  ///< (C) or undefined
};
/// Negative log-likelihood of log-probabilities (N, C) or (N, C, d1, ...) at int64 labels (N) or
/// (N, d1, ...): per sample -w[label] x[i, label]; the mean divides by Σ w[label]. Throws as
/// cross_entropy.
Tensor nll_loss(const Tensor& log_probs, const Tensor& targets, NllLossOptions options = {});
Tensor nll_loss(const Tensor& log_probs, const Labels& targets, Reduction reduction = Reduction::mean);
/// Sigmoid and binary cross-entropy fused: per element max(x, 0) - x t + log(1 + e^-|x|), stable
/// for any logit; gradient σ(x) - t. Throws ShapeError unless target has the input's shape.
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction = Reduction::mean);
/// Mean squared error: per element (x - t)², input and target broadcast together (as PyTorch).
/// Throws ShapeError naming both shapes when they do not broadcast.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
/// Mean absolute error: per element |x - t|, broadcasting as mse_loss; gradient sign(x - t).
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
/// Huber loss: per element ½ d² where |d| < delta, else delta (|d| - ½ delta), d = x - t;
/// broadcasting as mse_loss. Throws std::invalid_argument for delta <= 0.
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean, double delta = 1.0);

}  // namespace xgrad
