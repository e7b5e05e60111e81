#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

#include <xtensor/xarray.hpp>

#include "autograd/runtime/errors.hpp"
#include "autograd/runtime/memory.hpp"

namespace xgrad {

/// Element type of a tensor, chosen at run time (float32 trains, float64 verifies).
enum class Dtype { float32, float64 };

inline constexpr Dtype float32 = Dtype::float32;
inline constexpr Dtype float64 = Dtype::float64;

/// "float32" or "float64".
std::string_view dtype_name(Dtype dtype);

/// The values of a tensor of element type T: a row-major xtensor array whose storage comes from
/// the buffer cache (autograd/memory.hpp). Converts to and from xt::xarray<T> by copying.
template <class T>
using Values = xt::xarray<T, xt::layout_type::row_major, BufferAllocator<T>>;

/// A tensor's shape, one extent per dimension (xtensor's own shape type: no conversion).
using Shape = Values<float>::shape_type;

/// The values of a tensor: float or double. A std::variant (std::visit, std::get_if and index()
/// work on it) that also takes an xt::xarray<float|double>, copying it into tensor storage.
class Array : public std::variant<Values<float>, Values<double>> {
public:
    using Base = std::variant<Values<float>, Values<double>>;
    using Base::Base;
    template <class T>
        requires std::is_same_v<T, float> || std::is_same_v<T, double>
    Array(const xt::xarray<T>& values) : Base(Values<T>(values)) {}  // NOLINT: implicit, as a variant
};

/// Maps a C++ scalar type to its Dtype.
template <class T>
inline constexpr Dtype dtype_of = std::is_same_v<T, float> ? Dtype::float32 : Dtype::float64;

/// The Dtype of an array.
inline Dtype dtype_of_array(const Array& a) {
    return a.index() == 0 ? Dtype::float32 : Dtype::float64;
}

/// The shape of an array, whatever its element type.
inline const Shape& shape_of(const Array& a) {
    return std::visit([](const auto& x) -> const Shape& { return x.shape(); }, a);
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

/// Calls f(float{}) or f(double{}) for the dtype, so one generic lambda serves both.
template <class F>
decltype(auto) dispatch(Dtype dtype, F&& f) {
    if (dtype == Dtype::float32) return f(float{});
    return f(double{});
}

/// The typed array inside `a`; throws std::logic_error if `a` holds the other dtype.
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

/// Calls f on the typed array held by `a` and wraps the (evaluated) result as an Array.
/// The result is evaluated after f returns: f may return a lazy xtensor expression of its
/// arguments and of temporaries, but never one that refers to f's own local variables
/// (evaluate those into a Values<T> inside f, or they dangle).
template <class F>
Array map(const Array& a, F&& f) {
    return std::visit([&](const auto& x) -> Array {
        using T = typename std::decay_t<decltype(x)>::value_type;
        if (x.size() == 0) return detail::evaluate_empty<T>(f(x));
        return Values<T>(f(x));
    }, a);
}

/// Calls f on the typed arrays held by `a` and `b` (same dtype) and wraps the result.
template <class F>
Array map(const Array& a, const Array& b, F&& f) {
    return std::visit([&](const auto& x) -> Array {
        using T = typename std::decay_t<decltype(x)>::value_type;
        const auto& y = get<T>(b);
        if (x.size() == 0 || y.size() == 0) return detail::evaluate_empty<T>(f(x, y));
        return Values<T>(f(x, y));
    }, a);
}

/// Calls f on the typed arrays held by `a`, `b` and `c` (same dtype) and wraps the result.
template <class F>
Array map(const Array& a, const Array& b, const Array& c, F&& f) {
    return std::visit([&](const auto& x) -> Array {
        using T = typename std::decay_t<decltype(x)>::value_type;
        const auto& y = get<T>(b);
        const auto& z = get<T>(c);
        if (x.size() == 0 || y.size() == 0 || z.size() == 0) return detail::evaluate_empty<T>(f(x, y, z));
        return Values<T>(f(x, y, z));
    }, a);
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
