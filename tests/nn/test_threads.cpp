// Grad mode, anomaly mode, the graph's bookkeeping and (with a GeneratorGuard) the random stream
// are per thread: two threads training two models at once get bit-for-bit what they get one
// after the other.
#include "helpers.hpp"

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
