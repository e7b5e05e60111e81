#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

#include <xtensor/xarray.hpp>

#include "autograd/runtime/errors.hpp"
#include "autograd/runtime/memory.hpp"

namespace xgrad {

/// Element type of a tensor, chosen at run time: float32 trains, float64 verifies, int64 holds
/// indices and labels, boolean masks. Only the floating dtypes can require a gradient.
enum class Dtype { float32, float64, int64, boolean };

inline constexpr Dtype float32 = Dtype::float32;
inline constexpr Dtype float64 = Dtype::float64;
inline constexpr Dtype int64 = Dtype::int64;
inline constexpr Dtype boolean = Dtype::boolean;

/// "float32", "float64", "int64" or "bool" (PyTorch's names).
std::string_view dtype_name(Dtype dtype);

/// True for float32 and float64.
constexpr bool is_floating_point(Dtype dtype) { return dtype == Dtype::float32 || dtype == Dtype::float64; }

/// The dtype two operands of these dtypes compute in, as torch.promote_types: bool < int64 <
/// float32 < float64.
constexpr Dtype promote_types(Dtype a, Dtype b) {
    auto rank = [](Dtype d) { return d == Dtype::boolean ? 0 : d == Dtype::int64 ? 1 : d == Dtype::float32 ? 2 : 3; };
    return rank(a) >= rank(b) ? a : b;
}

/// The values of a tensor of element type T: a row-major xtensor array whose storage comes from
/// the buffer cache (autograd/memory.hpp). Converts to and from xt::xarray<T> by copying.
template <class T>
using Values = xt::xarray<T, xt::layout_type::row_major, BufferAllocator<T>>;

/// A tensor's shape, one extent per dimension (xtensor's own shape type: no conversion).
using Shape = Values<float>::shape_type;

/// A C++ element type a tensor can hold: float, double, std::int64_t or bool.
template <class T>
concept Element = std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, std::int64_t> ||
                  std::is_same_v<T, bool>;

/// The values of a tensor: float, double, int64 or bool, in the order of Dtype. A std::variant
/// (std::visit, std::get_if and index() work on it) that also takes an xt::xarray of one of
/// those, copying it into tensor storage. Kernels visit it with visit_float or visit_any.
class Array : public std::variant<Values<float>, Values<double>, Values<std::int64_t>, Values<bool>> {
public:
    using Base = std::variant<Values<float>, Values<double>, Values<std::int64_t>, Values<bool>>;
    using Base::Base;
    template <Element T>
    Array(const xt::xarray<T>& values) : Base(Values<T>(values)) {}  // NOLINT: implicit, as a variant
};

/// Maps a C++ element type to its Dtype.
template <Element T>
inline constexpr Dtype dtype_of = std::is_same_v<T, float>          ? Dtype::float32
                                  : std::is_same_v<T, double>       ? Dtype::float64
                                  : std::is_same_v<T, std::int64_t> ? Dtype::int64
                                                                    : Dtype::boolean;

/// The Dtype of an array.
inline Dtype dtype_of_array(const Array& a) { return static_cast<Dtype>(a.index()); }

/// Calls f on the typed array inside `a`, whatever its dtype (f must compile for all four). A
/// switch, not std::visit: it inlines where std::visit's table of four does not (per-op cost).
template <class A, class F>
    requires std::is_same_v<std::decay_t<A>, Array>
decltype(auto) visit_any(A&& a, F&& f) {
    switch (a.index()) {
    case 0: return f(*std::get_if<0>(&a));
    case 1: return f(*std::get_if<1>(&a));
    case 2: return f(*std::get_if<2>(&a));
    case 3: return f(*std::get_if<3>(&a));
    default: throw std::logic_error("xgrad: an array left valueless by an exception");
    }
}

/// Calls f on the float or double array inside `a`; an int64 or bool array is a broken invariant
/// (ops convert or refuse those before their kernels run) and throws std::logic_error.
template <class A, class F>
    requires std::is_same_v<std::decay_t<A>, Array>
decltype(auto) visit_float(A&& a, F&& f) {
    if (auto* x = std::get_if<Values<float>>(&a)) return f(*x);
    if (auto* x = std::get_if<Values<double>>(&a)) return f(*x);
    throw std::logic_error("xgrad: a floating-point kernel got " + std::string(dtype_name(dtype_of_array(a))) + " values");
}

/// The shape of an array, whatever its element type.
inline const Shape& shape_of(const Array& a) {
    return visit_any(a, [](const auto& x) -> const Shape& { return x.shape(); });
}

/// Bytes per element of the dtype.
constexpr std::size_t element_size(Dtype dtype) {
    return dtype == Dtype::float32 ? 4 : dtype == Dtype::boolean ? 1 : 8;
}

/// The values converted to `dtype` (a copy, also when it is the same dtype).
Array cast(const Array& a, Dtype dtype);

/// Σ x² over all elements, accumulated in double (for L2 norms of values and gradients).
double sum_of_squares(const Array& a);

/// "(2, 3)"; "()" for a 0-d shape.
std::string shape_str(std::span<const std::size_t> shape);

/// "float32 (3, 2)": the dtype and shape of an array, as every message names an operand.
std::string describe(const Array& a);

/// A number as the shortest readable text: "0.25", "1e-06", "3".
std::string number_str(double value);

/// Calls f(float{}) or f(double{}) for a floating dtype, so one generic lambda serves both;
/// throws std::logic_error for int64 and bool.
template <class F>
decltype(auto) dispatch(Dtype dtype, F&& f) {
    if (dtype == Dtype::float32) return f(float{});
    if (dtype == Dtype::float64) return f(double{});
    throw std::logic_error("xgrad: a floating-point kernel was asked for " + std::string(dtype_name(dtype)));
}

/// Calls f(T{}) for the element type T of any dtype.
template <class F>
decltype(auto) dispatch_any(Dtype dtype, F&& f) {
    switch (dtype) {
    case Dtype::float32: return f(float{});
    case Dtype::float64: return f(double{});
    case Dtype::int64: return f(std::int64_t{});
    default: return f(bool{});
    }
}

/// The typed array inside `a`; throws std::logic_error if `a` holds another dtype.
template <class T>
const Values<T>& get(const Array& a) {
    if (const auto* p = std::get_if<Values<T>>(&a)) return *p;
    throw std::logic_error("xgrad: array holds " + std::string(dtype_name(dtype_of_array(a))) +
                           ", expected " + std::string(dtype_name(dtype_of<T>)));
}

template <class T>
Values<T>& get(Array& a) {
    return const_cast<Values<T>&>(get<T>(std::as_const(a)));
}

namespace detail {
/// An expression's values; an empty result is not evaluated at all (xtensor's assignment would
/// still step through the other extents: (2^32, 0, 0) / (0, 0) looped 2^32 times).
/// Only asked when an operand is empty: the common case pays nothing.
template <class T, class E>
Values<T> evaluate_empty(E&& e) {
    if constexpr (requires { e.shape(); }) {
        const auto& shape = e.shape();
        if (std::find(shape.begin(), shape.end(), std::size_t{0}) != shape.end()) return Values<T>::from_shape(shape);
    }
    return Values<T>(std::forward<E>(e));
}
}  // namespace detail

/// Calls f on the float or double array held by `a` and wraps the (evaluated) result as an Array.
/// The result is evaluated after f returns: f may return a lazy xtensor expression of its
/// arguments and of temporaries, but never one that refers to f's own local variables
/// (evaluate those into a Values<T> inside f, or they dangle).
template <class F>
Array map(const Array& a, F&& f) {
    return visit_float(a, [&](const auto& x) -> Array {
        using T = typename std::decay_t<decltype(x)>::value_type;
        if (x.size() == 0) return detail::evaluate_empty<T>(f(x));
        return Values<T>(f(x));
    });
}

/// Calls f on the typed arrays held by `a` and `b` (same dtype) and wraps the result.
template <class F>
Array map(const Array& a, const Array& b, F&& f) {
    return visit_float(a, [&](const auto& x) -> Array {
        using T = typename std::decay_t<decltype(x)>::value_type;
        const auto& y = get<T>(b);
        if (x.size() == 0 || y.size() == 0) return detail::evaluate_empty<T>(f(x, y));
        return Values<T>(f(x, y));
    });
}

/// Calls f on the typed arrays held by `a`, `b` and `c` (same dtype) and wraps the result.
template <class F>
Array map(const Array& a, const Array& b, const Array& c, F&& f) {
    return visit_float(a, [&](const auto& x) -> Array {
        using T = typename std::decay_t<decltype(x)>::value_type;
        const auto& y = get<T>(b);
        const auto& z = get<T>(c);
        if (x.size() == 0 || y.size() == 0 || z.size() == 0) return detail::evaluate_empty<T>(f(x, y, z));
        return Values<T>(f(x, y, z));
    });
}

/// The element count of `shape`; throws ShapeError naming `op` when the product of its non-zero
/// extents overflows or exceeds 2^60 (no buffer holds that many float64 elements).
std::size_t checked_numel(std::string_view op, const Shape& shape);

/// make(), with a std::bad_alloc from it turned into an OutOfMemory whose message is message()
/// (an OutOfMemory passes through as it is).
template <class F, class M>
auto naming_out_of_memory(F make, M message) {
    try {
        return make();
    } catch (const OutOfMemory&) {
        throw;
    } catch (const std::bad_alloc&) {
        throw OutOfMemory(message());
    }
}

/// "<op>: out of memory for a <dtype> <shape> result (<bytes>)".
std::string out_of_memory_message(std::string_view op, Dtype dtype, const Shape& shape);

/// make() (an allocation of a `dtype` `shape` result), with running out of memory named as above.
template <class F>
auto allocating(std::string_view op, Dtype dtype, const Shape& shape, F make) {
    return naming_out_of_memory(make, [&] { return out_of_memory_message(op, dtype, shape); });
}

}  // namespace xgrad
