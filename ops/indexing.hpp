#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <variant>
#include <vector>

#include "autograd/tensor.hpp"

namespace xgrad {

/// The slice x[i] along `dim`: that dimension is removed. A negative index counts from the end.
/// Throws std::out_of_range naming the index and the size.
Tensor select(const Tensor& x, int dim, std::int64_t index);
/// `length` elements along `dim` from `start` (negative counts from the end), as torch.narrow.
/// Throws std::out_of_range when they do not fit.
Tensor narrow(const Tensor& x, int dim, std::int64_t start, std::int64_t length);
/// x[start:end:step] along `dim` with Python's rules (negative bounds count from the end, bounds
/// are clamped to the extent); step must be positive, as in PyTorch.
Tensor slice(const Tensor& x, int dim, std::optional<std::int64_t> start = std::nullopt,
             std::optional<std::int64_t> end = std::nullopt, std::int64_t step = 1);
/// The entries of x at the int64 indices `index` (1-D or 0-d) along `dim`; repeated indices
/// accumulate their gradients. Throws std::out_of_range naming the index and the size,
/// DtypeError for a non-int64 index.
Tensor index_select(const Tensor& x, int dim, const Tensor& index);
/// x[index] along dimension 0 for an int64 index of any shape: the result has shape
/// index.shape + x.shape[1:] (an embedding lookup: rows of a table). Throws as index_select.
Tensor take_rows(const Tensor& x, const Tensor& index);
/// weight[indices] for a 2-D weight (num_embeddings, embedding_dim), as
/// torch.nn.functional.embedding: (*) int64 -> (*, embedding_dim). With `padding_idx` (negative
/// counts from the end) the entries looked up there read that row as a constant, so it gets no
/// gradient from them. Throws ShapeError for a weight that is not 2-D, std::out_of_range for a
/// padding_idx outside the table, and as take_rows.
Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<std::int64_t> padding_idx = std::nullopt);
/// out[i][j][k] = x[i][index[i][j][k]][k] for dim 1 (and likewise for any dim), as torch.gather:
/// index has x's number of dimensions and extents at most x's except along dim.
Tensor gather(const Tensor& x, int dim, const Tensor& index);
/// A copy of x with out[i][index[i][j][k]][k] += src[i][j][k] for dim 1 (torch.scatter_add);
/// gradients reach both x and src.
Tensor scatter_add(const Tensor& x, int dim, const Tensor& index, const Tensor& src);
/// x with `value` where the bool `mask` (broadcast to x's shape) is true; the gradient passes
/// where it is false.
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);
/// The elements of x where the bool `mask` is true, x and mask broadcast together, as a 1-D
/// tensor in row-major order (torch.masked_select); the gradient lands back on those elements.
/// Throws DtypeError for a mask that is not bool, ShapeError when the two do not broadcast.
Tensor masked_select(const Tensor& x, const Tensor& mask);
/// a where the bool `condition` is true, else b, all three broadcast together; a and b promote as
/// add. Throws DtypeError for a condition that is not bool.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);
/// (*, num_classes) int64 with a 1 at each label of the int64 `labels` (num_classes -1: the largest
/// label + 1). Throws std::out_of_range for a label outside [0, num_classes).
Tensor one_hot(const Tensor& labels, std::int64_t num_classes = -1);

/// A slice in an index list, as Python's start:stop:step (libtorch's torch::indexing::Slice).
struct Slice {
    std::optional<std::int64_t> start, stop;
    std::int64_t step = 1;
    Slice(std::optional<std::int64_t> start_ = std::nullopt, std::optional<std::int64_t> stop_ = std::nullopt,
          std::int64_t step_ = 1)
        : start(start_), stop(stop_), step(step_) {}
};
/// A new dimension of extent 1 (Python's None in x[None]).
struct NewAxis {};
/// As many full slices as the dimensions left over (Python's ...).
struct Ellipsis {};
inline constexpr NewAxis newaxis{};
inline constexpr Ellipsis ellipsis{};
/// One entry of an index list: an integer (selects, removing the dimension), a Slice, newaxis,
/// ellipsis, an int64 tensor (its shape takes the place of that dimension), or a bool tensor (a
/// mask over as many dimensions as it has, which become one: the positions where it is true).
class TensorIndex : public std::variant<std::int64_t, Slice, NewAxis, Ellipsis, Tensor> {
public:
    using Base = std::variant<std::int64_t, Slice, NewAxis, Ellipsis, Tensor>;
    using Base::Base;
    TensorIndex(int i) : Base(std::int64_t{i}) {}  // NOLINT: implicit, so that {0, Slice(1, 3)} reads as Python
    const Base& base() const { return *this; }
};

/// x indexed as in Python: `index(x, {Slice(1, 3), 0})` (or x.index(...)) is x[1:3, 0];
/// `index(x, {ellipsis, Slice({}, {}, 2)})` is x[..., ::2]; `index(x, {Slice(), idx})` with an
/// int64 tensor idx is x[:, idx]; `index(x, {mask})` with a bool mask of x's leading extents is
/// x[mask]. Throws std::out_of_range or std::invalid_argument naming the entry, ShapeError for a
/// mask whose extents differ from the dimensions it covers.
Tensor index(const Tensor& x, const std::vector<TensorIndex>& indices);

}  // namespace xgrad
