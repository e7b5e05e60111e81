// libFuzzer target for the public op API: each input is a little program over a stack of tensors
// (factories with zero-size and overflowing shapes, every op with random axes and special values,
// backward, check_graph, printing). A user error may be thrown; a crash, a sanitizer report, a
// broken invariant (a bare std::logic_error) or a pointwise value unlike libm's aborts.
//   instruction: opcode byte, then its argument bytes (missing bytes read as 0)
#include <cmath>
#include <cstdio>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <sstream>
#include <typeinfo>
#include <vector>

#include "xgrad.hpp"

using namespace xgrad;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double specials[] = {0, -0.0, 1, -1, 0.5, -2.5, 2, 30, -30, 1e-45, -1e-310, 3.4e38, 1e300, inf, -inf, NAN};
constexpr std::size_t extents[] = {0, 1, 2, 3, 4, 5, 7, 8, std::size_t{1} << 32, std::size_t{1} << 62,
                                   std::numeric_limits<std::size_t>::max(), 0x6DB6DB6DB6DB6DB7};
constexpr std::int64_t requests[] = {-1, 0, 1, 2, 3, 4, 6, 8, -2, 7, std::int64_t{1} << 62, 0x6DB6DB6DB6DB6DB7};
constexpr double exponents[] = {0, 1, -1, 0.5, -0.5, 2, 3, -2, 1.5, -0.25, 1e10, NAN};

class Program {
public:
    Program(const std::uint8_t* data, std::size_t size) : p_(data), end_(data + size) {}
    bool done() const { return p_ >= end_; }
    std::uint8_t byte() { return p_ < end_ ? *p_++ : 0; }
    template <class T, std::size_t N>
    T pick(const T (&table)[N]) { return table[byte() % N]; }

private:
    const std::uint8_t* p_;
    const std::uint8_t* end_;
};

// The element count of a shape, or nullopt when it overflows.
std::optional<std::size_t> count(const Shape& s) {
    std::size_t n = 1;
    for (std::size_t d : s)
        if (__builtin_mul_overflow(n, d, &n)) return std::nullopt;
    return n;
}

// A shape the fuzzer may ask for: small, or so large that it must be refused before anything is
// allocated (it never asks for gigabytes that would be granted).
bool askable(const Shape& s) {
    const auto n = count(s);
    return !n || *n <= (1u << 16) || *n > (std::size_t{1} << 60);
}

// Whether a binary op's result (broadcast, or a product's m·n·k) stays small enough to compute in
// a few milliseconds here; larger ones are legitimate, only slow under the fuzzer's instrumentation.
bool small_result(const Tensor& a, const Tensor& b) {
    if (!a.defined() || !b.defined()) return true;
    const Shape& x = a.shape();
    const Shape& y = b.shape();
    double n = 1;
    for (std::size_t i = 0; i < std::max(x.size(), y.size()); ++i) {
        const double dx = i < x.size() ? static_cast<double>(x[x.size() - 1 - i]) : 1;
        const double dy = i < y.size() ? static_cast<double>(y[y.size() - 1 - i]) : 1;
        n *= std::max(dx, dy);
    }
    const double k = x.empty() ? 1 : static_cast<double>(x.back());
    return n <= (1 << 18) && n * k <= (1 << 22);
}

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

// A pointwise op's values against the scalar libm formula, element by element.
// (Integer and bool inputs compute in float32: no libm oracle for those.)
template <class F>
void check_pointwise(const Tensor& x, const Tensor& y, F f) {
    if (!x.is_floating_point()) return;
    if (y.shape() != x.shape() || y.dtype() != x.dtype()) __builtin_trap();
    visit_float(x.array(), [&](const auto& xv) {
        using T = typename std::decay_t<decltype(xv)>::value_type;
        const auto& yv = y.data<T>();
        for (std::size_t i = 0; i < xv.size(); ++i)
            if (!same(static_cast<double>(yv.data()[i]), static_cast<double>(f(xv.data()[i])))) __builtin_trap();
    });
}

// The same within one unit in the last place of the reference, computed in double: for functions
// xgrad computes itself rather than through libm's float version (tanh, exp: glibc's expf is not
// always correctly rounded, xgrad's is).
template <class F>
void check_pointwise_ulp(const Tensor& x, const Tensor& y, F f) {
    if (!x.is_floating_point()) return;
    if (y.shape() != x.shape() || y.dtype() != x.dtype()) __builtin_trap();
    visit_float(x.array(), [&](const auto& xv) {
        using T = typename std::decay_t<decltype(xv)>::value_type;
        const auto& yv = y.data<T>();
        for (std::size_t i = 0; i < xv.size(); ++i) {
            const T want = static_cast<T>(f(static_cast<double>(xv.data()[i]))), got = yv.data()[i];
            if (!same(got, want) && !(std::abs(got - want) <= std::abs(want) * std::numeric_limits<T>::epsilon())) __builtin_trap();
        }
    });
}

