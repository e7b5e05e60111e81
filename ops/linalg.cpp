#include "ops/linalg.hpp"

#include "ops/common.hpp"
#include "ops/shape.hpp"
#include "ops/kernels/gemm.hpp"

namespace xgrad {

using detail::gemm;
using detail::Trans;

namespace {

std::vector<std::int64_t> request(const Shape& s) { return {s.begin(), s.end()}; }

Tensor matmul_2d(const Tensor& a, const Tensor& b) {
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

// (b..., m, k)·(b..., k, n) of checked shapes, one batch of products over the arrays in place
Tensor bmm_checked(const Tensor& a, const Tensor& b, const char* name = "bmm") {
    return apply(name, {a, b},
        [](Inputs in) { return detail::batched_gemm(in[0], in[1], Trans::none); },
        [](const BackwardArgs& c) -> Grads {
            // dA = G·Bᵀ : (B,M,N)(B,N,K) -> (B,M,K)     dB = Aᵀ·G : (B,K,M)(B,M,N) -> (B,K,N)
            Grads g(2);
            if (c.needs[0]) g[0] = detail::batched_gemm(c.grad, c.in[1], Trans::b);
            if (c.needs[1]) g[1] = detail::batched_gemm(c.in[0], c.grad, Trans::a);
            return g;
        });
}

void check_operands(const char* op, const Tensor& a, const Tensor& b) {
    if (!a.is_floating_point() || !b.is_floating_point())
        throw DtypeError(std::string(op) + ": expected floating-point operands, got " + describe(a) + " and " + describe(b));
}

// x (*, in) -> (*, out): one product over all leading rows, the arrays seen as matrices in place.
Tensor linear_nd(const Tensor& x, const Tensor& weight, const Tensor& bias) {
    const std::size_t in = weight.shape()[1], outs = weight.shape()[0];
    if (x.shape()[x.dim() - 1] != in)
        detail::throw_shapes("linear", "input features differ from the weight's (out, in)", x.shape(), weight.shape());
    const bool has_bias = bias.defined();
    if (has_bias && (bias.dim() != 1 || bias.shape()[0] != outs))
        detail::throw_shapes("linear", "bias must be (out) for weight (out, in)", bias.shape(), weight.shape());
    Shape out(x.shape().begin(), x.shape().end() - 1);
    out.push_back(outs);
    std::vector<Tensor> operands{x, weight};
    if (has_bias) operands.push_back(bias);
    return apply("linear", std::move(operands),
        [has_bias, out](Inputs in_) {
            return visit_float(in_[0], [&](const auto& xv) -> Array {
                using T = detail::value_t<decltype(xv)>;
                const auto& w = get<T>(in_[1]);
                const std::size_t k = w.shape()[1];
                Values<T> y = gemm(detail::MatrixView<T>{xv.data(), k ? xv.size() / k : 0, k},
                                   detail::MatrixView<T>{w.data(), w.shape()[0], k}, Trans::b, has_bias ? get<T>(in_[2]).data() : nullptr);
                y.reshape(out);
                return y;
            });
        },
        [has_bias](const BackwardArgs& c) -> Grads {
            // on (rows, ·) views: dx = G·W, dW = Gᵀ·x, db = Σ_rows G
            return visit_float(c.grad, [&](const auto& g) -> Grads {
                using T = detail::value_t<decltype(g)>;
                const auto& xv = get<T>(c.in[0]);
                const auto& w = get<T>(c.in[1]);
                const std::size_t o = w.shape()[0], k = w.shape()[1], rows = o ? g.size() / o : 0;
                const detail::MatrixView<T> gm{g.data(), rows, o}, xm{xv.data(), rows, k}, wm{w.data(), o, k};
                Grads grads(has_bias ? 3 : 2);
                if (c.needs[0]) {
                    Values<T> dx = gemm(gm, wm, Trans::none);
                    dx.reshape(xv.shape());
                    grads[0] = Array(std::move(dx));
                }
                if (c.needs[1]) grads[1] = Array(gemm(gm, xm, Trans::a));
                if (has_bias && c.needs[2]) grads[2] = detail::sum_to(c.grad, shape_of(c.in[2]));
                return grads;
            });
        });
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
    if (a.dim() == 0 || b.dim() == 0) detail::throw_shapes("matmul", "both operands need at least 1 dimension", a.shape(), b.shape());
    check_operands("matmul", a, b);
    const std::size_t k = a.shape()[a.dim() - 1], kb = b.dim() == 1 ? b.shape()[0] : b.shape()[b.dim() - 2];
    if (k != kb) detail::throw_shapes("matmul", "inner dimensions differ", a.shape(), b.shape());
    if (a.dim() == 2 && b.dim() == 2) return matmul_2d(a, b);
    const auto ki = static_cast<std::int64_t>(k);
    // 1-D operands: a row (prepended 1) or a column (appended 1) that is removed afterwards
    if (a.dim() == 1 && b.dim() == 1) return reshape(matmul_2d(reshape(a, {1, ki}), reshape(b, {ki, 1})), {});
    if (a.dim() == 1 && b.dim() == 2) return reshape(matmul_2d(reshape(a, {1, ki}), b), {static_cast<std::int64_t>(b.shape()[1])});
    if (b.dim() <= 2) {
        // (..., M, K)·(K, N): one product over all leading rows
        Shape out(a.shape().begin(), a.shape().end() - 1);
        const Tensor bm = b.dim() == 1 ? reshape(b, {ki, 1}) : b;
        if (b.dim() == 2) out.push_back(b.shape()[1]);
        return reshape(matmul_2d(reshape(a, {-1, ki}), bm), request(out));
    }
    // batched: broadcast the batch dimensions, then one product per batch element
    const Tensor a3 = a.dim() == 1 ? reshape(a, {1, ki}) : a, b3 = b;
    const Shape batch_a(a3.shape().begin(), a3.shape().end() - 2), batch_b(b3.shape().begin(), b3.shape().end() - 2);
    Shape batch;
    try {
        batch = detail::broadcast_shapes("matmul", batch_a, batch_b);
    } catch (const ShapeError&) {
        detail::throw_shapes("matmul", "batch dimensions cannot be broadcast together", a.shape(), b.shape());
    }
    const std::size_t m = a3.shape()[a3.dim() - 2], n = b3.shape()[b3.dim() - 1];
    if (batch_a == batch && batch_b == batch && a.dim() != 1) return bmm_checked(a3, b3, "matmul");  // no copies
    std::size_t count = 1;
    for (auto d : batch) count *= d;
    auto spread = [&](const Tensor& t, std::size_t rows, std::size_t cols) {
        Shape full = batch;
        full.push_back(rows), full.push_back(cols);
        const Tensor e = t.shape() == full ? t : broadcast_to(t, full);
        return reshape(e, {static_cast<std::int64_t>(count), static_cast<std::int64_t>(rows), static_cast<std::int64_t>(cols)});
    };
    Tensor r = bmm_checked(spread(a3, m, k), spread(b3, k, n));
    Shape out = batch;
    if (a.dim() != 1) out.push_back(m);
    out.push_back(n);
    return reshape(r, request(out));
}

Tensor bmm(const Tensor& a, const Tensor& b) {
    if (a.dim() != 3 || b.dim() != 3) detail::throw_shapes("bmm", "expected 3-D operands", a.shape(), b.shape());
    check_operands("bmm", a, b);
    if (a.shape()[0] != b.shape()[0]) detail::throw_shapes("bmm", "batch sizes differ", a.shape(), b.shape());
    if (a.shape()[2] != b.shape()[1]) detail::throw_shapes("bmm", "inner dimensions differ", a.shape(), b.shape());
    return bmm_checked(a, b);
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
    check_operands("linear", x, weight);
    if (bias.defined()) detail::require_floating("linear", bias);
    if (x.dim() == 0 || weight.dim() != 2)
        detail::throw_shapes("linear", "expected input (*, in) and weight (out, in)", x.shape(), weight.shape());
    if (x.dim() != 2) return linear_nd(x, weight, bias);
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
