#include "ops/shape.hpp"

#include "ops/common.hpp"
#include "ops/kernels/gemm.hpp"

#include <string>

namespace xgrad {

namespace {

std::string request_str(const std::vector<std::int64_t>& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + ")";
}

Shape resolve(const Shape& from, const std::vector<std::int64_t>& request) {
    std::size_t total = 1;
    for (auto d : from) total *= d;
    auto fail = [&](const std::string& why) {
        throw ShapeError("reshape: " + why + ": cannot reshape " + shape_str(from) + " (" + std::to_string(total) +
                         " elements) into " + request_str(request));
    };
    Shape out(request.size());
    std::size_t known = 1;
    std::optional<std::size_t> infer;
    for (std::size_t i = 0; i < request.size(); ++i) {
        if (request[i] == -1) {
            if (infer) fail("only one dimension can be -1");
            infer = i;
        } else if (request[i] < 0) {
            fail("negative extent " + std::to_string(request[i]));
        } else {
            out[i] = static_cast<std::size_t>(request[i]);
            if (__builtin_mul_overflow(known, out[i], &known)) fail("the extents' product overflows");
        }
    }
    if (infer) {
        if (known == 0 || total % known != 0) fail("the -1 extent cannot be inferred");
        out[*infer] = total / known;
    } else if (known != total) {
        fail("element counts differ");
    }
    return out;
}

Tensor reshape_to(std::string name, const Tensor& x, Shape shape) {
    checked_numel(name, shape);  // an empty (0, 2^62, 2) still overflows xtensor's strides
    return detail::apply_owning(std::move(name), {x},
        [shape](Inputs in) { return detail::reshaped(in[0], shape); },  // a copy of the operand
        // the gradient takes the input's shape back, in its own buffer
        [](Array&& g, const detail::OwnedGradArgs& c) -> Grads { return make_grads(detail::reshaped(std::move(g), shape_of(c.in[0]))); });
}

}  // namespace

Tensor reshape(const Tensor& x, const std::vector<std::int64_t>& shape) {
    return reshape_to("reshape", x, resolve(x.shape(), shape));
}

Tensor flatten(const Tensor& x, int start_dim, int end_dim) {
    const Shape& s = x.shape();
    if (s.empty()) return reshape_to("flatten", x, Shape{1});  // as torch.flatten of a 0-d tensor
    const std::size_t a = detail::normalize_axis("flatten", start_dim, s);
    const std::size_t b = detail::normalize_axis("flatten", end_dim, s);
    if (a > b)
        throw std::invalid_argument("flatten: start_dim " + std::to_string(start_dim) + " comes after end_dim " +
                                    std::to_string(end_dim) + " for shape " + shape_str(s));
    Shape out;
    std::size_t merged = 1;
    for (std::size_t d = 0; d < s.size(); ++d) {
        if (d < a || d > b) out.push_back(s[d]);
        else {
            merged *= s[d];
            if (d == b) out.push_back(merged);
        }
    }
    return reshape_to("flatten", x, out);
}

Tensor unsqueeze(const Tensor& x, int dim) {
    const auto n = static_cast<int>(x.dim());
    if (dim < -n - 1 || dim > n)
        throw std::invalid_argument("unsqueeze: dimension " + std::to_string(dim) + " is out of range for shape " +
                                    shape_str(x.shape()) + " (expected one in [" + std::to_string(-n - 1) + ", " +
                                    std::to_string(n) + "])");
    const auto at = static_cast<std::size_t>(dim < 0 ? dim + n + 1 : dim);
    Shape out;
    for (std::size_t d = 0; d <= x.dim(); ++d) {
        if (d == at) out.push_back(1);
        if (d < x.dim()) out.push_back(x.shape()[d]);
    }
    return reshape_to("unsqueeze", x, out);
}

Tensor squeeze(const Tensor& x) {
    Shape out;
    for (auto d : x.shape())
        if (d != 1) out.push_back(d);
    return reshape_to("squeeze", x, out);
}

Tensor squeeze(const Tensor& x, int dim) {
    if (x.dim() == 0 && (dim == 0 || dim == -1)) return reshape_to("squeeze", x, x.shape());
    const std::size_t d = detail::normalize_axis("squeeze", dim, x.shape());
    Shape out;
    for (std::size_t k = 0; k < x.dim(); ++k)
        if (k != d || x.shape()[k] != 1) out.push_back(x.shape()[k]);
    return reshape_to("squeeze", x, out);
}

namespace {

// dst[r inner + k] = src[r row_stride + k step] for r < rows, k < inner: one block of a permuted
// copy (a head's 16 values a row, in one vector move where step is 1).
template <class T>
XGRAD_VECTOR_CLONES void copy_rows(const T* __restrict src, T* __restrict dst, std::size_t rows, std::size_t row_stride,
                                   std::size_t inner, std::size_t step) {
    for (std::size_t r = 0; r < rows; ++r) {
        const T* s = src + r * row_stride;
        T* d = dst + r * inner;
        if (step == 1)
            for (std::size_t k = 0; k < inner; ++k) d[k] = s[k];
        else
            for (std::size_t k = 0; k < inner; ++k) d[k] = s[k * step];
    }
}

// y[i_0, .., i_n] = x at the index whose dimension perm[k] is i_k: a strided copy of any dtype.
Array permuted(const Array& a, const std::vector<std::size_t>& perm) {
    return visit_any(a, [&](const auto& x) -> Array {
        using T = detail::value_t<decltype(x)>;
        const Shape& from = x.shape();
        const std::size_t nd = from.size();
        Shape out(nd), stride(nd), from_stride(nd);
        for (std::size_t d = nd, s = 1; d-- > 0;) from_stride[d] = s, s *= from[d];
        for (std::size_t k = 0; k < nd; ++k) out[k] = from[perm[k]], stride[k] = from_stride[perm[k]];
        Values<T> y = Values<T>::from_shape(out);
        const std::size_t n = y.size();
        if (n == 0) return y;
        const T* src = x.data();
        T* dst = y.data();
        if (nd <= 1) {
            std::copy_n(src, n, dst);
            return y;
        }
        // the last two axes swapped, the others kept: one transpose per matrix
        bool swap_last = perm[nd - 1] == nd - 2 && perm[nd - 2] == nd - 1;
        for (std::size_t k = 0; swap_last && k + 2 < nd; ++k) swap_last = perm[k] == k;
        if (swap_last) {
            const std::size_t r = from[nd - 2], c = from[nd - 1];
            detail::transpose_matrices(src, dst, n / (r * c), r, c);
            return y;
        }
        // a block of the last two output dimensions at a time (plain loops), carrying through the others
        const std::size_t rows = out[nd - 2], inner = out[nd - 1], block = rows * inner;
        Shape index(nd, 0);
        std::size_t offset = 0;
        for (std::size_t i = 0; i < n; i += block) {
            copy_rows(src + offset, dst + i, rows, stride[nd - 2], inner, stride[nd - 1]);
            for (std::size_t d = nd - 2; d-- > 0;) {  // next block, carrying through the outer dimensions
                offset += stride[d];
                if (++index[d] < out[d]) break;
                offset -= stride[d] * out[d];
                index[d] = 0;
            }
        }
        return y;
    });
}

Tensor permute_by(std::string name, const Tensor& x, std::vector<std::size_t> perm) {
    std::vector<std::size_t> inverse(perm.size());
    for (std::size_t k = 0; k < perm.size(); ++k) inverse[perm[k]] = k;
    return apply(std::move(name), {x},
        [perm](Inputs in) { return permuted(in[0], perm); },
        // the gradient goes back through the inverse permutation
        [inverse](const BackwardArgs& c) -> Grads { return make_grads(permuted(c.grad, inverse)); });
}

}  // namespace

Tensor permute(const Tensor& x, const std::vector<int>& dims) {
    const std::size_t nd = x.dim();
    auto fail = [&](const std::string& why) {
        std::string list = "(";
        for (std::size_t i = 0; i < dims.size(); ++i) list += (i ? ", " : "") + std::to_string(dims[i]);
        throw std::invalid_argument("permute: " + why + ": dims " + list + ") for shape " + shape_str(x.shape()));
    };
    if (dims.size() != nd) fail("expected " + std::to_string(nd) + " dimensions");
    std::vector<std::size_t> perm(nd);
    std::vector<bool> seen(nd, false);
    for (std::size_t k = 0; k < nd; ++k) {
        const auto n = static_cast<int>(nd);
        if (dims[k] < -n || dims[k] >= n) fail("dimension " + std::to_string(dims[k]) + " is out of range");
        perm[k] = static_cast<std::size_t>(dims[k] < 0 ? dims[k] + n : dims[k]);
        if (seen[perm[k]]) fail("dimension " + std::to_string(dims[k]) + " appears twice");
        seen[perm[k]] = true;
    }
    return permute_by("permute", x, std::move(perm));
}

Tensor transpose(const Tensor& x, int dim0, int dim1) {
    const std::size_t d0 = detail::normalize_axis("transpose", dim0, x.shape());
    const std::size_t d1 = detail::normalize_axis("transpose", dim1, x.shape());
    std::vector<std::size_t> perm(x.dim());
    for (std::size_t k = 0; k < perm.size(); ++k) perm[k] = k;
    std::swap(perm[d0], perm[d1]);
    return permute_by("transpose", x, std::move(perm));
}

Tensor transpose(const Tensor& x) {
    if (x.dim() > 2)
        throw ShapeError("transpose: .T() expects at most 2 dimensions, got shape " + shape_str(x.shape()) +
                         "; use transpose(x, dim0, dim1)");
    if (x.dim() < 2) return x;  // as PyTorch: a 0-d or 1-d tensor is its own transpose
    return transpose(x, 0, 1);
}

namespace {

// Values of `a` broadcast to `shape` (which it broadcasts to).
Array broadcast_array(const Array& a, const Shape& shape) {
    return visit_any(a, [&](const auto& x) -> Array {
        using T = detail::value_t<decltype(x)>;
        Values<T> y = Values<T>::from_shape(shape);
        const T* src = x.data();
        T* dst = y.data();
        detail::for_each_broadcast(shape, x.shape(), shape, [&](std::size_t i, std::size_t ia, std::size_t) { dst[i] = src[ia]; });
        return y;
    });
}

}  // namespace

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
    const Shape& from = x.shape();
    bool fits = from.size() <= shape.size();
    for (std::size_t d = 0; fits && d < from.size(); ++d) {
        const std::size_t want = shape[shape.size() - from.size() + d];
        fits = from[d] == want || from[d] == 1;
    }
    if (!fits) detail::throw_shapes("broadcast_to", "the tensor cannot be broadcast to the shape", from, shape);
    checked_numel("broadcast_to", shape);
    return apply("expand", {x},
        [shape](Inputs in) { return broadcast_array(in[0], shape); },
        // the gradient is summed back over the repeated dimensions
        [](const BackwardArgs& c) -> Grads {
            return make_grads(detail::sum_to(c.grad, shape_of(c.in[0])));
        });
}

