#include "autograd/runtime/array.hpp"

#include <algorithm>
#include <limits>
#include <sstream>

namespace xgrad {

namespace {
// A float truncated toward zero; NaN and out-of-range values (undefined behaviour for a plain
// cast) become INT64_MIN, as x86's cvttsd2si gives PyTorch.
template <class S>
std::int64_t to_int64(S v) {
    if (!(v > S(-0x1p63) - S(1) && v < S(0x1p63))) return std::numeric_limits<std::int64_t>::min();
    return static_cast<std::int64_t>(v);
}
}  // namespace

std::string_view dtype_name(Dtype dtype) {
    switch (dtype) {
    case Dtype::float32: return "float32";
    case Dtype::float64: return "float64";
    case Dtype::int64: return "int64";
    case Dtype::boolean: return "bool";
    }
    return "unknown";
}

std::string shape_str(std::span<const std::size_t> shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + ")";
}

std::string describe(const Array& a) {
    return std::string(dtype_name(dtype_of_array(a))) + " " + shape_str(shape_of(a));
}

Array cast(const Array& a, Dtype dtype) {
    // as PyTorch: floats truncate toward zero into int64, and anything non-zero is true
    return dispatch_any(dtype, [&](auto zero) -> Array {
        using T = decltype(zero);
        return visit_any(a, [](const auto& x) {
            Values<T> out = Values<T>::from_shape(x.shape());
            std::transform(x.begin(), x.end(), out.begin(), [](auto v) {
                using S = decltype(v);
                if constexpr (std::is_same_v<T, bool>) return v != S(0);
                else if constexpr (std::is_same_v<T, std::int64_t> && std::is_floating_point_v<S>) return to_int64(v);
                else return static_cast<T>(v);
            });
            return out;
        });
    });
}

double sum_of_squares(const Array& a) {
    return visit_any(a, [](const auto& x) {
        double s = 0;
        for (auto v : x) s += static_cast<double>(v) * static_cast<double>(v);
        return s;
    });
}

std::string number_str(double value) {
    std::ostringstream s;
    s << value;
    return s.str();
}

std::size_t checked_numel(std::string_view op, const Shape& shape) {
    // Zero extents are left out of the product: xtensor's strides multiply the others even in an
    // empty array, as signed integers ((2^62, 2, 0) overflows them).
    std::size_t n = 1;
    bool overflow = false, empty = false;
    for (std::size_t d : shape) {
        empty = empty || d == 0;
        overflow = (d != 0 && __builtin_mul_overflow(n, d, &n)) || overflow;
    }
    if (overflow || n > (std::size_t{1} << 60))
        throw ShapeError(std::string(op) + ": shape " + shape_str(shape) + " has more elements than any buffer holds (" +
                         (overflow ? std::string("the product overflows") : std::to_string(n)) + ")");
    return empty ? 0 : n;
}

std::string out_of_memory_message(std::string_view op, Dtype dtype, const Shape& shape) {
    std::size_t n = 1;
    for (std::size_t d : shape) n *= d;
    const double bytes = static_cast<double>(n) * static_cast<double>(element_size(dtype));
    std::ostringstream s;
    s << op << ": out of memory for a " << dtype_name(dtype) << ' ' << shape_str(shape) << " result (";
    if (bytes >= 0x1p30) s << bytes / 0x1p30 << " GiB)";
    else s << bytes / 0x1p20 << " MiB)";
    return s.str();
}

}  // namespace xgrad
