#pragma once

#include <cstdint>
#include <utility>

#include "nn/data/dataset.hpp"

namespace xgrad::data {

/// The four points of xor: (0,0) -> 0, (0,1) -> 1, (1,0) -> 1, (1,1) -> 0. float32 inputs (4, 2).
Dataset make_xor();
/// Two interleaving half circles (as scikit-learn's make_moons), Gaussian noise of `noise`.
Dataset make_moons(std::size_t n, double noise = 0.1, std::uint64_t seed = 0);
/// A small circle (label 1, radius `factor`) inside a large one (label 0), with noise.
Dataset make_circles(std::size_t n, double noise = 0.05, double factor = 0.5, std::uint64_t seed = 0);
/// `classes` interleaved spiral arms of n_per_class points each (the CS231n spiral).
Dataset make_spiral(std::size_t n_per_class, std::size_t classes = 3, double noise = 0.2, std::uint64_t seed = 0);
/// Customers with inputs (age in years, salary in thousands) and label 1 if they buy: nobody
/// under 18 buys; above, the chance is σ((age - 35) / 8 + (salary - 60) / 15), rising with both.
Dataset make_buyers(std::size_t n, std::uint64_t seed = 0);
/// The buyers' rule itself: the probability that a customer of this age and salary buys.
double buyers_probability(double age, double salary_thousands);

/// Splits off a random test_fraction of the samples: (train, test). Throws for a fraction
/// outside (0, 1) or a split that leaves either side empty.
std::pair<Dataset, Dataset> train_test_split(const Dataset& d, double test_fraction = 0.2, std::uint64_t seed = 0);

/// Per-feature standardisation (x - mean) / std with statistics from the training inputs,
/// applied unchanged to any later inputs (test set, new customers).
class Standardizer {
public:
    /// Statistics of inputs (N, F); a feature with zero spread keeps std 1.
    explicit Standardizer(const Tensor& inputs);
    /// Inputs (M, F) of the same dtype, standardised; throws ShapeError for another F.
    Tensor operator()(const Tensor& inputs) const;
    const std::vector<double>& mean() const { return mean_; }
    const std::vector<double>& std() const { return std_; }

private:
    std::vector<double> mean_, std_;
};

}  // namespace xgrad::data