Tensor expand(const Tensor& x, const std::vector<std::int64_t>& shape) {
    const Shape& from = x.shape();
    if (shape.size() < from.size())
        throw ShapeError("expand: " + std::to_string(shape.size()) + " sizes for a tensor of shape " + shape_str(from) +
                         " (at least " + std::to_string(from.size()) + " are needed)");
    Shape out(shape.size());
    const std::size_t lead = shape.size() - from.size();
    for (std::size_t d = 0; d < shape.size(); ++d) {
        if (shape[d] == -1 && d >= lead) out[d] = from[d - lead];
        else if (shape[d] < 0)
            throw ShapeError("expand: size " + std::to_string(shape[d]) + " at dimension " + std::to_string(d) +
                             " (only -1, for an existing dimension, keeps its extent) for shape " + shape_str(from));
        else out[d] = static_cast<std::size_t>(shape[d]);
    }
    return broadcast_to(x, out);
}

Tensor repeat(const Tensor& x, const std::vector<std::size_t>& repeats) {
    const Shape& from = x.shape();
    if (repeats.size() < from.size())
        throw std::invalid_argument("repeat: " + std::to_string(repeats.size()) + " repeats for shape " + shape_str(from) +
                                    " (at least one per dimension)");
    // tiles as a broadcast: (r0, s0, r1, s1, ...) from (1, s0, 1, s1, ...), then merged
    const std::size_t lead = repeats.size() - from.size();
    std::vector<std::int64_t> split, merged;
    Shape tiled;
    for (std::size_t d = 0; d < repeats.size(); ++d) {
        const std::size_t s = d < lead ? 1 : from[d - lead];
        split.push_back(1), split.push_back(static_cast<std::int64_t>(s));
        tiled.push_back(repeats[d]), tiled.push_back(s);
        merged.push_back(static_cast<std::int64_t>(repeats[d] * s));
    }
    checked_numel("repeat", tiled);
    return reshape(broadcast_to(reshape(x, split), tiled), merged);
}

// The method forms declared on Tensor.
Tensor Tensor::reshape(const std::vector<std::int64_t>& shape) const { return xgrad::reshape(*this, shape); }
Tensor Tensor::flatten(int start_dim, int end_dim) const { return xgrad::flatten(*this, start_dim, end_dim); }
Tensor Tensor::T() const { return xgrad::transpose(*this); }
Tensor Tensor::unsqueeze(int dim) const { return xgrad::unsqueeze(*this, dim); }
Tensor Tensor::squeeze() const { return xgrad::squeeze(*this); }
Tensor Tensor::squeeze(int dim) const { return xgrad::squeeze(*this, dim); }
Tensor Tensor::permute(const std::vector<int>& dims) const { return xgrad::permute(*this, dims); }
Tensor Tensor::transpose(int dim0, int dim1) const { return xgrad::transpose(*this, dim0, dim1); }
Tensor Tensor::expand(const std::vector<std::int64_t>& shape) const { return xgrad::expand(*this, shape); }

}  // namespace xgrad
