#include "ops/common.hpp"

#include <xtensor/xmath.hpp>

namespace xgrad::detail {

void throw_shapes(std::string_view op, std::string_view what, const Shape& lhs, const Shape& rhs) {
    throw ShapeError(std::string(op) + ": " + std::string(what) + ": lhs " + shape_str(lhs) + " vs rhs " +
                     shape_str(rhs));
}

Tensor floating(const Tensor& x) { return x.is_floating_point() ? x : x.to(Dtype::float32); }

namespace {
int category(Dtype d) { return d == Dtype::boolean ? 0 : d == Dtype::int64 ? 1 : 2; }
}  // namespace

Dtype result_type(const Tensor& a, const Tensor& b) {
    const Dtype da = a.dtype(), db = b.dtype();
    const bool za = a.dim() == 0, zb = b.dim() == 0;
    if (za == zb) return promote_types(da, db);
    const Dtype dims = za ? db : da, zero = za ? da : db;  // the dimensioned operand and the 0-d one
    return category(zero) > category(dims) ? zero : dims;
}

std::pair<Tensor, Tensor> promoted(const Tensor& a, const Tensor& b) {
    const Dtype d = result_type(a, b);
    return {a.to(d), b.to(d)};
}

void require_floating(std::string_view op, const Tensor& x) {
    if (!x.is_floating_point())
        throw DtypeError(std::string(op) + ": expected a floating-point tensor, got " + describe(x) + " (convert it with .to(float32))");
}

void require_index(std::string_view op, const Tensor& index, std::string_view role) {
    if (index.dtype() != Dtype::int64)
        throw DtypeError(std::string(op) + ": the " + std::string(role) + " tensor must be int64, got " + describe(index) +
                         (index.is_floating_point() ? " (convert it with .to(int64))" : ""));
}

Shape broadcast_strides(const Shape& shape, std::size_t rank) {
    Shape s(rank, 0);
    const std::size_t lead = rank - shape.size();
    for (std::size_t d = rank, step = 1; d-- > lead;) {
        const std::size_t extent = shape[d - lead];
        s[d] = extent == 1 ? 0 : step;
        step *= extent;
    }
    return s;
}

Shape broadcast_shapes(std::string_view op, const Shape& lhs, const Shape& rhs) {
    const std::size_t n = std::max(lhs.size(), rhs.size());
    Shape out(n);
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t a = i < n - lhs.size() ? 1 : lhs[i - (n - lhs.size())];
        std::size_t b = i < n - rhs.size() ? 1 : rhs[i - (n - rhs.size())];
        if (a != b && a != 1 && b != 1) throw_shapes(op, "shapes cannot be broadcast together", lhs, rhs);
        out[i] = a == 1 ? b : a;
    }
    checked_numel(op, out);
    return out;
}

// dst[k] += src[r inner + k] for r < rows, k < inner: a gradient summed over its leading rows (a
// bias's), in the vector copies (each dst[k] adds its rows in the same order as a plain loop).
template <class T>
XGRAD_VECTOR_CLONES void add_rows(const T* __restrict src, T* __restrict dst, std::size_t rows, std::size_t inner) {
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t k = 0; k < inner; ++k) dst[k] += src[r * inner + k];
}

// Σ of g (of shape `from`) into `shape`, through target strides (0 along broadcast axes).
template <class T, class G>
Values<T> sum_into(const G& g, const Shape& from, const Shape& shape, const Shape& stride) {
    const std::size_t nd = from.size();
    Values<T> out = xt::zeros<T>(shape);
    const T* src = g.data();
    T* dst = out.data();
    if (shape.size() <= nd && out.size() > 0 && std::equal(shape.begin(), shape.end(), from.end() - shape.size())) {
        add_rows(src, dst, g.size() / out.size(), out.size());  // only leading axes summed away
        return out;
    }
    const std::size_t inner = nd ? from[nd - 1] : 1, inner_stride = nd ? stride[nd - 1] : 0;
    Shape index(nd, 0);
    for (std::size_t i = 0, n = g.size(); i < n; i += inner) {
        std::size_t base = 0;
        for (std::size_t d = 0; d + 1 < nd; ++d) base += index[d] * stride[d];
        if (inner_stride == 1) {  // the common case (a bias's gradient): one vectorised row add
            T* __restrict row = dst + base;
            const T* __restrict in = src + i;
            for (std::size_t k = 0; k < inner; ++k) row[k] += in[k];
        } else {
            for (std::size_t k = 0; k < inner; ++k) dst[base + k * inner_stride] += src[i + k];
        }
        for (std::size_t d = nd - 1; d-- > 0;) {  // next row: carry through the outer axes
            if (++index[d] < from[d]) break;
            index[d] = 0;
        }
    }
    return out;
}

