#include "ops/linalg.hpp"

#include <cblas.h>

#include <algorithm>
#include <numeric>
#include <optional>

#include <xtensor/xmanipulation.hpp>

#include "autograd/runtime/parallel.hpp"
#include "ops/common.hpp"

namespace xgrad {

namespace {

enum class Trans { none, a, b };

template <class T>
void gemv(bool trans, std::size_t rows, std::size_t cols, const T* a, std::size_t lda, const T* x, std::size_t incx,
          T beta, T* y) {
    const auto tr = trans ? CblasTrans : CblasNoTrans;
    const auto R = static_cast<blasint>(rows), C = static_cast<blasint>(cols), LDA = static_cast<blasint>(lda),
               INCX = static_cast<blasint>(incx);
    if constexpr (std::is_same_v<T, float>)
        cblas_sgemv(CblasRowMajor, tr, R, C, 1.0f, a, LDA, x, INCX, beta, y, 1);
    else
        cblas_dgemv(CblasRowMajor, tr, R, C, 1.0, a, LDA, x, INCX, beta, y, 1);
}

// c = op(A)·op(B) + beta c when op(A) is one row (m == 1) or op(B) one column (n == 1): a
// matrix-vector product. as_p and bs_p are the strides of that row or column.
template <class T>
void matrix_vector(const T* a, const T* b, T* c, std::size_t m, std::size_t n, std::size_t k, std::size_t lda,
                   std::size_t ldb, Trans t, T beta) {
    if (m == 1) {
        // c (n) = a-row · op(B), with B stored k x n or, transposed, n x k.
        const std::size_t as_p = t == Trans::a ? lda : 1;
        if (t != Trans::b)
            gemv(true, k, n, b, ldb, a, as_p, beta, c);
        else
            gemv(false, n, k, b, ldb, a, as_p, beta, c);
    } else {
        // c (m) = op(A) · b-column, with A stored m x k or, transposed, k x m.
        const std::size_t bs_p = t == Trans::b ? 1 : ldb;
        if (t != Trans::a)
            gemv(false, m, k, a, lda, b, bs_p, beta, c);
        else
            gemv(true, k, m, a, lda, b, bs_p, beta, c);
    }
}

// C = op(A)·op(B) (+ bias in every row, if given) for row-major A, B; op transposes the operand
// named by `t`.
template <class T>
Values<T> gemm(const Values<T>& A, const Values<T>& B, Trans t, const T* bias = nullptr) {
    const std::size_t ar = A.shape()[0], ac = A.shape()[1], br = B.shape()[0], bc = B.shape()[1];
    const std::size_t m = t == Trans::a ? ac : ar;
    const std::size_t k = t == Trans::a ? ar : ac;
    const std::size_t n = t == Trans::b ? br : bc;
    Values<T> C = Values<T>::from_shape({m, n});
    if (m == 0 || n == 0) return C;
    // With a bias, rows [m0, m1) and columns [n0, n1) of C start as the bias and the product is
    // added to them (beta = 1): one pass over C instead of BLAS's clearing pass and a bias pass.
    const auto start_with_bias = [&](std::size_t m0, std::size_t m1, std::size_t n0, std::size_t n1) {
        for (std::size_t i = m0; i < m1; ++i) std::copy(bias + n0, bias + n1, C.data() + i * n + n0);
    };
    const T beta = bias ? T(1) : T(0);
    if (k == 0) {
        if (bias)
            start_with_bias(0, m, 0, n);
        else
            C.fill(T(0));
        return C;
    }
    const auto ta = t == Trans::a ? CblasTrans : CblasNoTrans;
    const auto tb = t == Trans::b ? CblasTrans : CblasNoTrans;
    const std::size_t lda = std::max<std::size_t>(ac, 1), ldb = std::max<std::size_t>(bc, 1);
    // OpenBLAS (0.3.x) runs products under 9,216 multiply-adds on one thread whatever its thread
    // count; asking for the count costs ~45 ns, a fiftieth of the tiny graph (bench/).
    const std::size_t work = m * n * k;
    std::optional<detail::SerialBlas> serial;
    if (work >= 9216) serial.emplace();
    if (m == 1 || n == 1) {
        // GEMV for a matrix-vector product: per call it costs a third to a half of what GEMM does
        // on a 1x16 by 16x16 product, where the call is most of the work (tiny graph, bench/).
        if (bias) start_with_bias(0, m, 0, n);
        matrix_vector(A.data(), B.data(), C.data(), m, n, k, lda, ldb, t, beta);
        return C;
    }
    // Rows [m0, m1) and columns [n0, n1) of C, one single-threaded call.
    const auto block = [&](std::size_t m0, std::size_t m1, std::size_t n0, std::size_t n1) {
        const T* a = A.data() + (t == Trans::a ? m0 : m0 * lda);
        const T* b = B.data() + (t == Trans::b ? n0 * ldb : n0);
        T* c = C.data() + m0 * n + n0;
        if (bias) start_with_bias(m0, m1, n0, n1);  // on the thread that computes the block, in its cache
        const auto M = static_cast<blasint>(m1 - m0), N = static_cast<blasint>(n1 - n0), K = static_cast<blasint>(k);
        const auto LDA = static_cast<blasint>(lda), LDB = static_cast<blasint>(ldb), LDC = static_cast<blasint>(n);
        if constexpr (std::is_same_v<T, float>)
            cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, 1.0f, a, LDA, b, LDB, beta, c, LDC);
        else
            cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, 1.0, a, LDA, b, LDB, beta, c, LDC);
    };
    // OpenBLAS runs single-threaded; a product of two million multiply-adds or more is split into
    // row (or, for few rows, column) blocks over xgrad's threads, each block at least a million
    // multiply-adds (~10 us) and 16 rows or columns (the kernels' tile). Splitting the 1M-MAC
    // products of (64-128-128-10, batch 64) made that step up to 1.7x slower on two cores:
    // results computed on one core and read on the other cost more than the halved product.
    //
    // A layer's forward product x·Wᵀ (t == Trans::b) with as many columns as rows or more is split
    // by columns, which are rows of W: each thread then reads the same rows of W that it computes in
    // the weight gradient Gᵀ·x (split by rows) and updates in SGD (split the same way). A core that
    // writes lines the other core has read must take them back first: with the forward product
    // split by rows, (784-256-128-10, batch 128)'s SGD took 130-170 us on two threads instead of 28
    // on one, and the step 670-700 us instead of 590-600 (bench/, docs/performance.md).
    constexpr std::size_t min_work = std::size_t{1} << 20, tile = 16;
    const bool by_rows = m >= 2 * tile && (t != Trans::b || m > n || n < 2 * tile);
    if (get_num_threads() == 1 || work < 2 * min_work) {
        block(0, m, 0, n);
    } else if (by_rows) {
        const std::size_t grain = std::max(tile, (min_work + n * k - 1) / (n * k));
        detail::parallel_for(m, grain, tile, [&](std::size_t m0, std::size_t m1) { block(m0, m1, 0, n); });
    } else {
        const std::size_t grain = std::max(tile, (min_work + m * k - 1) / (m * k));
        detail::parallel_for(n, grain, tile, [&](std::size_t n0, std::size_t n1) { block(0, m, n0, n1); });
    }
    return C;
}

