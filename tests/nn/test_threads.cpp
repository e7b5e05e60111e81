// Grad mode, anomaly mode, the graph's bookkeeping and (with a GeneratorGuard) the random stream
// are per thread: two threads training two models at once get bit-for-bit what they get one
// after the other.
#include "helpers.hpp"

#include <atomic>
#include <chrono>
#include <exception>
#include <thread>

using namespace xgrad;

namespace {

struct Run {
    std::vector<double> losses;
    std::vector<xt::xarray<double>> params;
};

Run train(std::uint64_t seed, std::size_t hidden) {
    Generator gen(seed);
    GeneratorGuard guard(gen);
    const auto set = data::make_spiral(60, 3, 0.2, seed);
    nn::Sequential model = nn::MLP({2, hidden, hidden, 3}, "tanh");
    optim::SGD opt(model.parameters(), {.lr = 0.05, .momentum = 0.9});
    data::DataLoader loader(set, {.batch_size = 16, .shuffle = true, .seed = seed});
    Run run;
    for (int epoch = 0; epoch < 10; ++epoch) {
        for (auto [x, y] : loader) {
            // Input noise draws from this thread's generator on every step.
            Tensor loss = nn::cross_entropy(model(x + 0.01 * Tensor::randn(x.shape())), y);
            opt.zero_grad();
            loss.backward();
            opt.step();
            run.losses.push_back(loss.item());
            NoGradGuard no_grad;  // flips grad mode on this thread between every two steps
            run.losses.push_back(data::accuracy(model(x), y));
        }
    }
    for (const auto& p : model.parameters()) run.params.push_back(test::values(p));
    return run;
}

}  // namespace

TEST_CASE("two threads training two models at once match training them one after the other", "[threads]") {
    const Run first = train(1, 16), second = train(2, 24);
    Run a, b;
    std::exception_ptr error_a, error_b;
    std::thread ta([&] {
        try {
            a = train(1, 16);
        } catch (...) {
            error_a = std::current_exception();
        }
    });
    std::thread tb([&] {
        try {
            b = train(2, 24);
        } catch (...) {
            error_b = std::current_exception();
        }
    });
    ta.join();
    tb.join();
    if (error_a) std::rethrow_exception(error_a);
    if (error_b) std::rethrow_exception(error_b);
    REQUIRE(a.losses.size() == first.losses.size());
    CHECK(a.losses == first.losses);
    CHECK(b.losses == second.losses);
    REQUIRE(a.params.size() == first.params.size());
    for (std::size_t i = 0; i < a.params.size(); ++i) CHECK((a.params[i] == first.params[i]));
    for (std::size_t i = 0; i < b.params.size(); ++i) CHECK((b.params[i] == second.params[i]));
    CHECK(first.losses != second.losses);
}

TEST_CASE("changing a weight in place after forward makes backward refuse, as PyTorch's version counter does",
          "[threads][errors]") {
    nn::Linear fc(3, 2);
    Tensor loss = fc(Tensor::ones({4, 3})).sum();
    const auto before = fc.weight().version();
    Tensor w = fc.weight();  // a handle: copies alias
    w.mutable_data<float>()(0, 0) += 1;  // silently changed the gradient before
    CHECK(fc.weight().version() == before + 2);
    CHECK_THROWS_WITH(loss.backward(), Catch::Contains("modified by an inplace operation") &&
                                           Catch::Contains("operand 1 of 'linear'") &&
                                           Catch::Contains("float32 (2, 3), is at version " + std::to_string(before + 2) +
                                                           "; expected version " + std::to_string(before)));
    // an output changed in place: its op's backward would read the new values
    auto x = Tensor::from({1, 2}, {2}, {.requires_grad = true});
    Tensor y = exp(x);
    y.mutable_data<float>()(0) = 0;
    CHECK_THROWS_WITH(y.sum().backward(), Catch::Contains("the output of 'exp'"));
    // after backward, changing it is what an optimizer does: fine
    Tensor again = fc(Tensor::ones({4, 3})).sum();
    again.backward();
    w.mutable_data<float>()(0, 0) += 1;
    CHECK(fc.weight().grad().defined());
}

// An intentional data race (ThreadSanitizer leaves this one out): one thread trains a model while
// another evaluates it; an op that overlaps an optimizer step must throw, never return torn values.
TEST_CASE("evaluating a model while another thread trains it is a clear error, not a silent race", "[race]") {
    manual_seed(3);
    nn::Sequential model = nn::MLP({256, 512, 10}, "relu");
    optim::SGD opt(model.parameters(), {.lr = 1e-4});
    const Tensor x = Tensor::randn({64, 256});
    const Labels y(64, 1);
    std::atomic<bool> stop{false};
    std::atomic<int> refused{0}, evaluated{0}, other{0};
    std::thread evaluator([&] {
        NoGradGuard no_grad;
        while (!stop.load()) {
            try {
                const Tensor out = model(x);
                if (!xt::all(xt::isfinite(out.data<float>()))) ++other;
                ++evaluated;
            } catch (const std::runtime_error& e) {
                if (std::string(e.what()).find("was changed by another thread while this op read it") != std::string::npos)
                    ++refused;
                else
                    ++other;
            }
        }
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (refused.load() == 0 && std::chrono::steady_clock::now() < deadline) {
        for (int i = 0; i < 20; ++i) {
            Tensor loss = nn::cross_entropy(model(x), y);
            opt.zero_grad();
            loss.backward();
            opt.step();
        }
    }
    stop = true;
    evaluator.join();
    INFO(evaluated.load() << " evaluations ran, " << refused.load() << " were refused");
    CHECK(refused.load() > 0);
    CHECK(other.load() == 0);
}