Array reshaped(Array a, const Shape& shape) {
    visit_any(a, [&](auto& v) { v.reshape(shape); });
    return a;
}

Array sum_to(Array&& grad, const Shape& shape) {
    if (shape_of(grad) == shape) return std::move(grad);
    return sum_to(std::as_const(grad), shape);
}

Array sum_to(const Array& grad, const Shape& shape) {
    const Shape& from = shape_of(grad);
    if (from == shape) return grad;
    // One pass over the gradient: element i adds into the target element whose index drops the
    // leading axes and pins broadcast (extent-1) axes at 0, i.e. target strides of 0 there.
    const Shape stride = broadcast_strides(shape, from.size());
    return visit_any(grad, [&](const auto& g) -> Array {
        using T = value_t<decltype(g)>;
        if constexpr (std::is_same_v<T, bool>) {
            throw std::logic_error("xgrad: sum_to of a bool array (convert it to int64 first)");
        } else if constexpr (std::is_same_v<T, std::int64_t>) {  // wrapping, as PyTorch's integer sums
            Values<std::uint64_t> u = xt::cast<std::uint64_t>(g);
            Values<T> out = Values<T>::from_shape(shape);
            auto wide = sum_into<std::uint64_t>(u, from, shape, stride);
            std::transform(wide.begin(), wide.end(), out.begin(), [](std::uint64_t v) { return static_cast<std::int64_t>(v); });
            return out;
        } else if (std::all_of(shape.begin(), shape.end(), [](std::size_t e) { return e == 1; })) {
            Values<T> out = Values<T>::from_shape(shape);  // a sum of everything, accumulated in double
            *out.data() = static_cast<T>(sum_in_double(g.data(), g.size()));
            return out;
        } else {
            return sum_into<T>(g, from, shape, stride);
        }
    });
}

std::size_t normalize_axis(std::string_view op, int axis, const Shape& shape) {
    const auto n = static_cast<int>(shape.size());
    if (axis < -n || axis >= n || n == 0)
        throw std::invalid_argument(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for shape " +
                                    shape_str(shape) + " (" + std::to_string(n) + " dimensions)");
    return static_cast<std::size_t>(axis < 0 ? axis + n : axis);
}

AxisSplit split_axis(const Shape& shape, std::size_t axis) {
    AxisSplit s;
    for (std::size_t d = 0; d < shape.size(); ++d) {
        if (d < axis) s.outer *= shape[d];
        else if (d == axis) s.n = shape[d];
        else s.inner *= shape[d];
    }
    // An empty shape has no slices: (2^32, 3, 0) would otherwise loop 2^32 * 3 times over nothing.
    if (s.n == 0 || s.inner == 0) s.outer = 0;
    return s;
}

Shape reduced_shape(const Shape& shape, std::size_t axis, bool keepdims) {
    if (keepdims) return keepdims_shape(shape, axis);
    Shape s;
    for (std::size_t d = 0; d < shape.size(); ++d)
        if (d != axis) s.push_back(shape[d]);
    return s;
}

Shape keepdims_shape(const Shape& shape, std::size_t axis) {
    Shape s = shape;
    s[axis] = 1;
    return s;
}

std::size_t padding_row(std::string_view who, std::int64_t padding_idx, std::size_t rows) {
    const auto n = static_cast<std::int64_t>(rows);
    if (padding_idx < -n || padding_idx >= n)
        throw std::out_of_range(std::string(who) + ": padding_idx " + std::to_string(padding_idx) + " is out of range for " +
                                std::to_string(n) + " embeddings (expected one in [" + std::to_string(-n) + ", " + std::to_string(n) + "))");
    return static_cast<std::size_t>(padding_idx < 0 ? padding_idx + n : padding_idx);
}

}  // namespace xgrad::detail
