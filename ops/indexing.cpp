#include "ops/indexing.hpp"

#include <algorithm>
#include <string>

#include "ops/common.hpp"
#include "ops/elementwise.hpp"
#include "ops/shape.hpp"

namespace xgrad {

using detail::reshaped;
using detail::split_axis;
using detail::value_t;

namespace {

std::string size_text(std::size_t dim, const Shape& shape) {
    return "dimension " + std::to_string(dim) + " of size " + std::to_string(shape[dim]) + " (shape " + shape_str(shape) + ")";
}

// An index in [-n, n) as one in [0, n); throws std::out_of_range naming `op`, the index and the size.
std::size_t checked_index(std::string_view op, std::int64_t i, std::size_t dim, const Shape& shape) {
    const auto n = static_cast<std::int64_t>(shape[dim]);
    if (i < -n || i >= n)
        throw std::out_of_range(std::string(op) + ": index " + std::to_string(i) + " is out of range for " + size_text(dim, shape));
    return static_cast<std::size_t>(i < 0 ? i + n : i);
}

// The values of an int64 index tensor, each checked against `dim` of `shape` (negative ones wrapped).
std::vector<std::size_t> index_values(std::string_view op, const Tensor& index, std::size_t dim, const Shape& shape) {
    detail::require_index(op, index);
    const auto& v = index.data<std::int64_t>();
    std::vector<std::size_t> out(v.size());
    for (std::size_t k = 0; k < v.size(); ++k) out[k] = checked_index(op, v.data()[k], dim, shape);
    return out;
}

// The entries taken along an axis: a list (index_select, take_rows), or start, start + step, ...
// (select, narrow, slice), which is never materialised: an empty tensor may be 2^62 long there.
struct Picks {
    std::vector<std::size_t> list;
    std::size_t start = 0, step = 1, count = 0;
    bool listed = false;
    static Picks range(std::size_t start, std::size_t step, std::size_t count) { return {{}, start, step, count, false}; }
    static Picks of(std::vector<std::size_t> list) {
        Picks p;
        p.count = list.size(), p.list = std::move(list), p.listed = true;
        return p;
    }
    std::size_t size() const { return count; }
    std::size_t operator[](std::size_t k) const { return listed ? list[k] : start + k * step; }
    // True when the entries are i, i + 1, i + 2, ...: one block.
    bool contiguous() const {
        if (!listed) return step == 1 && count > 0;
        for (std::size_t k = 1; k < list.size(); ++k)
            if (list[k] != list[0] + k) return false;
        return !list.empty();
    }
};

// out (outer, m, inner) = x (outer, n, inner) at [o, idx[k], i], for any dtype
Array take_axis(const Array& a, std::size_t axis, const Picks& idx) {
    return visit_any(a, [&](const auto& x) -> Array {
        using T = value_t<decltype(x)>;
        Shape shape = x.shape();
        const auto s = split_axis(shape, axis);
        shape[axis] = idx.size();
        Values<T> out = Values<T>::from_shape(shape);
        const T* src = x.data();
        T* dst = out.data();
        const std::size_t m = idx.size();
        if (out.size() == 0) return out;
        if (idx.contiguous()) {  // narrow, chunk, slice with step 1: one block per outer index
            for (std::size_t o = 0; o < s.outer; ++o)
                std::copy_n(src + (o * s.n + idx[0]) * s.inner, m * s.inner, dst + o * m * s.inner);
            return out;
        }
        for (std::size_t o = 0; o < s.outer; ++o)
            for (std::size_t k = 0; k < m; ++k)
                std::copy_n(src + (o * s.n + idx[k]) * s.inner, s.inner, dst + (o * m + k) * s.inner);
        return out;
    });
}

// dst[o, idx[k], i] += g[o, k, i]: the gradient of take_axis added into dst, of `shape`
template <class T>
XGRAD_VECTOR_CLONES void add_at_axis(T* dst, const Values<T>& g, const Shape& shape, std::size_t axis, const Picks& idx) {
    const auto s = split_axis(shape, axis);
    const std::size_t m = idx.size();
    const T* src = g.data();
    if (g.size() == 0) return;
    if (idx.contiguous()) {  // one block of m rows a step of the outer axes
        for (std::size_t o = 0, block = m * s.inner; o < s.outer; ++o) {
            T* __restrict row = dst + (o * s.n + idx[0]) * s.inner;
            const T* __restrict in = src + o * block;
            for (std::size_t i = 0; i < block; ++i) row[i] += in[i];
        }
        return;
    }
    for (std::size_t o = 0; o < s.outer; ++o)
        for (std::size_t k = 0; k < m; ++k) {
            T* __restrict row = dst + (o * s.n + idx[k]) * s.inner;
            const T* __restrict in = src + (o * m + k) * s.inner;
            for (std::size_t i = 0; i < s.inner; ++i) row[i] += in[i];
        }
}

// the gradient of take_axis: g (outer, m, inner) added into zeros of `shape` at [o, idx[k], i]
Array put_axis_add(const Array& grad, const Shape& shape, std::size_t axis, const Picks& idx) {
    return visit_float(grad, [&](const auto& g) -> Array {
        using T = value_t<decltype(g)>;
        const auto s = split_axis(shape, axis);
        const std::size_t m = idx.size();
        if (idx.contiguous() && g.size() > 0) {  // distinct entries in a block: copied, zeros around it
            Values<T> out = Values<T>::from_shape(shape);
            const T* src = g.data();
            T* dst = out.data();
            const std::size_t before = idx[0] * s.inner, block = m * s.inner, row = s.n * s.inner;
            for (std::size_t o = 0; o < s.outer; ++o) {
                T* r = dst + o * row;
                std::fill_n(r, before, T(0));
                std::copy_n(src + o * block, block, r + before);
                std::fill_n(r + before + block, row - before - block, T(0));
            }
            return out;
        }
        Values<T> out = xt::zeros<T>(shape);
        add_at_axis(out.data(), g, shape, axis, idx);
        return out;
    });
}

// The entries idx along `axis`, reshaped to `out_shape`; recorded with its gradient.
Tensor take(std::string name, const Tensor& x, std::size_t axis, Picks idx, Shape out_shape) {
    Shape taken = x.shape();
    taken[axis] = idx.size();
    checked_numel(name, taken);
    checked_numel(name, out_shape);  // an empty (2^32, 0) index into (5, 2^32) rows overflows xtensor's strides
    return detail::apply_owning(std::move(name), {x},
        [axis, idx, out_shape](Inputs in) { return reshaped(take_axis(in[0], axis, idx), out_shape); },
        // the gradient lands back on the entries taken, repeated ones adding up (reshaped in its own
        // buffer, not copied); added straight into the operand's gradient when the engine has begun one
        // (chunk's parts: no full-size gradient each, and no full-size sums)
        [axis, idx, taken](Array&& g, const detail::OwnedGradArgs& c) -> Grads {
            const Array grad = reshaped(std::move(g), taken);
            if (Array* sum = c.summed(0)) {
                visit_float(*sum, [&](auto& into) { add_at_axis(into.data(), get<value_t<decltype(into)>>(grad), into.shape(), axis, idx); });
                return Grads(1);
            }
            return make_grads(put_axis_add(grad, shape_of(c.in[0]), axis, idx));
        });
}

Shape without(const Shape& shape, std::size_t axis) { return detail::reduced_shape(shape, axis, false); }

}  // namespace

Tensor select(const Tensor& x, int dim, std::int64_t index) {
    const std::size_t d = detail::normalize_axis("select", dim, x.shape());
    const std::size_t i = checked_index("select", index, d, x.shape());
    return take("select", x, d, Picks::range(i, 1, 1), without(x.shape(), d));
}

Tensor narrow(const Tensor& x, int dim, std::int64_t start, std::int64_t length) {
    const std::size_t d = detail::normalize_axis("narrow", dim, x.shape());
    const auto n = static_cast<std::int64_t>(x.shape()[d]);
    const std::int64_t from = start < 0 ? start + n : start;
    if (from < 0 || from > n || length < 0 || length > n - from)
        throw std::out_of_range("narrow: start " + std::to_string(start) + " and length " + std::to_string(length) +
                                " do not fit in " + size_text(d, x.shape()));
    Shape out = x.shape();
    out[d] = static_cast<std::size_t>(length);
    return take("narrow", x, d, Picks::range(static_cast<std::size_t>(from), 1, out[d]), out);
}

Tensor slice(const Tensor& x, int dim, std::optional<std::int64_t> start, std::optional<std::int64_t> end, std::int64_t step) {
    const std::size_t d = detail::normalize_axis("slice", dim, x.shape());
    if (step <= 0) throw std::invalid_argument("slice: step must be positive, got " + std::to_string(step));
    const auto n = static_cast<std::int64_t>(x.shape()[d]);
    auto bound = [n](std::optional<std::int64_t> b, std::int64_t fallback) {
        std::int64_t v = b.value_or(fallback);
        if (v < 0) v += n;
        return std::clamp<std::int64_t>(v, 0, n);
    };
    const std::int64_t from = bound(start, 0), to = bound(end, n);
    const auto count = static_cast<std::size_t>(to > from ? (to - from + step - 1) / step : 0);
    Shape out = x.shape();
    out[d] = count;
    return take("slice", x, d, Picks::range(static_cast<std::size_t>(from), static_cast<std::size_t>(step), count), out);
}

Tensor index_select(const Tensor& x, int dim, const Tensor& index) {
    const std::size_t d = detail::normalize_axis("index_select", dim, x.shape());
    if (index.dim() > 1) throw ShapeError("index_select: the index must be 1-D or 0-d, got " + describe(index));
    auto idx = index_values("index_select", index, d, x.shape());
    Shape out = x.shape();
    out[d] = idx.size();
    return take("index_select", x, d, Picks::of(std::move(idx)), out);
}

Tensor take_rows(const Tensor& x, const Tensor& index) {
    if (x.dim() == 0) throw ShapeError("take_rows: cannot index rows of a 0-d tensor " + describe(x));
    auto idx = index_values("take_rows", index, 0, x.shape());
    Shape out = index.shape();
    for (std::size_t d = 1; d < x.dim(); ++d) out.push_back(x.shape()[d]);
    return take("take_rows", x, 0, Picks::of(std::move(idx)), out);
}

Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<std::int64_t> padding_idx) {
    if (weight.dim() != 2)
        throw ShapeError("embedding: expected a 2-D weight (num_embeddings, embedding_dim), got " + describe(weight));
    const Tensor rows = take_rows(weight, indices);
    if (!padding_idx) return rows;
    const auto pad = static_cast<std::int64_t>(detail::padding_row("embedding", *padding_idx, weight.shape()[0]));
    // where the index is the padding row, its values as a constant: a true zero derivative there
    // (check_graph verifies it), where PyTorch zeroes that row of the gradient by definition
    const Tensor at_pad = unsqueeze(eq(indices, Tensor::scalar(static_cast<double>(pad), {.dtype = Dtype::int64})), -1);
    return where(at_pad, select(weight, 0, pad).detach(), rows);  // detach copies: one row, not the table
}

