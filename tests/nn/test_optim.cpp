#include "helpers.hpp"

using namespace xgrad;
using xgrad::test::array;
using xgrad::test::param;

namespace {

// A parameter whose gradient is set by hand.
Tensor with_grad(std::initializer_list<double> values, std::initializer_list<double> grad) {
    auto p = param(values, {values.size()});
    // d/dp sum(p * g) = g
    (p * Tensor::from(grad, {grad.size()}, {.dtype = float64})).sum().backward();
    return p;
}

void regrad(Tensor& p, std::initializer_list<double> grad) {
    p.zero_grad();
    (p * Tensor::from(grad, {grad.size()}, {.dtype = float64})).sum().backward();
}

}  // namespace

TEST_CASE("SGD follows PyTorch's update rule", "[optim]") {
    auto p = with_grad({1, 2}, {0.5, -1});
    optim::SGD plain({p}, {.lr = 0.1});
    plain.step();
    CHECK_VALUES(p, array({0.95, 2.1}, {2}));

    // momentum 0.9, dampening 0.5: b1 = g (first step), b2 = 0.9 b1 + 0.5 g
    auto q = with_grad({1}, {1});
    optim::SGD mom({q}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5});
    mom.step();
    CHECK_VALUES(q, array({0.9}, {1}));
    regrad(q, {2});
    mom.step();
    CHECK_VALUES(q, array({0.9 - 0.1 * (0.9 * 1 + 0.5 * 2)}, {1}));

    // nesterov with weight decay: d = g + wd p; b = d; step with d + m b
    auto r = with_grad({2}, {1});
    optim::SGD nest({r}, {.lr = 0.1, .momentum = 0.5, .weight_decay = 0.1, .nesterov = true});
    nest.step();
    const double d = 1 + 0.1 * 2;
    CHECK_VALUES(r, array({2 - 0.1 * (d + 0.5 * d)}, {1}));

    // parameters without a gradient are left alone
    auto idle = param({3}, {1});
    optim::SGD skip({idle}, {.lr = 1});
    skip.step();
    CHECK_VALUES(idle, array({3}, {1}));
}

TEST_CASE("Adam and AdamW follow PyTorch's update rule", "[optim]") {
    auto p = with_grad({1, -1}, {0.5, -2});
    optim::Adam adam({p}, {.lr = 0.1});
    adam.step();
    // first step: m̂ = g, v̂ = g², so the update is lr g / (|g| + eps) = lr sign(g)
    CHECK_VALUES(p, array({0.9, -0.9}, {2}));
    regrad(p, {0.5, -2});
    adam.step();
    CHECK_VALUES(p, array({0.8, -0.8}, {2}));  // a constant gradient keeps the step at lr

    // two steps with different gradients, by hand
    auto q = with_grad({1}, {1});
    optim::Adam a2({q}, {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.99, .weight_decay = 0.1});
    a2.step();
    double x = 1, m = 0, v = 0;
    auto by_hand = [&](double g, int t) {
        g += 0.1 * x;
        m = 0.9 * m + 0.1 * g;
        v = 0.99 * v + 0.01 * g * g;
        x -= 0.01 * (m / (1 - std::pow(0.9, t))) / (std::sqrt(v / (1 - std::pow(0.99, t))) + 1e-8);
    };
    by_hand(1, 1);
    CHECK(q.item() == Approx(x).epsilon(1e-12));
    regrad(q, {-3});
    a2.step();
    by_hand(-3, 2);
    CHECK(q.item() == Approx(x).epsilon(1e-12));

    // AdamW decays the weight itself: p (1 - lr wd), then the Adam step
    auto w = with_grad({2}, {1});
    optim::AdamW adamw({w}, {.lr = 0.1, .weight_decay = 0.5});
    adamw.step();
    CHECK(w.item() == Approx(2 * (1 - 0.05) - 0.1).epsilon(1e-9));
}

TEST_CASE("clip_grad_norm and the schedulers", "[optim]") {
    auto a = with_grad({0, 0}, {3, 0});
    auto b = with_grad({0}, {4});
    CHECK(optim::clip_grad_norm({a, b}, 1.0) == Approx(5.0));
    CHECK_VALUES(a.grad(), array({3 / (5 + 1e-6), 0}, {2}));
    CHECK_VALUES(b.grad(), array({4 / (5 + 1e-6)}, {1}));
    CHECK(optim::clip_grad_norm({a, b}, 10.0) == Approx(1.0).epsilon(1e-5));  // under the bound: unchanged
    CHECK_VALUES(b.grad(), array({4 / (5 + 1e-6)}, {1}));

    optim::SGD opt({a}, {.lr = 1.0});
    optim::StepLR step(opt, 2, 0.5);
    std::vector<double> lrs;
    for (int e = 0; e < 5; ++e) {
        step.step();
        lrs.push_back(opt.lr());
    }
    CHECK(lrs == std::vector<double>{1, 0.5, 0.5, 0.25, 0.25});

    optim::SGD opt2({a}, {.lr = 1.0});
    optim::CosineAnnealingLR cosine(opt2, 4, 0.1);
    cosine.step();
    CHECK(opt2.lr() == Approx(0.1 + 0.9 * (1 + std::cos(M_PI / 4)) / 2));
    for (int e = 0; e < 3; ++e) cosine.step();
    CHECK(opt2.lr() == Approx(0.1));
}

