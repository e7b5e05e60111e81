#include "helpers.hpp"

#include <cmath>

using namespace xgrad;
using xgrad::test::array;
using xgrad::test::param;
using xgrad::test::randn64;

namespace {

// log softmax of a row, in double, from the definition.
std::vector<double> log_softmax_ref(std::vector<double> row) {
    double total = 0;
    for (double v : row) total += std::exp(v);
    for (double& v : row) v -= std::log(total);
    return row;
}

}  // namespace

TEST_CASE("cross_entropy from labels: values and reductions", "[loss]") {
    auto logits = Tensor::from({1, 2, 3, 0.5, -1, 2}, {2, 3}, {.dtype = float64});
    auto r0 = log_softmax_ref({1, 2, 3}), r1 = log_softmax_ref({0.5, -1, 2});
    const double l0 = -r0[2], l1 = -r1[0];
    CHECK(l0 == Approx(0.40760596444438).epsilon(1e-12));  // -log softmax([1, 2, 3])[2]
    CHECK(cross_entropy(logits, Labels{2, 0}).item() == Approx((l0 + l1) / 2).epsilon(1e-12));
    CHECK(cross_entropy(logits, Labels{2, 0}, {.reduction = Reduction::sum}).item() == Approx(l0 + l1).epsilon(1e-12));
    CHECK_VALUES(cross_entropy(logits, Labels{2, 0}, {.reduction = Reduction::none}), array({l0, l1}, {2}));
    // label smoothing ε: q = (1 - ε) onehot + ε / C
    const double eps = 0.1, q_off = eps / 3, q_on = 1 - eps + eps / 3;
    const double s0 = -(q_off * r0[0] + q_off * r0[1] + q_on * r0[2]);
    const double s1 = -(q_on * r1[0] + q_off * r1[1] + q_off * r1[2]);
    CHECK(cross_entropy(logits, Labels{2, 0}, {.label_smoothing = eps}).item() == Approx((s0 + s1) / 2).epsilon(1e-12));
}

TEST_CASE("cross_entropy's gradient is exactly (softmax - target) / N", "[loss]") {
    auto logits = param({1, 2, 3, 0.5, -1, 2}, {2, 3});
    cross_entropy(logits, Labels{2, 0}).backward();
    auto p = test::values(softmax(logits.detach(), 1));
    xt::xarray<double> onehot = array({0, 0, 1, 1, 0, 0}, {2, 3});
    CHECK(xt::allclose(test::values(logits.grad()), (p - onehot) / 2.0, 1e-15, 1e-15));

    auto soft = param({1, 2, 3, 0.5, -1, 2}, {2, 3});
    cross_entropy(soft, Labels{2, 0}, {.reduction = Reduction::sum, .label_smoothing = 0.3}).backward();
    xt::xarray<double> q = onehot * 0.7 + 0.1;
    CHECK(xt::allclose(test::values(soft.grad()), p - q, 1e-15, 1e-15));
}

TEST_CASE("cross_entropy from probabilities matches labels for one-hot targets", "[loss]") {
    auto logits = Tensor::from({1, 2, 3, 0.5, -1, 2}, {2, 3}, {.dtype = float64});
    auto onehot = Tensor::from({0, 0, 1, 1, 0, 0}, {2, 3}, {.dtype = float64});
    CHECK(cross_entropy(logits, onehot).item() == Approx(cross_entropy(logits, Labels{2, 0}).item()).epsilon(1e-14));
    CHECK(cross_entropy(logits, onehot, {.label_smoothing = 0.2}).item() ==
          Approx(cross_entropy(logits, Labels{2, 0}, {.label_smoothing = 0.2}).item()).epsilon(1e-14));
    auto mixed = Tensor::from({0.2, 0.3, 0.5, 0.6, 0.4, 0}, {2, 3}, {.dtype = float64});
    auto r0 = log_softmax_ref({1, 2, 3}), r1 = log_softmax_ref({0.5, -1, 2});
    const double want = -(0.2 * r0[0] + 0.3 * r0[1] + 0.5 * r0[2] + 0.6 * r1[0] + 0.4 * r1[1]) / 2;
    CHECK(cross_entropy(logits, mixed).item() == Approx(want).epsilon(1e-12));
}

TEST_CASE("cross_entropy is finite for logits of ±1e4", "[loss]") {
    for (Dtype dt : {float32, float64}) {
        auto logits = Tensor::from({1e4, -1e4, 0, -1e4, 1e4, 0}, {2, 3}, {.dtype = dt, .requires_grad = true});
        auto loss = cross_entropy(logits, Labels{0, 0}, {.reduction = Reduction::none});
        CHECK_VALUES(loss, array({0, 2e4}, {2}));
        loss.sum().backward();
        CHECK_VALUES(logits.grad(), array({0, 0, 0, -1, 1, 0}, {2, 3}));
    }
}