namespace {

// Calls f(p, target) for each element p (row-major) of an index of `index_shape` whose values
// pick positions along `dim` of a tensor with strides `target_stride`: target is the flat offset
// of the element at p's multi-index with dimension dim replaced by the index value.
template <class F>
void walk_index(const Shape& index_shape, const std::int64_t* values, std::size_t dim, const Shape& target_stride, F f) {
    std::size_t n = 1;
    for (auto e : index_shape) n *= e;
    const std::size_t nd = index_shape.size();
    Shape at(nd, 0);
    for (std::size_t p = 0; p < n; ++p) {
        std::size_t offset = 0;
        for (std::size_t d = 0; d < nd; ++d)
            offset += (d == dim ? static_cast<std::size_t>(values[p]) : at[d]) * target_stride[d];
        f(p, offset);
        for (std::size_t d = nd; d-- > 0;) {
            if (++at[d] < index_shape[d]) break;
            at[d] = 0;
        }
    }
}

Shape strides_of(const Shape& shape) {
    Shape s(shape.size());
    for (std::size_t d = shape.size(), k = 1; d-- > 0;) s[d] = k, k *= shape[d];
    return s;
}

// The flat offsets of the elements of `shape` at the multi-indices of `index_shape` (row-major).
std::vector<std::size_t> positions(const Shape& index_shape, const Shape& shape) {
    const Shape stride = strides_of(shape);
    std::vector<std::size_t> out;
    std::size_t n = 1;
    for (auto e : index_shape) n *= e;
    out.reserve(n);
    const std::size_t nd = index_shape.size();
    Shape at(nd, 0);
    for (std::size_t p = 0; p < n; ++p) {
        std::size_t offset = 0;
        for (std::size_t d = 0; d < nd; ++d) offset += at[d] * stride[d];
        out.push_back(offset);
        for (std::size_t d = nd; d-- > 0;) {
            if (++at[d] < index_shape[d]) break;
            at[d] = 0;
        }
    }
    return out;
}

// gather's and scatter_add's index: int64, as many dimensions as x, values in range along dim,
// extents at most `limit`'s (x's, except along dim for gather) and `src`'s.
Values<std::int64_t> checked_scatter_index(std::string_view op, const Tensor& x, std::size_t dim, const Tensor& index,
                                           const Shape* src) {
    detail::require_index(op, index);
    if (index.dim() != x.dim())
        detail::throw_shapes(op, "the index must have as many dimensions as the input", index.shape(), x.shape());
    for (std::size_t d = 0; d < x.dim(); ++d) {
        if (d != dim && index.shape()[d] > x.shape()[d])
            detail::throw_shapes(op, "the index is larger than the input outside dimension " + std::to_string(dim),
                                 index.shape(), x.shape());
        if (src && index.shape()[d] > (*src)[d])
            detail::throw_shapes(op, "the index is larger than the source", index.shape(), *src);
    }
    Values<std::int64_t> v = index.data<std::int64_t>();
    for (auto& i : v) i = static_cast<std::int64_t>(checked_index(op, i, dim, x.shape()));
    return v;
}

}  // namespace

