#include "ops/kernels/gemm.hpp"

#include <cblas.h>
#ifdef XGRAD_HAVE_LIBXSMM
#include <libxsmm.h>
#endif

#include <algorithm>
#include <optional>
#include <type_traits>

#include "autograd/runtime/parallel.hpp"
#include "autograd/runtime/vector_clones.hpp"

namespace xgrad::detail {

namespace {

// Products of up to 16M multiply-adds run in a kernel that libxsmm generates for their shape: it
// does not pack its operands on every call as OpenBLAS does, and measured 15-45% faster on them
// (larger ones slower): docs/performance.md, "How products are routed and split".
constexpr std::size_t small_work = std::size_t{1} << 24;

#ifdef XGRAD_HAVE_LIBXSMM
constexpr bool have_small_kernels = true;
template <class T>
using SmallKernel = std::conditional_t<std::is_same_v<T, float>, libxsmm_smmfunction, libxsmm_dmmfunction>;

// A kernel for row-major c (m, n) = op(a)·b + beta c, with a stored (m, k) or, when trans_a, (k, m),
// and b (k, n); null when libxsmm has none (a CPU it generates no code for). libxsmm is
// column-major, where the same product reads cᵀ = bᵀ·op(a)ᵀ: call it as kernel(b, a, c).
template <class T>
SmallKernel<T> small_kernel(bool trans_a, std::size_t m, std::size_t n, std::size_t k, std::size_t lda, std::size_t ldb,
                            std::size_t ldc, T beta) {
    const auto M = static_cast<libxsmm_blasint>(n), N = static_cast<libxsmm_blasint>(m), K = static_cast<libxsmm_blasint>(k);
    const auto LDA = static_cast<libxsmm_blasint>(ldb), LDB = static_cast<libxsmm_blasint>(lda), LDC = static_cast<libxsmm_blasint>(ldc);
    const int flags = trans_a ? LIBXSMM_GEMM_FLAG_TRANS_B : 0;
    const T alpha = 1;
    if constexpr (std::is_same_v<T, float>)
        return libxsmm_smmdispatch(M, N, K, &LDA, &LDB, &LDC, &alpha, &beta, &flags, nullptr);
    else
        return libxsmm_dmmdispatch(M, N, K, &LDA, &LDB, &LDC, &alpha, &beta, &flags, nullptr);
}

// dst (cols, rows) = src (rows, cols)ᵀ, both row-major: libxsmm's transpose (column-major, so
// rows and columns trade places), 4-20x faster than 8 x 8 tiles of plain loops on these shapes.
template <class T>
void transpose_into(const T* src, std::size_t rows, std::size_t cols, T* dst) {
    const auto r = static_cast<libxsmm_blasint>(rows), c = static_cast<libxsmm_blasint>(cols);
    libxsmm_otrans(dst, src, sizeof(T), c, r, c, r);
}
#else
constexpr bool have_small_kernels = false;
template <class T>
using SmallKernel = void (*)(const T*, const T*, T*);
template <class T>
SmallKernel<T> small_kernel(bool, std::size_t, std::size_t, std::size_t, std::size_t, std::size_t, std::size_t, T) {
    return nullptr;
}
template <class T>
void transpose_into(const T*, std::size_t, std::size_t, T*) {}  // never called: use_small_kernel is false
#endif

// dst[i ld + j] = row[j] for i < rows, j < cols, in the vector copies (a memmove call a row
// cost 3-9 us of a (512, 64..256) linear's 20-95)
template <class T>
XGRAD_VECTOR_CLONES void copy_row_to_rows(const T* __restrict row, T* __restrict dst, std::size_t rows, std::size_t cols,
                                          std::size_t ld) {
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j) dst[i * ld + j] = row[j];
}

// dst[j rows + i] = src[i cols + j] for each matrix, in the vector copies
template <class T>
XGRAD_VECTOR_CLONES void transpose_loops(const T* __restrict src, T* __restrict dst, std::size_t count, std::size_t rows,
                                         std::size_t cols) {
    for (std::size_t at = 0, size = rows * cols; at < count * size; at += size)
        for (std::size_t i = 0; i < rows; ++i)
            for (std::size_t j = 0; j < cols; ++j) dst[at + j * rows + i] = src[at + i * cols + j];
}

// True when a product of this shape goes to small_kernel: not one with an extent under 4 (a rank-1
// update measured 67 ns in OpenBLAS, 78 in libxsmm). With op(B) = Bᵀ (which libxsmm's kernels do
// not take) B is first copied out transposed, worth it from 16 rows of A on.
bool use_small_kernel(std::size_t m, std::size_t n, std::size_t k, Trans t) {
    return have_small_kernels && m * n * k <= small_work && std::min({m, n, k}) >= 4 && (t != Trans::b || m >= 16);
}

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

}  // namespace

