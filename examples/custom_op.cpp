// Defining your own differentiable op: softsign(x) = x / (1 + |x|), whose derivative is
// 1 / (1 + |x|)^2. The forward and the backward sit together and go through xgrad::apply
// (the backward reads c.grad, c.in and c.out, and returns one gradient per operand); gradcheck
// then verifies it numerically.
#include <iostream>

#include <xtensor/xmath.hpp>

#include "xgrad.hpp"

using namespace xgrad;

Tensor softsign(const Tensor& x, bool buggy = false) {
    return apply("softsign", {x},
        [](Inputs in) { return map(in[0], [](const auto& v) { return v / (1 + xt::abs(v)); }); },
        [buggy](const BackwardArgs& c) -> Grads {
            // d softsign = g / (1 + |x|)^2; the buggy version forgets the square
            return make_grads(map(c.grad, c.in[0], [buggy](const auto& g, const auto& v) {
                auto d = 1 + xt::abs(v);
                return buggy ? xt::xarray<typename std::decay_t<decltype(v)>::value_type>(g / d)
                             : xt::xarray<typename std::decay_t<decltype(v)>::value_type>(g / (d * d));
            }));
        });
}

int main() {
    manual_seed(1);
    Tensor x = Tensor::randn({3, 4}, {.requires_grad = true});
    Tensor y = softsign(x).sum();
    y.backward();
    std::cout << "softsign(x).sum() = " << y.item() << "\ngrad = " << x.grad() << "\n\n";

    auto good = gradcheck([](const auto& in) { return softsign(in[0]); }, {x});
    std::cout << "correct backward: " << good << '\n';
    auto bad = gradcheck([](const auto& in) { return softsign(in[0], true); }, {x});
    std::cout << "buggy backward:   " << bad << '\n';
    return good.ok && !bad.ok ? 0 : 1;
}