void run(Program& prog, std::vector<Tensor>& stack) {
    auto operand = [&]() -> Tensor { return stack.empty() ? Tensor() : stack[prog.byte() % stack.size()]; };
    auto push = [&](Tensor t) {
        if (!t.defined()) return;
        if (stack.size() < 8) stack.push_back(std::move(t));
        else stack[stack.size() - 1] = std::move(t);
    };
    const std::uint8_t op = prog.byte() % 15;
    switch (op) {
    case 0: {  // factory
        const std::uint8_t kind = prog.byte(), flags = prog.byte();
        constexpr Dtype dtypes[] = {float32, float64, int64, boolean};
        TensorOptions o{.dtype = dtypes[flags & 3], .requires_grad = (flags & 4) != 0};
        Shape shape;
        for (std::uint8_t r = prog.byte() % 5; r > 0; --r) shape.push_back(prog.pick(extents));
        if (kind % 6 == 5) {  // arange with special bounds
            const double a = prog.pick(specials), b = prog.pick(specials), s = prog.pick(specials);
            const double n = std::ceil((b - a) / s);
            if (n > (1 << 16) && n <= 0x1p60) return;
            push(Tensor::arange(a, b, s, o));
            return;
        }
        if (!askable(shape)) return;
        switch (kind % 6) {
        case 0: push(Tensor::zeros(shape, o)); break;
        case 1: push(Tensor::ones(shape, o)); break;
        case 2: push(Tensor::full(shape, prog.pick(specials), o)); break;
        case 3: push(Tensor::randn(shape, o)); break;
        case 4: push(Tensor::randint(-3, static_cast<std::int8_t>(prog.byte()), shape, o)); break;
        default: push(Tensor::rand(shape, o)); break;
        }
        return;
    }
    case 1: {  // pointwise, with libm as the oracle where one applies
        const Tensor x = operand();
        if (!x.defined()) return;
        switch (prog.byte() % 17) {
        case 0: push(identity(x)); break;
        case 1: push(step(x)); break;
        case 2: push(sigmoid(x)); break;
        case 3: { Tensor y = tanh(x); check_pointwise_ulp(x, y, [](double v) { return std::tanh(v); }); push(y); break; }
        case 4: push(relu(x)); break;
        case 5: push(leaky_relu(x, prog.pick(specials))); break;
        case 6: push(elu(x, prog.pick(specials))); break;
        case 7: push(gelu(x)); break;
        case 8: push(gelu(x, GeluApproximation::tanh)); break;
        case 9: push(silu(x)); break;
        case 10: push(softplus(x, prog.pick(specials), prog.pick(specials))); break;
        case 11: { Tensor y = exp(x); check_pointwise_ulp(x, y, [](double v) { return std::exp(v); }); push(y); break; }
        case 12: { Tensor y = log(x); check_pointwise(x, y, [](auto v) { return std::log(v); }); push(y); break; }
        case 13: { Tensor y = sqrt(x); check_pointwise(x, y, [](auto v) { return std::sqrt(v); }); push(y); break; }
        case 14: { Tensor y = abs(x); check_pointwise(x, y, [](auto v) { return std::abs(v); }); push(y); break; }
        case 15: push(-x); break;
        default: {
            const double p = prog.pick(exponents);
            Tensor y = pow(x, p);
            // the exponents xsimd's vector pow got wrong at 0, with their exact answers
            if (p == 0) check_pointwise(x, y, [](auto v) { return decltype(v)(1) + 0 * decltype(v)(v == v); });
            if (p == 1) check_pointwise(x, y, [](auto v) { return v; });
            if (p == 2) check_pointwise(x, y, [](auto v) { return v * v; });
            if (p == 0.5) check_pointwise(x, y, [](auto v) { return std::sqrt(v); });
            if (p == -1) check_pointwise(x, y, [](auto v) { return decltype(v)(1) / v; });
            push(y);
        }
        }
        return;
    }
    case 2: {  // binary
        const Tensor a = operand(), b = operand();
        if (!small_result(a, b)) return;
        switch (prog.byte() % 7) {
        case 0: push(a + b); break;
        case 1: push(a - b); break;
        case 2: push(a * b); break;
        case 3: push(a / b); break;
        case 4: push(matmul(a, b)); break;
        case 5: push(linear(a, b, operand())); break;
        default: push(prelu(a, b)); break;
        }
        return;
    }
    case 3: {  // reductions, any axis
        const Tensor x = operand();
        const std::uint8_t kind = prog.byte();
        const int axis = static_cast<std::int8_t>(prog.byte());
        const bool keep = prog.byte() & 1;
        switch (kind % 6) {
        case 0: push(sum(x)); break;
        case 1: push(mean(x)); break;
        case 2: push(sum(x, axis, keep)); break;
        case 3: push(mean(x, axis, keep)); break;
        case 4: push(max(x, axis, keep)); break;
        default: (void)argmax(x, axis, keep); break;
        }
        return;
    }
    case 4: {  // shapes
        const Tensor x = operand();
        const std::uint8_t kind = prog.byte();
        if (kind % 3 == 0) {
            std::vector<std::int64_t> request;
            for (std::uint8_t r = prog.byte() % 5; r > 0; --r) request.push_back(prog.pick(requests));
            push(reshape(x, request));
        } else if (kind % 3 == 1) {
            push(flatten(x, static_cast<std::int8_t>(prog.byte()), static_cast<std::int8_t>(prog.byte())));
        } else {
            push(transpose(x, static_cast<std::int8_t>(prog.byte()), static_cast<std::int8_t>(prog.byte())));
        }
        return;
    }
    case 5: {  // softmax along any axis
        const Tensor x = operand();
        const bool log = prog.byte() & 1;
        const int axis = static_cast<std::int8_t>(prog.byte());
        push(log ? log_softmax(x, axis) : softmax(x, axis));
        return;
    }
    case 6: {  // losses with labels from the input (negative, -100, huge)
        const Tensor x = operand();
        Labels labels;
        for (std::uint8_t n = prog.byte() % 9; n > 0; --n) labels.push_back(static_cast<std::int8_t>(prog.byte()));
        switch (prog.byte() % 4) {
        case 0: push(nn::cross_entropy(x, labels)); break;
        case 1: push(nll_loss(x, labels)); break;
        case 2: push(mse_loss(x, operand())); break;
        default: push(binary_cross_entropy_with_logits(x, operand())); break;
        }
        return;
    }
    case 7: {  // backward through whatever was built, or check it node by node
        const Tensor x = operand();
        const std::uint8_t kind = prog.byte();
        if (!x.defined() || !x.requires_grad()) return;
        if (kind & 1) {
            (void)check_graph(x.numel() == 1 ? x : sum(x), {.max_elements = 4});
        } else {
            (x.numel() == 1 ? x : sum(x)).backward({.retain_graph = (kind & 2) != 0});
        }
        return;
    }
    case 8: {  // printing
        std::ostringstream s;
        s << operand();
        return;
    }
    case 9: {  // dtype conversion and detaching
        const Tensor x = operand();
        if (!x.defined()) return;
        const std::uint8_t kind = prog.byte();
        constexpr Dtype dtypes[] = {float32, float64, int64, boolean};
        push(kind & 1 ? x.to(dtypes[(kind >> 1) & 3]) : x.detach());
        return;
    }
    case 11: {  // the newer elementwise ops, any dtype
        const Tensor a = operand(), b = operand();
        if (!small_result(a, b)) return;
        switch (prog.byte() % 16) {
        case 0: push(a == b); break;
        case 1: push(a < b); break;
        case 2: push(logical_and(a, b)); break;
        case 3: push(logical_not(a)); break;
        case 4: push(maximum(a, b)); break;
        case 5: push(minimum(a, b)); break;
        case 6: push(clamp(a, prog.pick(specials), prog.pick(specials))); break;
        case 7: push(pow(a, b)); break;
        case 8: push(where(a, b, operand())); break;
        case 9: push(sign(a)); break;
        case 10: { Tensor y = sin(a); check_pointwise(a, y, [](auto v) { return std::sin(v); }); push(y); break; }
        case 11: { Tensor y = log1p(a); check_pointwise(a, y, [](auto v) { return std::log1p(v); }); push(y); break; }
        case 12: push(square(a)); break;
        case 13: push(rsqrt(a)); break;
        case 14: push(a & b); break;
        default: push(masked_fill(a, b, prog.pick(specials))); break;
        }
        return;
    }
    case 12: {  // indexing with indices and masks from the input
        const Tensor x = operand(), i = operand();
        // an index of n entries into rows of x copies up to n · numel(x) elements: legitimate, only
        // slow under the fuzzer's instrumentation beyond a few million
        if (x.defined() && i.defined() && static_cast<double>(x.numel()) * static_cast<double>(std::max<std::size_t>(i.numel(), 1)) > (1 << 22)) return;
        const int dim = static_cast<std::int8_t>(prog.byte());
        const std::int64_t k = static_cast<std::int8_t>(prog.byte()), n = static_cast<std::int8_t>(prog.byte());
        switch (prog.byte() % 11) {
        case 0: push(select(x, dim, k)); break;
        case 1: push(narrow(x, dim, k, n)); break;
        case 2: push(slice(x, dim, k, n, static_cast<std::int8_t>(prog.byte()))); break;
        case 3: push(index_select(x, dim, i)); break;
        case 4: push(take_rows(x, i)); break;
        case 5: push(gather(x, dim, i)); break;
        case 6: push(scatter_add(x, dim, i, operand())); break;
        case 7: push(one_hot(i, n)); break;
        case 8: push(index(x, {k, Slice(n, std::nullopt, 1 + (prog.byte() & 3))})); break;
        case 9: push(index(x, {ellipsis, newaxis, i})); break;
        default: push(multinomial(x, static_cast<std::size_t>(n & 15), (prog.byte() & 1) != 0)); break;
        }
        return;
    }
    case 13: {  // joining and shapes
        const Tensor x = operand(), y = operand();
        const int dim = static_cast<std::int8_t>(prog.byte());
        const std::int64_t n = static_cast<std::int8_t>(prog.byte());
        if (!small_result(x, y)) return;
        switch (prog.byte() % 10) {
        case 0: push(cat({x, y}, dim)); break;
        case 1: push(xgrad::stack({x, y}, dim)); break;
        case 2: { auto parts = split(x, n, dim); if (!parts.empty()) push(parts.back()); break; }
        case 3: { auto parts = chunk(x, n, dim); if (!parts.empty()) push(parts.front()); break; }
        case 4: push(unsqueeze(x, dim)); break;
        case 5: push(squeeze(x, dim)); break;
        case 6: push(permute(x, {dim, static_cast<std::int8_t>(prog.byte())})); break;
        case 7: push(expand(x, {n, -1})); break;
        case 8: push(repeat(x, {static_cast<std::size_t>(n & 3), static_cast<std::size_t>(prog.byte() & 3)})); break;
        default: push(bmm(x, y)); break;
        }
        return;
    }
    case 14: {  // the newer reductions and normalizations
        const Tensor x = operand();
        const int axis = static_cast<std::int8_t>(prog.byte());
        const bool keep = prog.byte() & 1;
        switch (prog.byte() % 12) {
        case 0: push(sum(x, {axis, static_cast<std::int8_t>(prog.byte())}, keep)); break;
        case 1: push(min(x, axis, keep)); break;
        case 2: push(prod(x, axis, keep)); break;
        case 3: push(var(x, {axis}, prog.pick(specials), keep)); break;
        case 4: push(logsumexp(x, axis, keep)); break;
        case 5: push(argmin(x, axis, keep)); break;
        case 6: push(cumsum(x, axis)); break;
        case 7: push(norm(x, prog.pick(specials), {axis}, keep)); break;
        case 8: push(layer_norm(x, {static_cast<std::size_t>(prog.byte() & 7)})); break;
        case 9: push(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true)); break;
        case 10: push(dropout(x, prog.pick(specials), true)); break;
        default: push(nn::cross_entropy(x, operand(), {.label_smoothing = 0.1, .ignore_index = static_cast<std::int8_t>(prog.byte())})); break;
        }
        return;
    }
    default: {  // an in-place change after forward: backward must refuse, not use the new values
        Tensor x = operand();
        if (!x.defined() || x.numel() == 0 || !x.is_floating_point()) return;
        visit_float(x.mutable_array(), [](auto& v) { v.data()[0] += 1; });
        return;
    }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Program prog(data, size);
    std::vector<Tensor> stack;
    for (int steps = 0; steps < 48 && !prog.done(); ++steps) {
        try {
            run(prog, stack);
        } catch (const std::invalid_argument&) {  // ShapeError, DtypeError: the user's mistake, named
        } catch (const std::out_of_range&) {
        } catch (const std::runtime_error&) {
        } catch (const std::bad_alloc&) {      // OutOfMemory names the op
        } catch (const std::logic_error& e) {  // a broken invariant: a bug in xgrad
            std::fprintf(stderr, "broken invariant: %s\n", e.what());
            __builtin_trap();
        }
    }
    return 0;
}
