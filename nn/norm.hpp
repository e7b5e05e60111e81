#pragma once

#include <vector>

#include "nn/module.hpp"

namespace xgrad::nn {

struct LayerNormOptions {
    double eps = 1e-5;
    bool elementwise_affine = true;  ///< a learned weight (1) and bias (0) of the normalized shape
    Dtype dtype = Dtype::float32;
};

/// Normalizes over the trailing dimensions `normalized_shape` (ops/norm.hpp's layer_norm).
class LayerNorm : public Module {
public:
    explicit LayerNorm(Shape normalized_shape, LayerNormOptions options = {});
    /// Throws ShapeError naming both shapes unless x ends in normalized_shape.
    Tensor forward(const Tensor& x) override;
    std::string describe() const override;
    const Tensor& weight() const { return weight_; }
    const Tensor& bias() const { return bias_; }

private:
    Shape shape_;
    double eps_;
    Tensor weight_, bias_;
};

struct BatchNormOptions {
    double eps = 1e-5;
    double momentum = 0.1;           ///< running = (1 - momentum) running + momentum batch
    bool affine = true;              ///< a learned weight (1) and bias (0) per channel
    bool track_running_stats = true; ///< keep running_mean and running_var (buffers, saved with the model)
    Dtype dtype = Dtype::float32;
};

/// Batch normalization of (N, C) or (N, C, L) over the batch, per channel, as PyTorch's: batch
/// statistics in training mode (updating the running ones), running statistics in evaluation.
class BatchNorm1d : public Module {
public:
    explicit BatchNorm1d(std::size_t num_features, BatchNormOptions options = {});
    /// Throws ShapeError for other shapes or a channel count that is not num_features.
    Tensor forward(const Tensor& x) override;
    std::string describe() const override;
    const Tensor& weight() const { return weight_; }
    const Tensor& bias() const { return bias_; }
    const Tensor& running_mean() const { return running_mean_; }
    const Tensor& running_var() const { return running_var_; }
    /// Training batches seen (an int64 buffer, as PyTorch's num_batches_tracked).
    std::int64_t num_batches_tracked() const;

private:
    std::size_t features_;
    BatchNormOptions options_;
    Tensor weight_, bias_, running_mean_, running_var_, batches_;
};

}  // namespace xgrad::nn
