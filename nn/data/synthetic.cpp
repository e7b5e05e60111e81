#include "nn/data/synthetic.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <random>

namespace xgrad::data {

namespace {

// Builds a dataset of n samples with two features from f(i, x, y) -> label.
template <class F>
Dataset points(std::size_t n, F f) {
    Values<float> x = Values<float>::from_shape({n, 2});
    Labels labels(n);
    for (std::size_t i = 0; i < n; ++i) {
        double a = 0, b = 0;
        labels[i] = f(i, a, b);
        x(i, 0) = static_cast<float>(a);
        x(i, 1) = static_cast<float>(b);
    }
    return Dataset(Tensor(std::move(x)), std::move(labels));
}

}  // namespace

Dataset make_xor() {
    return Dataset(Tensor::from({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2}), Labels{0, 1, 1, 0});
}

Dataset make_moons(std::size_t n, double noise, std::uint64_t seed) {
    std::mt19937_64 gen(seed);
    std::normal_distribution<double> jitter(0, noise);
    const std::size_t outer = n / 2, inner = n - outer;
    return points(n, [&](std::size_t i, double& x, double& y) -> std::int64_t {
        const bool second = i >= outer;
        const std::size_t k = second ? i - outer : i, count = second ? inner : outer;
        const double t = std::numbers::pi * static_cast<double>(k) / static_cast<double>(std::max<std::size_t>(count - 1, 1));
        x = (second ? 1 - std::cos(t) : std::cos(t)) + jitter(gen);
        y = (second ? 0.5 - std::sin(t) : std::sin(t)) + jitter(gen);
        return second;
    });
}

Dataset make_circles(std::size_t n, double noise, double factor, std::uint64_t seed) {
    std::mt19937_64 gen(seed);
    std::normal_distribution<double> jitter(0, noise);
    const std::size_t outer = n / 2;
    return points(n, [&](std::size_t i, double& x, double& y) -> std::int64_t {
        const bool small = i >= outer;
        const double t = 2 * std::numbers::pi * static_cast<double>(small ? i - outer : i) /
                         static_cast<double>(small ? n - outer : outer);
        const double r = small ? factor : 1.0;
        x = r * std::cos(t) + jitter(gen);
        y = r * std::sin(t) + jitter(gen);
        return small;
    });
}

Dataset make_spiral(std::size_t n_per_class, std::size_t classes, double noise, std::uint64_t seed) {
    std::mt19937_64 gen(seed);
    std::normal_distribution<double> jitter(0, noise);
    return points(n_per_class * classes, [&](std::size_t i, double& x, double& y) -> std::int64_t {
        const std::size_t k = i / n_per_class, j = i % n_per_class;
        const double r = static_cast<double>(j) / static_cast<double>(std::max<std::size_t>(n_per_class - 1, 1));
        const double t = 4.0 * static_cast<double>(k) + 4.0 * r + jitter(gen);
        x = r * std::sin(t);
        y = r * std::cos(t);
        return static_cast<std::int64_t>(k);
    });
}

double buyers_probability(double age, double salary) {
    if (age < 18) return 0.0;
    return 1.0 / (1.0 + std::exp(-((age - 35) / 8 + (salary - 60) / 15)));
}

Dataset make_buyers(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 gen(seed);
    std::uniform_real_distribution<double> age(14, 70), salary(15, 150), coin(0, 1);
    return points(n, [&](std::size_t, double& a, double& s) -> std::int64_t {
        a = std::round(age(gen));
        s = std::round(salary(gen));
        return coin(gen) < buyers_probability(a, s);
    });
}

std::pair<Dataset, Dataset> train_test_split(const Dataset& d, double test_fraction, std::uint64_t seed) {
    if (!(test_fraction > 0 && test_fraction < 1))
        throw std::invalid_argument("train_test_split: test_fraction must be in (0, 1), got " + number_str(test_fraction));
    const auto n_test = static_cast<std::size_t>(std::round(test_fraction * static_cast<double>(d.size())));
    if (n_test == 0 || n_test == d.size())
        throw std::invalid_argument("train_test_split: " + std::to_string(d.size()) + " samples cannot be split with test_fraction " +
                                    number_str(test_fraction) + " (one side would be empty)");
    std::vector<std::size_t> order(d.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::mt19937_64 gen(seed);
    std::shuffle(order.begin(), order.end(), gen);
    std::vector<std::size_t> test(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_test));
    std::vector<std::size_t> train(order.begin() + static_cast<std::ptrdiff_t>(n_test), order.end());
    return {d.subset(train), d.subset(test)};
}

Standardizer::Standardizer(const Tensor& inputs) {
    if (inputs.dim() != 2 || inputs.shape()[0] == 0)
        throw ShapeError("Standardizer: expected inputs (N, features) with N > 0, got " + shape_str(inputs.shape()));
    const std::size_t n = inputs.shape()[0], f = inputs.shape()[1];
    mean_.assign(f, 0.0);
    std_.assign(f, 0.0);
    std::visit([&](const auto& a) {
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < f; ++j) mean_[j] += static_cast<double>(a(i, j)) / static_cast<double>(n);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < f; ++j) std_[j] += std::pow(static_cast<double>(a(i, j)) - mean_[j], 2) / static_cast<double>(n);
    }, inputs.array());
    for (auto& s : std_) s = s > 0 ? std::sqrt(s) : 1.0;
}

Tensor Standardizer::operator()(const Tensor& inputs) const {
    if (inputs.dim() != 2 || inputs.shape()[1] != mean_.size())
        throw ShapeError("Standardizer: fitted on " + std::to_string(mean_.size()) + " features, got inputs " +
                         shape_str(inputs.shape()));
    return Tensor(std::visit([&](const auto& a) -> Array {
        using T = typename std::decay_t<decltype(a)>::value_type;
        auto out = a;
        for (std::size_t i = 0; i < a.shape()[0]; ++i)
            for (std::size_t j = 0; j < mean_.size(); ++j)
                out(i, j) = static_cast<T>((static_cast<double>(a(i, j)) - mean_[j]) / std_[j]);
        return out;
    }, inputs.array()));
}

}  // namespace xgrad::data