TEST_CASE("optimizers reject bad settings", "[optim][errors]") {
    auto p = param({1}, {1});
    CHECK_THROWS_WITH(optim::SGD({}, {}), "optimizer: got an empty parameter list");
    CHECK_THROWS_WITH(optim::SGD({Tensor::ones({2})}, {}), "optimizer: parameter 0 does not require grad");
    CHECK_THROWS_WITH(optim::SGD({p}, {.lr = -1}), "optimizer: learning rate must be non-negative, got -1");
    CHECK_THROWS_WITH(optim::SGD({p}, {.nesterov = true}), "SGD: nesterov momentum requires a momentum and zero dampening");
    CHECK_THROWS_WITH(optim::Adam({p}, {.beta1 = 1}), "Adam: beta1 must be in [0, 1), got 1");
    optim::SGD opt({p}, {});
    CHECK_THROWS_AS(optim::StepLR(opt, 0), std::invalid_argument);
    CHECK_THROWS_AS(optim::clip_grad_norm({p}, -1), std::invalid_argument);
}

TEST_CASE("an MLP learns xor with SGD", "[optim][nn]") {
    manual_seed(0);
    auto model = nn::MLP({2, 8, 2}, "tanh");
    optim::SGD opt(model.parameters(), {.lr = 0.5, .momentum = 0.9});
    auto x = Tensor::from({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2});
    const Labels y{0, 1, 1, 0};
    double first = 0, last = 0;
    for (int step = 0; step < 300; ++step) {
        Tensor loss = nn::cross_entropy(model(x), y);
        if (step == 0) first = loss.item();
        last = loss.item();
        opt.zero_grad();
        loss.backward();
        opt.step();
    }
    CHECK(last < 0.05 * first);
    NoGradGuard no_grad;
    CHECK(data::accuracy(model(x), y) == 1.0);
}

TEST_CASE("optimizer state is typed per parameter; state_dict is its one adapter to named tensors", "[optim][errors]") {
    auto p = with_grad({1, 2}, {0.5, -1});
    auto q = with_grad({3}, {1});
    optim::Adam adam({p, q}, {.lr = 0.1});
    CHECK(adam.state_dict().size() == 1);  // before a step, as PyTorch: no state, only the settings
    q.zero_grad();
    adam.step();                           // q has no gradient: only p's state starts
    std::vector<std::string> keys;
    for (const auto& [k, t] : adam.state_dict()) keys.push_back(k);
    CHECK(keys == std::vector<std::string>{"lr", "exp_avg.0", "exp_avg_sq.0", "step.0"});

    optim::Adam other({p, q});
    auto state = adam.state_dict();
    CHECK(other.state_dict_problems(state).empty());
    auto partial = state;
    partial.erase(partial.begin() + 2);  // exp_avg_sq.0
    partial.emplace_back("exp_avg.7", Tensor::zeros({2}, {.dtype = float64}));
    partial.emplace_back("lr", Tensor::scalar(0.1, {.dtype = float64}));
    partial.emplace_back("step.1", Tensor::scalar(-1, {.dtype = float64}));
    partial.emplace_back("exp_avg.1", Tensor::zeros({5}, {.dtype = float64}));
    CHECK_THROWS_WITH(other.load_state_dict(partial),
                      Catch::StartsWith("load_state_dict: the state does not fit this optimizer:") &&
                          Catch::Contains("\n  'lr' appears twice") &&
                          Catch::Contains("\n  parameter 0 has 2 of its 3 state entries") &&
                          Catch::Contains("\n  'step.1' must be one non-negative whole number, got float64 ()") &&
                          Catch::Contains("\n  'exp_avg.1' is float64 (5), parameter 1 is float64 (1)") &&
                          Catch::Contains("\n  unexpected 'exp_avg.7'"));
    CHECK(other.state_dict().size() == 1);  // refused: nothing changed
    other.load_state_dict(state);
    CHECK(other.state_dict().size() == 4);
    // an SGD state does not fit Adam, and the reverse
    optim::SGD sgd({p}, {.lr = 0.1, .momentum = 0.9});
    sgd.step();
    CHECK_THAT(problems_message("", adam.state_dict_problems(sgd.state_dict())),
               Catch::Contains("unexpected 'momentum_buffer.0'"));
    CHECK_THAT(problems_message("", sgd.state_dict_problems(state)), Catch::Contains("unexpected 'step.0'"));
}

TEST_CASE("a scheduler's epoch count never overflows", "[optim][errors]") {
    Tensor w = Tensor::ones({2}, {.requires_grad = true});
    optim::SGD opt({w}, {.lr = 1});
    optim::StepLR sched(opt, 2, 0.5);
    // int epochs overflowed at INT_MAX; the count is 64-bit, up to the 10^15 a checkpoint stores
    sched.load_state_dict({{"epoch", Tensor::scalar(2147483647.0, {.dtype = float64})},
                           {"base_lr", Tensor::scalar(1.0, {.dtype = float64})}});
    sched.step();
    CHECK(sched.epoch() == 2147483648LL);
    CHECK(opt.lr() == 0.0);  // 0.5^(2^30) underflows to 0, a number, not UB
    sched.load_state_dict({{"epoch", Tensor::scalar(1e15, {.dtype = float64})},
                           {"base_lr", Tensor::scalar(1.0, {.dtype = float64})}});
    CHECK_THROWS_AS(sched.step(), std::overflow_error);
}
