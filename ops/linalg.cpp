#include "ops/linalg.hpp"

#include "ops/common.hpp"
#include "ops/kernels/gemm.hpp"

namespace xgrad {

using detail::gemm;
using detail::Trans;

Tensor matmul(const Tensor& a, const Tensor& b) {
    if (a.dim() != 2 || b.dim() != 2) detail::throw_shapes("matmul", "expected 2-D operands", a.shape(), b.shape());
    if (a.shape()[1] != b.shape()[0]) detail::throw_shapes("matmul", "inner dimensions differ", a.shape(), b.shape());
    return apply("matmul", {a, b},
        [](Inputs in) { return gemm(in[0], in[1], Trans::none); },
        [](const BackwardArgs& c) -> Grads {
            // dA = G·Bᵀ : (M,N)(N,K) -> (M,K)     dB = Aᵀ·G : (K,M)(M,N) -> (K,N)
            Grads g(2);
            if (c.needs[0]) g[0] = gemm(c.grad, c.in[1], Trans::b);
            if (c.needs[1]) g[1] = gemm(c.in[0], c.grad, Trans::a);
            return g;
        });
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
    if (x.dim() != 2 || weight.dim() != 2)
        detail::throw_shapes("linear", "expected 2-D input and weight", x.shape(), weight.shape());
    if (x.shape()[1] != weight.shape()[1])
        detail::throw_shapes("linear", "input features differ from the weight's (out, in)", x.shape(), weight.shape());
    const bool has_bias = bias.defined();
    if (has_bias && (bias.dim() != 1 || bias.shape()[0] != weight.shape()[0]))
        detail::throw_shapes("linear", "bias must be (out) for weight (out, in)", bias.shape(), weight.shape());
    std::vector<Tensor> operands{x, weight};
    if (has_bias) operands.push_back(bias);
    return apply("linear", std::move(operands),
        [has_bias](Inputs in) {
            return visit_float(in[0], [&](const auto& xv) -> Array {
                using T = detail::value_t<decltype(xv)>;
                return gemm(xv, get<T>(in[1]), Trans::b, has_bias ? get<T>(in[2]).data() : nullptr);
            });
        },
        [has_bias](const BackwardArgs& c) -> Grads {
            // dx = G·W : (N,out)(out,in) -> (N,in)   dW = Gᵀ·x : (out,N)(N,in) -> (out,in)   db = Σ_rows G
            Grads g(has_bias ? 3 : 2);
            if (c.needs[0]) g[0] = gemm(c.grad, c.in[1], Trans::none);
            if (c.needs[1]) g[1] = gemm(c.grad, c.in[0], Trans::a);
            if (has_bias && c.needs[2]) g[2] = detail::sum_to(c.grad, shape_of(c.in[2]));
            return g;
        });
}

}  // namespace xgrad