TEST_CASE("nll_loss, binary_cross_entropy_with_logits and mse_loss values", "[loss]") {
    auto lp = Tensor::from({-1, -2, -0.5, -3}, {2, 2}, {.dtype = float64});
    CHECK(nll_loss(lp, Labels{1, 0}).item() == Approx(1.25));
    CHECK(nll_loss(lp, Labels{1, 0}, Reduction::sum).item() == Approx(2.5));
    // nll of log_softmax is cross_entropy
    auto logits = Tensor::from({1, 2, 3, 0.5, -1, 2}, {2, 3}, {.dtype = float64});
    CHECK(nll_loss(log_softmax(logits, 1), Labels{2, 0}).item() ==
          Approx(cross_entropy(logits, Labels{2, 0}).item()).epsilon(1e-14));

    auto x = Tensor::from({0, 2, -3, 1e4, -1e4}, {5}, {.dtype = float64});
    auto t = Tensor::from({1, 0, 1, 0, 1}, {5}, {.dtype = float64});
    auto bce = [](double xv, double tv) {
        const double p = 1 / (1 + std::exp(-xv));
        return -(tv * std::log(p) + (1 - tv) * std::log(1 - p));
    };
    CHECK_VALUES(binary_cross_entropy_with_logits(x, t, Reduction::none),
                 array({std::log(2.0), bce(2, 0), bce(-3, 1), 1e4, 1e4}, {5}));
    CHECK(binary_cross_entropy_with_logits(x.reshape({5, 1}), t.reshape({5, 1})).item() ==
          Approx((std::log(2.0) + bce(2, 0) + bce(-3, 1) + 2e4) / 5));

    auto a = Tensor::from({1, 2, 3}, {3});
    auto b = Tensor::from({0, 4, 3}, {3});
    CHECK(mse_loss(a, b).item() == Approx(5.0 / 3));
    CHECK(mse_loss(a, b, Reduction::sum).item() == Approx(5.0));
    CHECK_VALUES(mse_loss(a, b, Reduction::none), array({1, 4, 0}, {3}));
}

TEST_CASE("loss gradients match finite differences", "[loss][gradcheck]") {
    auto logits = randn64({4, 5}, 41);
    auto big = Tensor(xt::xarray<double>(randn64({4, 5}, 42).data<double>() * 30.0), true);
    const Labels labels{0, 4, 2, 2};
    for (const auto& at : {logits, big})
        for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none})
            for (double eps : {0.0, 0.2}) {
                INFO("reduction " << int(r) << " smoothing " << eps);
                CHECK_GRADCHECK([&](const auto& in) {
                    return cross_entropy(in[0], labels, {.reduction = r, .label_smoothing = eps});
                }, {at});
                CHECK_GRADCHECK([&](const auto& in) { return nll_loss(log_softmax(in[0], 1), labels, r); }, {at});
            }
    manual_seed(43);
    auto probs = Tensor(xt::xarray<double>(test::values(softmax(Tensor::randn({4, 5}, {.dtype = float64}), 1))), true);
    CHECK_GRADCHECK([](const auto& in) { return cross_entropy(in[0], in[1]); }, {logits, probs});
    CHECK_GRADCHECK([](const auto& in) { return cross_entropy(in[0], in[1], {.label_smoothing = 0.1}); }, {logits, probs});

    auto x = Tensor(xt::xarray<double>(randn64({3, 4}, 44).data<double>() * 5.0), true);
    auto t = Tensor(xt::xarray<double>(xt::abs(randn64({3, 4}, 45).data<double>()) / 3.0), true);
    for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
        CHECK_GRADCHECK([=](const auto& in) { return binary_cross_entropy_with_logits(in[0], in[1], r); }, {x, t});
        CHECK_GRADCHECK([=](const auto& in) { return mse_loss(in[0], in[1], r); }, {x, t});
    }
}

TEST_CASE("losses reject bad labels and shapes", "[loss][errors]") {
    auto logits = Tensor::zeros({4, 10});
    CHECK_THROWS_AS(cross_entropy(logits, Labels{1, 2, 3, 10}), std::invalid_argument);
    CHECK_THROWS_WITH(cross_entropy(logits, Labels{1, 2, 3, 12}),
                      "cross_entropy: label 12 at position 3 is out of range for 10 classes (ignore_index is -100)");
    CHECK_THROWS_WITH(cross_entropy(logits, Labels{-1, 2, 3, 4}),
                      "cross_entropy: label -1 at position 0 is out of range for 10 classes (ignore_index is -100)");
    CHECK_THROWS_AS(cross_entropy(logits, Labels{1, 2}), ShapeError);
    CHECK_THROWS_WITH(cross_entropy(logits, Labels{1, 2}), "cross_entropy: 2 labels for a batch of 4 (input (4, 10))");
    CHECK_THROWS_WITH(cross_entropy(Tensor::zeros({10}), Labels{1}),
                      "cross_entropy: expected input (batch, classes) with at least one class, got (10)");
    CHECK_THROWS_WITH(cross_entropy(logits, Tensor::zeros({4, 9})),
                      "cross_entropy: target probabilities (4, 9) must have the logits' shape (4, 10)");
    CHECK_THROWS_WITH(cross_entropy(logits, Labels{1, 2, 3, 4}, {.label_smoothing = 1.5}),
                      "cross_entropy: label_smoothing must be in [0, 1], got 1.5");
    CHECK_THROWS_AS(cross_entropy(logits, Tensor::zeros({4, 10}, {.dtype = float64})), DtypeError);
    CHECK_THROWS_WITH(nll_loss(logits, Labels{0, 0, 0, 99}), "nll_loss: label 99 at position 3 is out of range for 10 classes");
    CHECK_THROWS_WITH(binary_cross_entropy_with_logits(Tensor::zeros({4}), Tensor::zeros({4, 1})),
                      "binary_cross_entropy_with_logits: target (4, 1) must have the input's shape (4)");
    CHECK_THROWS_WITH(mse_loss(Tensor::zeros({2, 3}), Tensor::zeros({4})),
                      "mse_loss: shapes cannot be broadcast together: lhs (2, 3) vs rhs (4)");
}
