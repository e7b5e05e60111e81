#pragma once

#include "nn/module.hpp"

namespace xgrad::nn {

struct EmbeddingOptions {
    Dtype dtype = Dtype::float32;
};

/// A table of `num_embeddings` vectors of `embedding_dim`, initialised N(0, 1) as PyTorch's:
/// int64 indices of any shape (*) -> (*, embedding_dim). Rows used twice get both gradients.
class Embedding : public Module {
public:
    Embedding(std::size_t num_embeddings, std::size_t embedding_dim, EmbeddingOptions options = {});
    /// Throws DtypeError for indices that are not int64, std::out_of_range naming the index.
    Tensor forward(const Tensor& indices) override;
    std::string describe() const override;
    const Tensor& weight() const { return weight_; }

private:
    std::size_t num_, dim_;
    Tensor weight_;
};

}  // namespace xgrad::nn
