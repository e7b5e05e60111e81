#include "ops/random.hpp"

#include <cmath>
#include <random>

#include "autograd/runtime/random.hpp"
#include "ops/common.hpp"
#include "ops/elementwise.hpp"

namespace xgrad {

Tensor dropout(const Tensor& x, double p, bool training) {
    if (!(p >= 0 && p <= 1)) throw std::invalid_argument("dropout: p must be in [0, 1], got " + number_str(p));
    if (!training || p == 0) return x;
    detail::require_floating("dropout", x);
    // x times a mask of 0 (probability p) and 1/(1-p): the gradient is masked and scaled alike
    Array mask = dispatch(x.dtype(), [&](auto zero) -> Array {
        using T = decltype(zero);
        Values<T> m = Values<T>::from_shape(x.shape());
        const T keep = p == 1 ? T(0) : static_cast<T>(1 / (1 - p));
        detail::with_generator([&](std::mt19937_64& gen) {
            std::uniform_real_distribution<double> u(0.0, 1.0);
            for (auto& v : m) v = u(gen) < p ? T(0) : keep;
        });
        return m;
    });
    return mul(x, Tensor(std::move(mask)));
}

Tensor multinomial(const Tensor& probs, std::size_t num_samples, bool replacement) {
    if (probs.dim() != 1 && probs.dim() != 2)
        throw ShapeError("multinomial: expected probabilities (C) or (N, C), got " + shape_str(probs.shape()));
    const Array weights = cast(probs.array(), Dtype::float64);
    const auto& w = get<double>(weights);
    const std::size_t rows = probs.dim() == 1 ? 1 : probs.shape()[0], c = probs.shape()[probs.dim() - 1];
    if (c == 0) throw std::invalid_argument("multinomial: no categories in " + describe(probs));
    for (std::size_t r = 0; r < rows; ++r) {
        double total = 0;
        std::size_t positive = 0;
        for (std::size_t k = 0; k < c; ++k) {
            const double v = w.data()[r * c + k];
            if (!(v >= 0) || !std::isfinite(v))
                throw std::invalid_argument("multinomial: weights must be finite and non-negative, got " + number_str(v) +
                                            " at row " + std::to_string(r) + ", category " + std::to_string(k));
            total += v;
            positive += v > 0;
        }
        if (total == 0) throw std::invalid_argument("multinomial: row " + std::to_string(r) + " of the weights sums to 0");
        if (!replacement && num_samples > positive)
            throw std::invalid_argument("multinomial: cannot draw " + std::to_string(num_samples) + " samples without replacement from " +
                                        std::to_string(positive) + " categories of non-zero weight");
    }
    Shape shape = probs.dim() == 1 ? Shape{num_samples} : Shape{rows, num_samples};
    checked_numel("multinomial", shape);
    Values<std::int64_t> out = Values<std::int64_t>::from_shape(shape);
    if (out.size() == 0) return Tensor(std::move(out));  // (the weights of no row may be any width)
    detail::with_generator([&](std::mt19937_64& gen) {
        std::uniform_real_distribution<double> u(0.0, 1.0);
        std::vector<double> row(c);
        for (std::size_t r = 0; r < rows; ++r) {
            std::copy_n(w.data() + r * c, c, row.begin());
            for (std::size_t s = 0; s < num_samples; ++s) {
                double total = 0;
                for (double v : row) total += v;
                // the first category whose running sum passes a uniform draw over the total
                const double target = u(gen) * total;
                std::size_t k = 0;
                for (double run = 0; k + 1 < c; ++k) {
                    run += row[k];
                    if (target < run && row[k] > 0) break;
                }
                while (row[k] == 0 && k > 0) --k;  // rounding at the end: the last category of non-zero weight
                out.data()[r * num_samples + s] = static_cast<std::int64_t>(k);
                if (!replacement) row[k] = 0;
            }
        }
    });
    return Tensor(std::move(out));
}

}  // namespace xgrad