Tensor gather(const Tensor& x, int dim, const Tensor& index) {
    const std::size_t d = detail::normalize_axis("gather", dim, x.shape());
    const Values<std::int64_t> idx = checked_scatter_index("gather", x, d, index, nullptr);
    return apply("gather", {x},
        [d, idx](Inputs in) {
            return visit_any(in[0], [&](const auto& xv) -> Array {
                using T = value_t<decltype(xv)>;
                Values<T> out = Values<T>::from_shape(idx.shape());
                walk_index(idx.shape(), idx.data(), d, strides_of(xv.shape()),
                           [&](std::size_t p, std::size_t at) { out.data()[p] = xv.data()[at]; });
                return out;
            });
        },
        // each gathered element's gradient adds back at the place it came from
        [d, idx](const BackwardArgs& c) -> Grads {
            return make_grads(visit_float(c.grad, [&](const auto& g) -> Array {
                using T = value_t<decltype(g)>;
                const Shape& shape = shape_of(c.in[0]);
                Values<T> out = xt::zeros<T>(shape);
                walk_index(idx.shape(), idx.data(), d, strides_of(shape), [&](std::size_t p, std::size_t at) { out.data()[at] += g.data()[p]; });
                return out;
            }));
        });
}

Tensor scatter_add(const Tensor& x, int dim, const Tensor& index, const Tensor& src) {
    const std::size_t d = detail::normalize_axis("scatter_add", dim, x.shape());
    if (src.dim() != x.dim()) detail::throw_shapes("scatter_add", "the source must have as many dimensions as the input", src.shape(), x.shape());
    const Values<std::int64_t> idx = checked_scatter_index("scatter_add", x, d, index, &src.shape());
    if (x.dtype() != src.dtype())
        throw DtypeError("scatter_add: the input and the source have different dtypes: " + describe(x) + " vs " + describe(src));
    const std::vector<std::size_t> from = positions(idx.shape(), src.shape());
    return apply("scatter_add", {x, src},
        [d, idx, from](Inputs in) {
            return visit_any(in[0], [&](const auto& xv) -> Array {
                using T = value_t<decltype(xv)>;
                Values<T> out = xv;
                const T* s = get<T>(in[1]).data();
                walk_index(idx.shape(), idx.data(), d, strides_of(xv.shape()),
                           [&](std::size_t p, std::size_t at) { out.data()[at] = static_cast<T>(out.data()[at] + s[from[p]]); });
                return out;
            });
        },
        // dx = g; dsrc = g at the places each source element was added to (0 for those not used)
        [d, idx, from](const BackwardArgs& c) -> Grads {
            Grads out(2);
            if (c.needs[0]) out[0] = c.grad;
            if (c.needs[1])
                out[1] = visit_float(c.grad, [&](const auto& g) -> Array {
                    using T = value_t<decltype(g)>;
                    Values<T> gs = xt::zeros<T>(shape_of(c.in[1]));
                    walk_index(idx.shape(), idx.data(), d, strides_of(g.shape()),
                               [&](std::size_t p, std::size_t at) { gs.data()[from[p]] = g.data()[at]; });
                    return gs;
                });
            return out;
        });
}

