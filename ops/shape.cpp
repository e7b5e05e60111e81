#include "ops/shape.hpp"

#include "ops/common.hpp"

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

Array reshaped(const Array& a, const Shape& shape) {
    return std::visit([&](const auto& v) -> Array {
        auto copy = v;
        copy.reshape(shape);
        return copy;
    }, a);
}

Tensor reshape_to(std::string name, const Tensor& x, Shape shape) {
    checked_numel(name, shape);  // an empty (0, 2^62, 2) still overflows xtensor's strides
    return apply(std::move(name), {x},
        [shape](Inputs in) { return reshaped(in[0], shape); },
        // the gradient takes the input's shape back
        [](const BackwardArgs& c) -> Grads { return make_grads(reshaped(c.grad, shape_of(c.in[0]))); });
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

// The method forms declared on Tensor.
Tensor Tensor::reshape(const std::vector<std::int64_t>& shape) const { return xgrad::reshape(*this, shape); }
Tensor Tensor::flatten(int start_dim, int end_dim) const { return xgrad::flatten(*this, start_dim, end_dim); }

}  // namespace xgrad