template <class T>
Values<T> gemm(const Values<T>& A, const Values<T>& B, Trans t, const T* bias) {
    return gemm(MatrixView<T>{A.data(), A.shape()[0], A.shape()[1]}, MatrixView<T>{B.data(), B.shape()[0], B.shape()[1]}, t, bias);
}

template <class T>
Values<T> gemm(MatrixView<T> A, MatrixView<T> B, Trans t, const T* bias) {
    const std::size_t ar = A.rows, ac = A.cols, br = B.rows, bc = B.cols;
    const std::size_t m = t == Trans::a ? ac : ar;
    const std::size_t k = t == Trans::a ? ar : ac;
    const std::size_t n = t == Trans::b ? br : bc;
    Values<T> C = Values<T>::from_shape({m, n});
    if (m == 0 || n == 0) return C;
    // With a bias, rows [m0, m1) and columns [n0, n1) of C start as the bias and the product is
    // added to them (beta = 1): one pass over C instead of BLAS's clearing pass and a bias pass.
    const auto start_with_bias = [&](std::size_t m0, std::size_t m1, std::size_t n0, std::size_t n1) {
        copy_row_to_rows(bias + n0, C.data() + m0 * n + n0, m1 - m0, n1 - n0, n);
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
    // OpenBLAS never threads a product under 9,216 multiply-adds: skip asking for its thread count.
    const std::size_t work = m * n * k;
    std::optional<SerialBlas> serial;
    if (work >= 9216) serial.emplace();
    if (m == 1 || n == 1) {
        // a matrix-vector product: GEMV's call costs less than GEMM's
        if (bias) start_with_bias(0, m, 0, n);
        matrix_vector(A.data, B.data, C.data(), m, n, k, lda, ldb, t, beta);
        return C;
    }
    // a small product's op(B) = Bᵀ, copied out as (k, n)
    const bool small = use_small_kernel(m, n, k, t);
    std::optional<Values<T>> bt;  // not an empty array: constructing one costs ~100 instructions
    if (small && t == Trans::b) {
        bt = Values<T>::from_shape({k, n});
        transpose_into(B.data, n, k, bt->data());
    }
    // Rows [m0, m1) and columns [n0, n1) of C, one single-threaded call.
    const auto block = [&](std::size_t m0, std::size_t m1, std::size_t n0, std::size_t n1) {
        const T* a = A.data + (t == Trans::a ? m0 : m0 * lda);
        const T* b = B.data + (t == Trans::b ? n0 * ldb : n0);
        T* c = C.data() + m0 * n + n0;
        if (bias) start_with_bias(m0, m1, n0, n1);  // on the thread that computes the block, in its cache
        if (small) {
            const bool copied = t == Trans::b;  // op(B) read from bt, (k, n)
            if (const auto kernel = small_kernel(t == Trans::a, m1 - m0, n1 - n0, k, lda, copied ? n : ldb, n, beta)) {
                kernel(copied ? bt->data() + n0 : b, a, c);
                return;
            }
        }
        const auto M = static_cast<blasint>(m1 - m0), N = static_cast<blasint>(n1 - n0), K = static_cast<blasint>(k);
        const auto LDA = static_cast<blasint>(lda), LDB = static_cast<blasint>(ldb), LDC = static_cast<blasint>(n);
        if constexpr (std::is_same_v<T, float>)
            cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, 1.0f, a, LDA, b, LDB, beta, c, LDC);
        else
            cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, 1.0, a, LDA, b, LDB, beta, c, LDC);
    };
    // Products of 2M multiply-adds or more split into blocks of 1M or more over xgrad's threads; a
    // layer's x·Wᵀ by columns (rows of W), so each thread keeps its rows of W through SGD.
    constexpr std::size_t min_work = std::size_t{1} << 20, tile = 16;
    const bool by_rows = m >= 2 * tile && (t != Trans::b || m > n || n < 2 * tile);
    if (get_num_threads() == 1 || work < 2 * min_work) {
        block(0, m, 0, n);
    } else if (by_rows) {
        const std::size_t grain = std::max(tile, (min_work + n * k - 1) / (n * k));
        parallel_for(m, grain, tile, [&](std::size_t m0, std::size_t m1) { block(m0, m1, 0, n); });
    } else {
        const std::size_t grain = std::max(tile, (min_work + m * k - 1) / (m * k));
        parallel_for(n, grain, tile, [&](std::size_t n0, std::size_t n1) { block(0, m, n0, n1); });
    }
    return C;
}

