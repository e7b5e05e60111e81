#include "ops/common.hpp"

#include <xtensor/xmath.hpp>

namespace xgrad::detail {

void throw_shapes(std::string_view op, std::string_view what, const Shape& lhs, const Shape& rhs) {
    throw ShapeError(std::string(op) + ": " + std::string(what) + ": lhs " + shape_str(lhs) + " vs rhs " +
                     shape_str(rhs));
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

Array sum_to(Array&& grad, const Shape& shape) {
    if (shape_of(grad) == shape) return std::move(grad);
    return sum_to(std::as_const(grad), shape);
}

Array sum_to(const Array& grad, const Shape& shape) {
    const Shape& from = shape_of(grad);
    if (from == shape) return grad;
    // One pass over the gradient: element i adds into the target element whose index drops the
    // leading axes and pins broadcast (extent-1) axes at 0, i.e. target strides of 0 there.
    const std::size_t nd = from.size(), lead = nd - shape.size();
    Shape stride(nd, 0);  // inline storage up to 4 dimensions: no allocation
    for (std::size_t d = nd, s = 1; d-- > lead;) {
        const std::size_t extent = shape[d - lead];
        stride[d] = extent == 1 ? 0 : s;
        s *= extent;
    }
    return std::visit([&](const auto& g) -> Array {
        using T = value_t<decltype(g)>;
        Values<T> out = xt::zeros<T>(shape);
        const T* src = g.data();
        T* dst = out.data();
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
    }, grad);
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

}  // namespace xgrad::detail
