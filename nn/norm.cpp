#include "nn/norm.hpp"

#include "ops/norm.hpp"

namespace xgrad::nn {

LayerNorm::LayerNorm(Shape normalized_shape, LayerNormOptions options) : shape_(std::move(normalized_shape)), eps_(options.eps) {
    if (shape_.empty()) throw std::invalid_argument("LayerNorm: normalized_shape must have at least one dimension");
    if (options.elementwise_affine) {
        weight_ = register_parameter("weight", Tensor::ones(shape_, {.dtype = options.dtype}));
        bias_ = register_parameter("bias", Tensor::zeros(shape_, {.dtype = options.dtype}));
    }
}

Tensor LayerNorm::forward(const Tensor& x) {
    bool fits = x.dim() >= shape_.size();
    for (std::size_t d = 0; fits && d < shape_.size(); ++d) fits = x.shape()[x.dim() - shape_.size() + d] == shape_[d];
    if (!fits) throw ShapeError(describe() + ": expected input (..., " + shape_str(shape_).substr(1) + ", got " + shape_str(x.shape()));
    return layer_norm(x, shape_, weight_, bias_, eps_);
}

std::string LayerNorm::describe() const { return "LayerNorm(" + shape_str(shape_) + ", eps=" + number_str(eps_) + ")"; }

BatchNorm1d::BatchNorm1d(std::size_t num_features, BatchNormOptions options) : features_(num_features), options_(options) {
    if (num_features == 0) throw std::invalid_argument("BatchNorm1d: num_features must be positive");
    if (!(options.momentum >= 0 && options.momentum <= 1))
        throw std::invalid_argument("BatchNorm1d: momentum must be in [0, 1], got " + number_str(options.momentum));
    const Shape c{num_features};
    if (options.affine) {
        weight_ = register_parameter("weight", Tensor::ones(c, {.dtype = options.dtype}));
        bias_ = register_parameter("bias", Tensor::zeros(c, {.dtype = options.dtype}));
    }
    if (options.track_running_stats) {
        running_mean_ = register_buffer("running_mean", Tensor::zeros(c, {.dtype = options.dtype}));
        running_var_ = register_buffer("running_var", Tensor::ones(c, {.dtype = options.dtype}));
        batches_ = register_buffer("num_batches_tracked", Tensor::scalar(0, {.dtype = Dtype::int64}));
    }
}

Tensor BatchNorm1d::forward(const Tensor& x) {
    if ((x.dim() != 2 && x.dim() != 3) || x.shape()[1] != features_)
        throw ShapeError(describe() + ": expected input (N, " + std::to_string(features_) + ") or (N, " +
                         std::to_string(features_) + ", L), got " + shape_str(x.shape()));
    // without running statistics, evaluation normalizes by the batch as training does (as PyTorch)
    const bool batch_stats = is_training() || !options_.track_running_stats;
    Tensor y = batch_norm(x, batch_stats && !is_training() ? Tensor() : running_mean_,
                          batch_stats && !is_training() ? Tensor() : running_var_, weight_, bias_, batch_stats,
                          options_.momentum, options_.eps);
    if (is_training() && batches_.defined()) ++batches_.mutable_data<std::int64_t>()();
    return y;
}

std::int64_t BatchNorm1d::num_batches_tracked() const { return batches_.defined() ? batches_.data<std::int64_t>()() : 0; }

std::string BatchNorm1d::describe() const {
    return "BatchNorm1d(" + std::to_string(features_) + ", eps=" + number_str(options_.eps) + ", momentum=" + number_str(options_.momentum) + ")";
}

}  // namespace xgrad::nn
