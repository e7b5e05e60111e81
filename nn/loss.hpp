#pragma once

#include "ops/loss.hpp"

namespace xgrad::nn {

using xgrad::binary_cross_entropy_with_logits;
using xgrad::cross_entropy;
using xgrad::mse_loss;
using xgrad::nll_loss;

/// The losses of ops/loss.hpp as objects holding their options (PyTorch's nn.*Loss).
class CrossEntropyLoss {
public:
    explicit CrossEntropyLoss(CrossEntropyOptions options = {}) : options_(options) {}
    Tensor operator()(const Tensor& logits, const Labels& labels) const { return cross_entropy(logits, labels, options_); }
    Tensor operator()(const Tensor& logits, const Tensor& probs) const { return cross_entropy(logits, probs, options_); }

private:
    CrossEntropyOptions options_;
};

class NLLLoss {
public:
    explicit NLLLoss(Reduction reduction = Reduction::mean) : reduction_(reduction) {}
    Tensor operator()(const Tensor& log_probs, const Labels& labels) const { return nll_loss(log_probs, labels, reduction_); }

private:
    Reduction reduction_;
};

class BCEWithLogitsLoss {
public:
    explicit BCEWithLogitsLoss(Reduction reduction = Reduction::mean) : reduction_(reduction) {}
    Tensor operator()(const Tensor& logits, const Tensor& target) const {
        return binary_cross_entropy_with_logits(logits, target, reduction_);
    }

private:
    Reduction reduction_;
};

class MSELoss {
public:
    explicit MSELoss(Reduction reduction = Reduction::mean) : reduction_(reduction) {}
    Tensor operator()(const Tensor& input, const Tensor& target) const { return mse_loss(input, target, reduction_); }

private:
    Reduction reduction_;
};

}  // namespace xgrad::nn
