#pragma once
// Helpers shared by the op families (not part of the public API).

#include <bit>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <utility>

#include "autograd/node.hpp"
#include "autograd/runtime/parallel.hpp"
#include "ops/kernels/vector_math.hpp"  // XGRAD_VECTOR_CLONES, tanh_float

namespace xgrad::detail {

/// Elements per thread below which an elementwise pass stays on one thread: waking a second
/// thread costs more than a shorter pass saves.
inline constexpr std::size_t parallel_grain = std::size_t{1} << 16;

/// The element type of an xtensor array or expression.
template <class E>
using value_t = typename std::decay_t<E>::value_type;

/// NumPy broadcast of two shapes; throws ShapeError naming `op` and both shapes.
Shape broadcast_shapes(std::string_view op, const Shape& lhs, const Shape& rhs);

/// Sums a broadcast gradient back down to `shape` (over leading axes and axes where shape has 1);
/// a gradient already of that shape is copied (const&) or moved (&&).
Array sum_to(const Array& grad, const Shape& shape);
Array sum_to(Array&& grad, const Shape& shape);

/// Axis in [0, ndim) from one in [-ndim, ndim); throws std::invalid_argument naming `op` and shape.
std::size_t normalize_axis(std::string_view op, int axis, const Shape& shape);

/// An embedding's padding row counted from the start, from one in [-rows, rows) (negative counts
/// from the end); throws std::out_of_range naming `who`, the index and the row count otherwise.
std::size_t padding_row(std::string_view who, std::int64_t padding_idx, std::size_t rows);

/// `a` with the same values in `shape` (as many elements): its buffer is kept, never copied.
Array reshaped(Array a, const Shape& shape);

/// Same shape with `axis` kept as an extent of 1.
Shape keepdims_shape(const Shape& shape, std::size_t axis);

/// x itself if it is floating, else converted to float32 (as PyTorch's float functions of
/// integers: exp, sin, sigmoid ... of an int64 tensor give float32).
Tensor floating(const Tensor& x);

/// The dtype an op of `a` and `b` computes in, as torch.result_type: the higher category (bool <
/// integer < floating) wins; a 0-d operand decides the dtype only when its category is higher
/// than every dimensioned operand's.
Dtype result_type(const Tensor& a, const Tensor& b);

/// Both operands converted to result_type(a, b) (recorded: the gradient converts back). Bind the
/// result with std::tie, not a structured binding: clang 14 cannot capture one in a lambda.
std::pair<Tensor, Tensor> promoted(const Tensor& a, const Tensor& b);

/// Throws DtypeError "`op`: expected <what>, got <describe(x)>" unless x's dtype is floating.
void require_floating(std::string_view op, const Tensor& x);
/// Throws DtypeError unless `index` is int64 (what an index or label tensor must be).
void require_index(std::string_view op, const Tensor& index, std::string_view role = "index");

/// Row-major strides of `shape` as seen from a broadcast shape of `rank` dimensions: 0 along the
/// leading and extent-1 dimensions that the broadcast repeats.
Shape broadcast_strides(const Shape& shape, std::size_t rank);

/// Calls f(i, ia, ib) for every element i of the broadcast `out` shape (row-major), with ia and ib
/// the flat offsets of the elements of `a` and `b` that broadcast to it.
template <class F>
void for_each_broadcast(const Shape& out, const Shape& a, const Shape& b, F f) {
    const std::size_t nd = out.size();
    std::size_t total = 1;
    for (auto d : out) total *= d;
    if (total == 0) return;
    if (nd == 0) return f(std::size_t{0}, std::size_t{0}, std::size_t{0});
    const Shape sa = broadcast_strides(a, nd), sb = broadcast_strides(b, nd);
    const std::size_t inner = nd ? out[nd - 1] : 1, ia_step = nd ? sa[nd - 1] : 0, ib_step = nd ? sb[nd - 1] : 0;
    Shape index(nd, 0);
    std::size_t ia = 0, ib = 0;
    for (std::size_t i = 0; i < total; i += inner) {
        for (std::size_t k = 0; k < inner; ++k) f(i + k, ia + k * ia_step, ib + k * ib_step);
        for (std::size_t d = nd - 1; d-- > 0;) {  // next row: carry through the outer axes
            ia += sa[d], ib += sb[d];
            if (++index[d] < out[d]) break;
            ia -= sa[d] * out[d], ib -= sb[d] * out[d];
            index[d] = 0;
        }
    }
}

/// f(x, y) of two arrays of one dtype at their broadcast shape, as a Values<R>; no gradient.
template <class R, class F>
Array broadcast_values(const Array& a, const Array& b, const Shape& out, F f) {
    return visit_any(a, [&](const auto& x) -> Array {
        using T = value_t<decltype(x)>;
        const auto& y = get<T>(b);
        Values<R> r = Values<R>::from_shape(out);
        const T* xp = x.data();
        const T* yp = y.data();
        R* rp = r.data();
        for_each_broadcast(out, x.shape(), y.shape(), [&](std::size_t i, std::size_t ia, std::size_t ib) { rp[i] = f(xp[ia], yp[ib]); });
        return r;
    });
}

/// y[i] = f(x[i]), built for AVX-512, AVX2 and baseline with f inlined into each copy (the
/// dispatch measured free even for a 1 x 16 relu).
template <class T, class F>
XGRAD_VECTOR_CLONES void map_span(const T* __restrict x, T* __restrict y, std::size_t n, const F& f) {
    // a local copy: a value f captured (elu's alpha), read through the reference, might alias y
    // for all GCC knows, and the loop stayed scalar (elu 8x slower)
    const F local = f;
    for (std::size_t i = 0; i < n; ++i) y[i] = local(x[i]);
}

/// g[i] = d(g[i], x[i], y[i]), in the same copies.
template <class T, class D>
XGRAD_VECTOR_CLONES void grad_span(T* __restrict g, const T* __restrict x, const T* __restrict y, std::size_t n, const D& d) {
    const D local = d;
    for (std::size_t i = 0; i < n; ++i) g[i] = local(g[i], x[i], y[i]);
}

/// Σ f(i) over i < n in double, in 8 partial sums: one running sum would keep the loop from
/// vectorising (and wait on each addition's latency). Inlined: for a loop that is cloned itself
/// (a call to a cloned function goes through its resolver and is never inlined).
template <class F>
XGRAD_INLINE double lane_sum_inline(std::size_t n, F f) {
    double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (std::size_t j = 0; j < 8; ++j) part[j] += f(i + j);
    for (; i < n; ++i) part[i % 8] += f(i);
    return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

/// lane_sum_inline in the copies of XGRAD_VECTOR_CLONES, for a caller that is not cloned.
template <class F>
XGRAD_VECTOR_CLONES double lane_sum(std::size_t n, F f) {
    return lane_sum_inline(n, f);
}

/// Σ p[i] accumulated in double.
template <class T>
double sum_in_double(const T* p, std::size_t n) {
    return lane_sum(n, [p](std::size_t i) { return static_cast<double>(p[i]); });
}

/// f(v) of every element of a floating array, in the copies of map_span, on xgrad's threads.
template <class F>
Array pointwise_values(const Array& x, const F& f) {
    return visit_float(x, [&](const auto& v) -> Array {
        using A = std::decay_t<decltype(v)>;
        Array result(std::in_place_type<A>, v.shape());  // built in place: no Array move
        A& out = std::get<A>(result);
        auto* const dst = out.data();
        const auto* const src = v.data();
        parallel_for(v.size(), parallel_grain, 16,
                     [&](std::size_t from, std::size_t to) { map_span(src + from, dst + from, to - from, f); });
        return result;
    });
}

/// grad = d(grad, x, y) elementwise, in place over the gradient (the backward's own buffer), with
/// x the operand and y the output.
template <class D>
void pointwise_grad(Array& grad, const OwnedGradArgs& c, const D& d) {
    visit_float(grad, [&](auto& g) {
        using T = value_t<decltype(g)>;
        T* const dst = g.data();
        const T* const xp = get<T>(c.in[0]).data();
        const T* const yp = get<T>(c.out).data();
        parallel_for(g.size(), parallel_grain, 16,
                     [&](std::size_t from, std::size_t to) { grad_span(dst + from, xp + from, yp + from, to - from, d); });
    });
}

/// What an op's forward computes for its own backward (gelu's derivative, layer_norm's row
/// moments), kept by the forward that records the node: its first run, at the recorded operand.
/// Only a backward at that same operand buffer gets it (the engine's, which refuses to run once the
/// operand was written); a forward re-run at other values (check_graph, in float64) keeps nothing,
/// and a backward at other values computes its own.
template <class S>
class KeptForBackward {
public:
    /// The state to fill for a forward at `operand` (`count` elements); null once a forward kept it.
    S* keep(const void* operand, std::size_t count) {
        if (kept_) return nullptr;
        kept_ = true, operand_ = operand, count_ = count;
        return &state_;
    }
    /// The state kept for `operand` (`count` elements); null for any other buffer.
    const S* at(const void* operand, std::size_t count) const {
        return kept_ && operand == operand_ && count == count_ ? &state_ : nullptr;
    }

private:
    bool kept_ = false;
    const void* operand_ = nullptr;
    std::size_t count_ = 0;
    S state_{};
};

/// A unary op in plain loops that the compiler vectorises (faster than lazy xtensor expressions):
/// f(v) gives an output element, d(g, x, y) a gradient element from upstream, input and output.
/// An int64 or bool operand is converted to float32 first (floating()).
template <class F, class D>
Tensor pointwise(std::string name, const Tensor& x, F f, D d) {
    // x itself when floating: floating(x) would cost a handle copy (two atomic operations) per op
    if (!x.is_floating_point()) return pointwise(std::move(name), floating(x), f, d);
    return apply_owning(std::move(name), {x},
        [f](Inputs in) { return pointwise_values(in[0], f); },
        [d](Array&& grad, const OwnedGradArgs& c) -> Grads {
            pointwise_grad(grad, c, d);
            return make_grads(std::move(grad));
        });
}

/// 1 / (1 + e^-v) without overflow: e^-|v| never overflows, and for v < 0 the form
/// e / (1 + e) keeps tiny results exact.
template <class T>
XGRAD_INLINE T stable_sigmoid(T v) {
    const T e = exp_of(-std::abs(v));
    return v >= 0 ? T(1) / (T(1) + e) : e / (T(1) + e);
}

/// tanh x; float through tanh_float (4x faster than glibc's tanhf, which goes through expm1f).
template <class T>
XGRAD_INLINE T tanh_of(T v) {
    if constexpr (std::is_same_v<T, float>) {
        return tanh_float(v);
    } else {
        return std::tanh(v);
    }
}

/// x^p with PyTorch's shortcuts for the common exponents (sqrt, products, reciprocals), which also
/// fix the signs of zeros and infinities; never xsimd's vector pow, which gives 0 at x = 0.
template <class T>
T power(T x, double p) {
    if (p == 0) return T(1);
    if (p == 1) return x;
    if (p == 2) return x * x;
    if (p == 3) return x * x * x;
    if (p == 0.5) return std::sqrt(x);
    if (p == -0.5) return T(1) / std::sqrt(x);
    if (p == -1) return T(1) / x;
    if (p == -2) return T(1) / (x * x);
    return std::pow(x, static_cast<T>(p));
}

/// A shape seen as (outer, n, inner) around one axis: element (o, k, i) sits at
/// (o * n + k) * inner + i in row-major order. An empty shape has outer = 0: no slice to visit.
struct AxisSplit {
    std::size_t outer = 1, n = 1, inner = 1;
};
AxisSplit split_axis(const Shape& shape, std::size_t axis);

/// The shape without `axis`, or with it kept as extent 1.
Shape reduced_shape(const Shape& shape, std::size_t axis, bool keepdims);

/// Throws ShapeError "`op`: `what`: lhs (..) vs rhs (..)".
[[noreturn]] void throw_shapes(std::string_view op, std::string_view what, const Shape& lhs, const Shape& rhs);

}  // namespace xgrad::detail
