#pragma once

#include <optional>

#include "nn/module.hpp"

namespace xgrad::nn {

struct EmbeddingOptions {
    Dtype dtype = Dtype::float32;
    /// A row (negative counts from the end) that starts as zeros and never learns, as PyTorch's:
    /// lookups of it get no gradient (a padding token).
    std::optional<std::int64_t> padding_idx = std::nullopt;
};

/// A table of `num_embeddings` vectors of `embedding_dim`, initialised N(0, 1) as PyTorch's:
/// int64 indices of any shape (*) -> (*, embedding_dim). Rows used twice get both gradients.
class Embedding : public Module {
public:
    /// Throws std::invalid_argument for an empty table, std::out_of_range for a padding_idx outside it.
    Embedding(std::size_t num_embeddings, std::size_t embedding_dim, EmbeddingOptions options = {});
    /// Throws DtypeError for indices that are not int64, std::out_of_range naming the index.
    Tensor forward(const Tensor& indices) override;
    std::string describe() const override;
    const Tensor& weight() const { return weight_; }
    /// The padding row, counted from the start; nullopt without one.
    std::optional<std::int64_t> padding_idx() const { return padding_idx_; }

private:
    std::size_t num_, dim_;
    std::optional<std::int64_t> padding_idx_;
    Tensor weight_;
};

}  // namespace xgrad::nn
