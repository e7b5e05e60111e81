#include "autograd/runtime/array.hpp"

#include <algorithm>
#include <sstream>

namespace xgrad {

std::string_view dtype_name(Dtype dtype) {
    return dtype == Dtype::float32 ? "float32" : "float64";
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
    return dispatch(dtype, [&](auto zero) -> Array {
        using T = decltype(zero);
        return std::visit([](const auto& x) {
            Values<T> out = Values<T>::from_shape(x.shape());
            std::transform(x.begin(), x.end(), out.begin(), [](auto v) { return static_cast<T>(v); });
            return out;
        }, a);
    });
}

double sum_of_squares(const Array& a) {
    return std::visit([](const auto& x) {
        double s = 0;
        for (auto v : x) s += static_cast<double>(v) * static_cast<double>(v);
        return s;
    }, a);
}

std::string number_str(double value) {
    std::ostringstream s;
    s << value;
    return s.str();
}

}  // namespace xgrad