namespace {

// out[at + j] = m[j] ? fill : x[at + j] for each tile of `tile` values, x and out distinct, or (x
// null) in place over out: with one array or two that cannot overlap, the loop vectorises (an
// in-place call of the two-array form would fail the compiler's overlap check and run scalar).
template <class T>
XGRAD_VECTOR_CLONES void select_tiles(const T* __restrict x, const bool* __restrict mask, std::size_t tile, std::size_t total,
                                      T fill, T* __restrict out) {
    const auto* const m = reinterpret_cast<const unsigned char*>(mask);  // bytes: GCC vectorises no bool loads
    for (std::size_t at = 0; at < total; at += tile) {
        const T* const src = x ? x + at : out + at;
        for (std::size_t j = 0; j < tile; ++j) {
            const T v = src[j];  // read unconditionally: a select, not a branch
            out[at + j] = m[j] != 0 ? fill : v;
        }
    }
}

// out[i] = mask[i] ? fill : x[i] with the mask broadcast to `shape`; out may be x. A mask that is
// `shape`'s trailing block (an attention mask (T, T) under (B, H, T, T)) repeats in vector loops.
template <class T>
void masked_assign(const T* x, const Values<bool>& mask, const Shape& shape, T fill, T* out) {
    const Shape& ms = mask.shape();
    std::size_t lead = 0;  // the mask's leading 1s, which broadcast drops
    while (lead < ms.size() && ms[lead] == 1) ++lead;
    const bool block = ms.size() - lead <= shape.size() && std::equal(ms.begin() + lead, ms.end(), shape.end() - (ms.size() - lead));
    const bool* m = mask.data();
    if (block && mask.size() > 0) {
        std::size_t total = 1;
        for (auto d : shape) total *= d;
        if (x == out) select_tiles<T>(nullptr, m, mask.size(), total, fill, out);
        else select_tiles(x, m, mask.size(), total, fill, out);
        return;
    }
    detail::for_each_broadcast(shape, shape, ms, [&](std::size_t i, std::size_t, std::size_t im) { out[i] = m[im] ? fill : x[i]; });
}

}  // namespace

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
    if (mask.dtype() != Dtype::boolean) throw DtypeError("masked_fill: the mask must be bool, got " + describe(mask) + " (compare to get one: x > 0)");
    if (detail::broadcast_shapes("masked_fill", x.shape(), mask.shape()) != x.shape())
        detail::throw_shapes("masked_fill", "the mask does not broadcast to the input's shape", x.shape(), mask.shape());
    if (x.dtype() == Dtype::int64 && !(std::abs(value) < 0x1p63) )
        throw std::invalid_argument("masked_fill: " + number_str(value) + " is not an int64 value");
    return detail::apply_owning("masked_fill", {x, mask},
        [value](Inputs in) {
            return visit_any(in[0], [&](const auto& xv) -> Array {
                using T = value_t<decltype(xv)>;
                Values<T> out = Values<T>::from_shape(xv.shape());
                const T fill = std::is_same_v<T, bool> ? T(value != 0) : static_cast<T>(value);
                masked_assign(xv.data(), get<bool>(in[1]), xv.shape(), fill, out.data());
                return out;
            });
        },
        // the gradient passes where the mask is false (in place over the engine's buffer)
        [](Array&& g, const detail::OwnedGradArgs& c) -> Grads {
            visit_float(g, [&](auto& gv) {
                using T = value_t<decltype(gv)>;
                masked_assign(gv.data(), get<bool>(c.in[1]), gv.shape(), T(0), gv.data());
            });
            return make_grads(std::move(g), std::nullopt);
        });
}