namespace {

// One single-threaded product of row-major matrices: c (m, n) = op(a)·op(b).
template <class T>
void plain_gemm(const T* a, const T* b, T* c, std::size_t m, std::size_t n, std::size_t k, Trans t) {
    const auto ta = t == Trans::a ? CblasTrans : CblasNoTrans;
    const auto tb = t == Trans::b ? CblasTrans : CblasNoTrans;
    const auto lda = static_cast<blasint>(std::max<std::size_t>(t == Trans::a ? m : k, 1));
    const auto ldb = static_cast<blasint>(std::max<std::size_t>(t == Trans::b ? k : n, 1));
    const auto M = static_cast<blasint>(m), N = static_cast<blasint>(n), K = static_cast<blasint>(k);
    if constexpr (std::is_same_v<T, float>)
        cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, 1.0f, a, lda, b, ldb, 0.0f, c, N);
    else
        cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, 1.0, a, lda, b, ldb, 0.0, c, N);
}

}  // namespace

Array batched_gemm(const Array& a, const Array& b, Trans t) {
    return visit_float(a, [&](const auto& x) -> Array {
        using T = typename std::decay_t<decltype(x)>::value_type;
        const auto& y = get<T>(b);
        const Shape& sx = x.shape();
        const Shape& sy = y.shape();
        const std::size_t r = sx.size(), x0 = sx[r - 2], x1 = sx[r - 1], y0 = sy[r - 2], y1 = sy[r - 1];
        const std::size_t m = t == Trans::a ? x1 : x0, k = t == Trans::a ? x0 : x1, n = t == Trans::b ? y0 : y1;
        Shape out(sx.begin(), sx.end() - 2);  // the batch dimensions, then (m, n)
        std::size_t batch = 1;
        for (auto d : out) batch *= d;
        out.push_back(m), out.push_back(n);
        Values<T> c = Values<T>::from_shape(out);
        if (c.size() == 0) return c;
        if (k == 0) {
            c.fill(T(0));
            return c;
        }
        const std::size_t sa = x0 * x1, sb = y0 * y1, sc = m * n;
        SerialBlas serial;  // one BLAS thread per product; xgrad's threads split the batch
        // one kernel for every product of a small batch, each op(B) = B[i]ᵀ first copied out as (k, n)
        const bool tb = t == Trans::b;
        const auto kernel = use_small_kernel(m, n, k, t)
                                ? small_kernel(t == Trans::a, m, n, k, std::max<std::size_t>(x1, 1), tb ? n : y1, n, T(0))
                                : nullptr;
        std::optional<Values<T>> bt;
        if (kernel && tb) bt = Values<T>::from_shape({batch, k, n});
        const auto run = [&](std::size_t i0, std::size_t i1) {
            for (std::size_t i = i0; i < i1; ++i) {
                if (!kernel) {
                    plain_gemm(x.data() + i * sa, y.data() + i * sb, c.data() + i * sc, m, n, k, t);
                    continue;
                }
                const T* bi = y.data() + i * sb;
                if (tb) {
                    transpose_into(bi, n, k, bt->data() + i * sb);
                    bi = bt->data() + i * sb;
                }
                kernel(bi, x.data() + i * sa, c.data() + i * sc);
            }
        };
        const std::size_t work = m * n * k, min_work = std::size_t{1} << 20;
        if (get_num_threads() == 1 || batch * work < 2 * min_work) run(0, batch);
        else parallel_for(batch, std::max<std::size_t>(1, min_work / std::max<std::size_t>(work, 1)), 1, run);
        return c;
    });
}

Array gemm(const Array& a, const Array& b, Trans t) {
    return visit_float(a, [&](const auto& x) -> Array {
        using T = typename std::decay_t<decltype(x)>::value_type;
        return gemm(x, get<T>(b), t);
    });
}

template <class T>
void transpose_matrices(const T* src, T* dst, std::size_t count, std::size_t rows, std::size_t cols) {
    if constexpr (std::is_floating_point_v<T>) {
        if (have_small_kernels) {
            for (std::size_t i = 0, size = rows * cols; i < count; ++i) transpose_into(src + i * size, rows, cols, dst + i * size);
            return;
        }
    }
    transpose_loops(src, dst, count, rows, cols);
}

template void transpose_matrices(const float*, float*, std::size_t, std::size_t, std::size_t);
template void transpose_matrices(const double*, double*, std::size_t, std::size_t, std::size_t);
template void transpose_matrices(const std::int64_t*, std::int64_t*, std::size_t, std::size_t, std::size_t);
template void transpose_matrices(const bool*, bool*, std::size_t, std::size_t, std::size_t);
template Values<float> gemm(const Values<float>&, const Values<float>&, Trans, const float*);
template Values<double> gemm(const Values<double>&, const Values<double>&, Trans, const double*);
template Values<float> gemm(MatrixView<float>, MatrixView<float>, Trans, const float*);
template Values<double> gemm(MatrixView<double>, MatrixView<double>, Trans, const double*);

}  // namespace xgrad::detail