Array gemm(const Array& a, const Array& b, Trans t) {
    return std::visit([&](const auto& x) -> Array {
        using T = detail::value_t<decltype(x)>;
        return gemm(x, get<T>(b), t);
    }, a);
}

}  // namespace

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
            return std::visit([&](const auto& xv) -> Array {
                using T = detail::value_t<decltype(xv)>;
                return gemm(xv, get<T>(in[1]), Trans::b, has_bias ? get<T>(in[2]).data() : nullptr);
            }, in[0]);
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

Tensor transpose(const Tensor& x, int dim0, int dim1) {
    const std::size_t d0 = detail::normalize_axis("transpose", dim0, x.shape());
    const std::size_t d1 = detail::normalize_axis("transpose", dim1, x.shape());
    std::vector<std::size_t> perm(x.dim());
    std::iota(perm.begin(), perm.end(), std::size_t{0});
    std::swap(perm[d0], perm[d1]);
    auto swap = [perm](const Array& a) { return map(a, [&](const auto& v) { return xt::transpose(v, perm); }); };
    return apply("transpose", {x},
        [swap](Inputs in) { return swap(in[0]); },
        // the gradient of a transpose is the transposed gradient
        [swap](const BackwardArgs& c) -> Grads { return make_grads(swap(c.grad)); });
}

Tensor transpose(const Tensor& x) {
    if (x.dim() > 2)
        throw ShapeError("transpose: .T() expects at most 2 dimensions, got shape " + shape_str(x.shape()) +
                         "; use transpose(x, dim0, dim1)");
    if (x.dim() < 2) return x;  // as PyTorch: a 0-d or 1-d tensor is its own transpose
    return transpose(x, 0, 1);
}

// The method forms declared on Tensor.
Tensor Tensor::T() const { return xgrad::transpose(*this); }

}  // namespace xgrad
