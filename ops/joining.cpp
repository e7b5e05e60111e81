#include "ops/joining.hpp"

#include <algorithm>
#include <string>

#include "ops/common.hpp"
#include "ops/indexing.hpp"
#include "ops/shape.hpp"

namespace xgrad {

using detail::split_axis;
using detail::value_t;

Tensor cat(const std::vector<Tensor>& tensors, int dim) {
    if (tensors.empty()) throw std::invalid_argument("cat: expected a non-empty list of tensors");
    for (std::size_t k = 0; k < tensors.size(); ++k)
        if (!tensors[k].defined()) throw std::invalid_argument("cat: tensor " + std::to_string(k) + " is an undefined tensor");
    // as PyTorch: 1-D empty tensors are left out; the rest share a dtype by promotion
    std::vector<Tensor> parts;
    std::vector<std::size_t> origin;  // each part's position in `tensors`, for messages
    for (std::size_t k = 0; k < tensors.size(); ++k) {
        if (tensors[k].dim() == 1 && tensors[k].numel() == 0) continue;
        parts.push_back(tensors[k]);
        origin.push_back(k);
    }
    if (parts.empty()) return tensors[0].detach();
    Dtype dtype = parts[0].dtype();
    for (const auto& t : parts) dtype = promote_types(dtype, t.dtype());
    for (auto& t : parts) t = t.to(dtype);
    const Shape& ref = parts[0].shape();
    const std::size_t d = detail::normalize_axis("cat", dim, ref);
    Shape out = ref;
    out[d] = 0;
    for (std::size_t k = 0; k < parts.size(); ++k) {
        const Shape& s = parts[k].shape();
        bool same = s.size() == ref.size();
        for (std::size_t j = 0; same && j < s.size(); ++j) same = j == d || s[j] == ref[j];
        if (!same)
            throw ShapeError("cat: sizes must match except in dimension " + std::to_string(d) + ": tensor " +
                             std::to_string(origin[0]) + " is " + describe(parts[0]) + ", tensor " +
                             std::to_string(origin[k]) + " is " + describe(parts[k]));
        out[d] += s[d];
    }
    checked_numel("cat", out);
    return apply("cat", std::move(parts),
        [d, out](Inputs in) {
            return visit_any(in[0], [&](const auto& first_values) -> Array {
                using T = value_t<decltype(first_values)>;
                Values<T> r = Values<T>::from_shape(out);
                const auto s = split_axis(out, d);
                std::size_t offset = 0;
                for (std::size_t k = 0; k < in.size(); ++k) {
                    const auto& v = get<T>(in[k]);
                    const std::size_t n = v.shape()[d];
                    for (std::size_t o = 0; o < s.outer && n > 0; ++o)
                        std::copy_n(v.data() + o * n * s.inner, n * s.inner, r.data() + (o * s.n + offset) * s.inner);
                    offset += n;
                }
                return r;
            });
        },
        // each operand's gradient is its block of the result's
        [d](const BackwardArgs& c) -> Grads {
            return visit_float(c.grad, [&](const auto& g) -> Grads {
                using T = value_t<decltype(g)>;
                const auto s = split_axis(g.shape(), d);
                Grads grads(c.in.size());
                std::size_t offset = 0;
                for (std::size_t k = 0; k < c.in.size(); ++k) {
                    const Shape& shape = shape_of(c.in[k]);
                    const std::size_t n = shape[d];
                    if (c.needs[k]) {
                        Values<T> part = Values<T>::from_shape(shape);
                        for (std::size_t o = 0; o < s.outer && n > 0; ++o)
                            std::copy_n(g.data() + (o * s.n + offset) * s.inner, n * s.inner, part.data() + o * n * s.inner);
                        grads[k] = Array(std::move(part));
                    }
                    offset += n;
                }
                return grads;
            });
        });
}

Tensor stack(const std::vector<Tensor>& tensors, int dim) {
    if (tensors.empty()) throw std::invalid_argument("stack: expected a non-empty list of tensors");
    std::vector<Tensor> parts;
    for (std::size_t k = 0; k < tensors.size(); ++k) {
        if (!tensors[k].defined()) throw std::invalid_argument("stack: tensor " + std::to_string(k) + " is an undefined tensor");
        if (tensors[k].shape() != tensors[0].shape())
            throw ShapeError("stack: expects tensors of one shape: tensor 0 is " + describe(tensors[0]) + ", tensor " +
                             std::to_string(k) + " is " + describe(tensors[k]));
    }
    const auto n = static_cast<int>(tensors[0].dim());
    if (dim < -n - 1 || dim > n)
        throw std::invalid_argument("stack: dimension " + std::to_string(dim) + " is out of range for tensors of shape " +
                                    shape_str(tensors[0].shape()));
    const int at = dim < 0 ? dim + n + 1 : dim;
    for (const auto& t : tensors) parts.push_back(unsqueeze(t, at));
    return cat(parts, at);
}

std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes, int dim) {
    const std::size_t d = detail::normalize_axis("split", dim, x.shape());
    std::int64_t total = 0;
    for (auto s : sizes) {
        if (s < 0) throw std::invalid_argument("split: negative size " + std::to_string(s));
        total += s;
    }
    if (total != static_cast<std::int64_t>(x.shape()[d]))
        throw std::invalid_argument("split: sizes add up to " + std::to_string(total) + ", but dimension " +
                                    std::to_string(d) + " of shape " + shape_str(x.shape()) + " has " +
                                    std::to_string(x.shape()[d]));
    std::vector<Tensor> out;
    std::int64_t start = 0;
    for (auto s : sizes) {
        out.push_back(narrow(x, static_cast<int>(d), start, s));
        start += s;
    }
    return out;
}

std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, int dim) {
    const std::size_t d = detail::normalize_axis("split", dim, x.shape());
    const auto n = static_cast<std::int64_t>(x.shape()[d]);
    if (split_size < 0 || (split_size == 0 && n > 0))
        throw std::invalid_argument("split: split_size must be positive, got " + std::to_string(split_size) +
                                    " for dimension " + std::to_string(d) + " of shape " + shape_str(x.shape()));
    // a piece is a tensor: an empty one 2^40 long must not become 2^40 pieces (a hang, not an answer)
    const std::int64_t pieces = split_size ? (n + split_size - 1) / split_size : 0;
    if (static_cast<std::size_t>(pieces) > std::max<std::size_t>(x.numel(), std::size_t{1} << 20))
        throw std::invalid_argument("split: " + std::to_string(pieces) + " pieces of " + describe(x) + " along dimension " +
                                    std::to_string(d) + " are more than it has elements (or 2^20)");
    std::vector<std::int64_t> sizes;
    for (std::int64_t at = 0; at < n; at += split_size) sizes.push_back(std::min(split_size, n - at));
    if (sizes.empty()) sizes.push_back(0);  // as PyTorch: one empty piece
    return split(x, sizes, static_cast<int>(d));
}

std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, int dim) {
    if (chunks <= 0) throw std::invalid_argument("chunk: chunks must be positive, got " + std::to_string(chunks));
    const std::size_t d = detail::normalize_axis("chunk", dim, x.shape());
    const auto n = static_cast<std::int64_t>(x.shape()[d]);
    const std::int64_t size = std::max<std::int64_t>((n + chunks - 1) / chunks, 1);
    return split(x, size, static_cast<int>(d));
}

}  // namespace xgrad
