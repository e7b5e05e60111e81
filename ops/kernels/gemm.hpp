#pragma once
// The matrix-product kernel under matmul and linear: BLAS calls, and how they are split over
// xgrad's threads (docs/performance.md, "How products are routed and split"). Not public.

#include "autograd/runtime/array.hpp"

namespace xgrad::detail {

/// Which operand of a product is transposed (a BLAS flag, never a copy).
enum class Trans { none, a, b };

/// A row-major matrix of `rows` x `cols` values at `data`: a 2-D view of any contiguous array,
/// such as an (N, T, C) activation seen as (N·T, C).
template <class T>
struct MatrixView {
    const T* data;
    std::size_t rows, cols;
};

/// C = op(A)·op(B), plus `bias` (length n) added to every row when given, for row-major 2-D A
/// and B whose shapes the caller has checked: (m, k)·(k, n) -> (m, n) after op.
template <class T>
Values<T> gemm(const Values<T>& a, const Values<T>& b, Trans t, const T* bias = nullptr);
/// The same on matrix views.
template <class T>
Values<T> gemm(MatrixView<T> a, MatrixView<T> b, Trans t, const T* bias = nullptr);
/// The same on arrays of one dtype.
Array gemm(const Array& a, const Array& b, Trans t);

/// C[i] = op(A[i])·op(B[i]) for row-major A and B of one rank (3 or more) and the same batch
/// dimensions, whose shapes the caller has checked: (b..., m, k)·(b..., k, n) -> (b..., m, n) after
/// op; the batch is split over xgrad's threads.
Array batched_gemm(const Array& a, const Array& b, Trans t);

/// dst[i] = src[i]ᵀ for `count` row-major (rows, cols) matrices stored one after another, of any
/// dtype: libxsmm's transpose for float and double where xgrad has it (4-9x faster than 8 x 8
/// tiles of plain loops on 16 x 16), plain loops in the vector copies otherwise.
template <class T>
void transpose_matrices(const T* src, T* dst, std::size_t count, std::size_t rows, std::size_t cols);

extern template Values<float> gemm(const Values<float>&, const Values<float>&, Trans, const float*);
extern template Values<double> gemm(const Values<double>&, const Values<double>&, Trans, const double*);
extern template Values<float> gemm(MatrixView<float>, MatrixView<float>, Trans, const float*);
extern template Values<double> gemm(MatrixView<double>, MatrixView<double>, Trans, const double*);
extern template void transpose_matrices(const float*, float*, std::size_t, std::size_t, std::size_t);
extern template void transpose_matrices(const double*, double*, std::size_t, std::size_t, std::size_t);
extern template void transpose_matrices(const std::int64_t*, std::int64_t*, std::size_t, std::size_t, std::size_t);
extern template void transpose_matrices(const bool*, bool*, std::size_t, std::size_t, std::size_t);

}  // namespace xgrad::detail
