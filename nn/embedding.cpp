#include "nn/embedding.hpp"

#include <algorithm>

#include "nn/init.hpp"
#include "ops/common.hpp"
#include "ops/indexing.hpp"

namespace xgrad::nn {

Embedding::Embedding(std::size_t num_embeddings, std::size_t embedding_dim, EmbeddingOptions options)
    : num_(num_embeddings), dim_(embedding_dim) {
    if (num_embeddings == 0 || embedding_dim == 0)
        throw std::invalid_argument("Embedding: num_embeddings and embedding_dim must be positive, got " + std::to_string(num_embeddings) +
                                    " and " + std::to_string(embedding_dim));
    if (options.padding_idx)
        padding_idx_ = static_cast<std::int64_t>(detail::padding_row(describe(), *options.padding_idx, num_embeddings));
    Tensor w = Tensor::zeros({num_embeddings, embedding_dim}, {.dtype = options.dtype});
    init::normal_(w);
    if (padding_idx_)  // the padding row starts as zeros, as PyTorch's
        visit_float(w.mutable_array(), [&](auto& a) { std::fill_n(a.data() + *padding_idx_ * dim_, dim_, 0); });
    weight_ = register_parameter("weight", w);
}

Tensor Embedding::forward(const Tensor& indices) {
    if (indices.dtype() != Dtype::int64)
        throw DtypeError(describe() + ": expected int64 indices, got " + xgrad::describe(indices));
    try {
        return embedding(indices, weight_, padding_idx_);
    } catch (const std::out_of_range& e) {
        throw std::out_of_range(describe() + ": " + e.what());
    }
}

std::string Embedding::describe() const {
    return "Embedding(" + std::to_string(num_) + ", " + std::to_string(dim_) +
           (padding_idx_ ? ", padding_idx=" + std::to_string(*padding_idx_) : "") + ")";
}

}  // namespace xgrad::nn
