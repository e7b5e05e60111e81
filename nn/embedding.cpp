#include "nn/embedding.hpp"

#include "nn/init.hpp"
#include "ops/indexing.hpp"

namespace xgrad::nn {

Embedding::Embedding(std::size_t num_embeddings, std::size_t embedding_dim, EmbeddingOptions options)
    : num_(num_embeddings), dim_(embedding_dim) {
    if (num_embeddings == 0 || embedding_dim == 0)
        throw std::invalid_argument("Embedding: num_embeddings and embedding_dim must be positive, got " + std::to_string(num_embeddings) +
                                    " and " + std::to_string(embedding_dim));
    Tensor w = Tensor::zeros({num_embeddings, embedding_dim}, {.dtype = options.dtype});
    init::normal_(w);
    weight_ = register_parameter("weight", w);
}

Tensor Embedding::forward(const Tensor& indices) {
    if (indices.dtype() != Dtype::int64)
        throw DtypeError(describe() + ": expected int64 indices, got " + xgrad::describe(indices));
    try {
        return take_rows(weight_, indices);
    } catch (const std::out_of_range& e) {
        throw std::out_of_range(describe() + ": " + e.what());
    }
}

std::string Embedding::describe() const { return "Embedding(" + std::to_string(num_) + ", " + std::to_string(dim_) + ")"; }

}  // namespace xgrad::nn