namespace {

// The row-major positions where a bool array is true, as a 1-D int64 tensor.
Tensor true_positions(const Values<bool>& mask) {
    std::vector<std::int64_t> at;
    for (std::size_t i = 0; i < mask.size(); ++i)
        if (mask.data()[i]) at.push_back(static_cast<std::int64_t>(i));
    const std::size_t n = at.size();
    return Tensor::from(at, {n});
}

}  // namespace

Tensor masked_select(const Tensor& x, const Tensor& mask) {
    if (mask.dtype() != Dtype::boolean)
        throw DtypeError("masked_select: the mask must be bool, got " + describe(mask) + " (compare to get one: x > 0)");
    const Shape shape = detail::broadcast_shapes("masked_select", x.shape(), mask.shape());
    const Tensor m = mask.shape() == shape ? mask : broadcast_to(mask, shape);
    const Tensor xs = x.shape() == shape ? x : broadcast_to(x, shape);
    // the selected elements of the flattened input: index_select's gradient puts them back
    return index_select(reshape(xs, {-1}), 0, true_positions(m.data<bool>()));
}

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
    if (condition.dtype() != Dtype::boolean)
        throw DtypeError("where: the condition must be bool, got " + describe(condition) + " (compare to get one: x > 0)");
    Tensor x, y;
    std::tie(x, y) = detail::promoted(a, b);
    const Shape xy = detail::broadcast_shapes("where", x.shape(), y.shape());
    const Shape out = detail::broadcast_shapes("where", condition.shape(), xy);
    // the condition broadcast to the result's shape
    auto spread = [out](const Array& cond) {
        Values<bool> c = Values<bool>::from_shape(out);
        const bool* src = get<bool>(cond).data();
        detail::for_each_broadcast(out, shape_of(cond), out, [&](std::size_t i, std::size_t ic, std::size_t) { c.data()[i] = src[ic]; });
        return c;
    };
    return apply("where", {condition, x, y},
        [out, spread](Inputs in) {
            const Values<bool> c = spread(in[0]);
            return visit_any(in[1], [&](const auto& xv) -> Array {
                using T = value_t<decltype(xv)>;
                const T* yp = get<T>(in[2]).data();
                Values<T> r = Values<T>::from_shape(out);
                detail::for_each_broadcast(out, xv.shape(), shape_of(in[2]), [&](std::size_t i, std::size_t ia, std::size_t ib) {
                    r.data()[i] = c.data()[i] ? xv.data()[ia] : yp[ib];
                });
                return r;
            });
        },
        // da = g where the condition holds, db = g where it does not, each summed to its shape
        [out, spread](const BackwardArgs& c) -> Grads {
            const Values<bool> cond = spread(c.in[0]);
            Grads grads(3);
            for (std::size_t k = 1; k <= 2; ++k) {
                if (!c.needs[k]) continue;
                Array g = c.grad;
                visit_float(g, [&](auto& gv) {
                    for (std::size_t i = 0; i < gv.size(); ++i)
                        if (cond.data()[i] != (k == 1)) gv.data()[i] = 0;
                });
                grads[k] = detail::sum_to(std::move(g), shape_of(c.in[k]));
            }
            return grads;
        });
}

Tensor one_hot(const Tensor& labels, std::int64_t num_classes) {
    detail::require_index("one_hot", labels, "labels");
    const auto& v = labels.data<std::int64_t>();
    if (num_classes == -1) {
        if (v.size() == 0) throw std::invalid_argument("one_hot: cannot infer num_classes from empty labels; pass it");
        num_classes = *std::max_element(v.begin(), v.end()) + 1;
    }
    if (num_classes < 0) throw std::invalid_argument("one_hot: num_classes must be positive or -1, got " + std::to_string(num_classes));
    for (std::size_t k = 0; k < v.size(); ++k)
        if (v.data()[k] < 0 || v.data()[k] >= num_classes)
            throw std::out_of_range("one_hot: label " + std::to_string(v.data()[k]) + " at position " + std::to_string(k) +
                                    " is out of range for " + std::to_string(num_classes) + " classes");
    Shape shape = labels.shape();
    shape.push_back(static_cast<std::size_t>(num_classes));
    checked_numel("one_hot", shape);
    Values<std::int64_t> out = xt::zeros<std::int64_t>(shape);
    const auto c = static_cast<std::size_t>(num_classes);
    for (std::size_t k = 0; k < v.size(); ++k) out.data()[k * c + static_cast<std::size_t>(v.data()[k])] = 1;
    return Tensor(std::move(out));
}

Tensor index(const Tensor& x, const std::vector<TensorIndex>& indices) {
    std::size_t consuming = 0, ellipses = 0;
    for (const auto& entry : indices) {
        const auto& e = entry.base();
        if (std::holds_alternative<Ellipsis>(e)) ++ellipses;
        else if (const auto* t = std::get_if<Tensor>(&e); t && t->defined() && t->dtype() == Dtype::boolean) consuming += t->dim();
        else if (!std::holds_alternative<NewAxis>(e)) ++consuming;
    }
    if (ellipses > 1) throw std::invalid_argument("index: at most one ellipsis, got " + std::to_string(ellipses));
    if (consuming > x.dim())
        throw std::invalid_argument("index: too many indices for shape " + shape_str(x.shape()) + ": " +
                                    std::to_string(consuming) + " given");
    Tensor r = x;
    std::size_t d = 0;  // the dimension of r that the next entry applies to
    for (std::size_t k = 0; k < indices.size(); ++k) {
        const auto& e = indices[k].base();
        const int dim = static_cast<int>(d);
        if (const auto* i = std::get_if<std::int64_t>(&e)) {
            r = select(r, dim, *i);
        } else if (const auto* s = std::get_if<Slice>(&e)) {
            r = slice(r, dim, s->start, s->stop, s->step);
            ++d;
        } else if (std::holds_alternative<NewAxis>(e)) {
            r = unsqueeze(r, dim);
            ++d;
        } else if (std::holds_alternative<Ellipsis>(e)) {
            d += x.dim() - consuming;
        } else {
            const Tensor& t = std::get<Tensor>(e);
            if (!t.defined()) throw std::invalid_argument("index: entry " + std::to_string(k) + " is an undefined tensor");
            if (t.dtype() == Dtype::boolean) {
                // a mask over dimensions d .. d + t.dim() - 1, which become one: its true positions
                const Shape& rs = r.shape();
                const Shape covered(rs.begin() + static_cast<std::ptrdiff_t>(d),
                                    rs.begin() + static_cast<std::ptrdiff_t>(std::min(rs.size(), d + t.dim())));
                if (covered != t.shape())
                    throw ShapeError("index: the bool mask at entry " + std::to_string(k) + ", " + describe(t) +
                                     ", does not match the dimensions it covers, " + shape_str(covered) + ", of " + shape_str(rs));
                std::vector<std::int64_t> merged(rs.begin(), rs.begin() + static_cast<std::ptrdiff_t>(d));
                merged.push_back(static_cast<std::int64_t>(t.numel()));
                for (std::size_t j = d + t.dim(); j < rs.size(); ++j) merged.push_back(static_cast<std::int64_t>(rs[j]));
                r = index_select(reshape(r, merged), dim, true_positions(t.data<bool>()));
                ++d;
                continue;
            }
            detail::require_index("index", t);
            // the index's shape takes the place of dimension d
            Shape out;
            for (std::size_t j = 0; j < d; ++j) out.push_back(r.shape()[j]);
            for (auto e2 : t.shape()) out.push_back(e2);
            for (std::size_t j = d + 1; j < r.dim(); ++j) out.push_back(r.shape()[j]);
            std::vector<std::int64_t> request(out.begin(), out.end());
            r = reshape(index_select(r, dim, reshape(t, {-1})), request);
            d += t.dim();
        }
    }
    return r;
}

Tensor Tensor::index(std::initializer_list<TensorIndex> indices) const { return xgrad::index(*this, std::vector<TensorIndex>(indices)); }

}  // namespace xgrad
