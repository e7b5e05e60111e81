// xgrad's own threads: set_num_threads, parallel_for's ranges, and that splitting products,
// elementwise passes and SGD over two threads computes what one thread computes.
#include "helpers.hpp"

#include <xtensor/xview.hpp>

#include <atomic>
#include <limits>
#include <mutex>
#include <set>
#include <thread>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ops/common.hpp"

using namespace xgrad;

namespace {

// Sets xgrad's thread count for a test and restores the previous one.
struct Threads {
    explicit Threads(int n) : previous(get_num_threads()) { set_num_threads(n); }
    ~Threads() { set_num_threads(previous); }
    int previous;
};

// A (784-256-128-10) MLP's step on batch 128 with `threads` threads: the loss and every parameter
// after three SGD momentum steps. The products of its first two layers are large enough to be
// split; so are the first layer's relu and SGD update.
std::vector<xt::xarray<float>> train(int threads) {
    Threads use(threads);
    Generator gen(7);
    GeneratorGuard seeded(gen);
    nn::Sequential model;
    model.push_back(std::make_shared<nn::Linear>(784, 256));
    model.push_back(std::make_shared<nn::ReLU>());
    model.push_back(std::make_shared<nn::Linear>(256, 128));
    model.push_back(std::make_shared<nn::ReLU>());
    model.push_back(std::make_shared<nn::Linear>(128, 10));
    optim::SGD opt(model.parameters(), {.lr = 0.05, .momentum = 0.9});
    const Tensor x = Tensor::randn({128, 784});
    Labels y(128);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = static_cast<std::int64_t>(i * 7 % 10);
    std::vector<xt::xarray<float>> out;
    for (int step = 0; step < 3; ++step) {
        opt.zero_grad();
        Tensor loss = nn::cross_entropy(model(x), y);
        loss.backward();
        opt.step();
        out.emplace_back(xt::xarray<float>(loss.data<float>()));
    }
    for (const auto& p : model.parameters()) out.emplace_back(xt::xarray<float>(p.data<float>()));
    return out;
}

}  // namespace

TEST_CASE("set_num_threads takes 1 to 256 threads and names a bad count", "[parallel]") {
    Threads keep(get_num_threads());
    set_num_threads(3);
    CHECK(get_num_threads() == 3);
    CHECK_THROWS_WITH(set_num_threads(0), Catch::Contains("set_num_threads") && Catch::Contains("got 0"));
    CHECK_THROWS_AS(set_num_threads(257), std::invalid_argument);
    CHECK(get_num_threads() == 3);
}

TEST_CASE("parallel_for covers every index once, in aligned ranges on several threads", "[parallel]") {
    Threads use(2);
    for (std::size_t n : {std::size_t{1}, std::size_t{100}, std::size_t{1000}, std::size_t{1001}, std::size_t{4099}}) {
        std::vector<std::atomic<int>> seen(n);
        std::vector<std::pair<std::size_t, std::size_t>> ranges;
        std::mutex m;
        std::set<std::thread::id> ids;
        detail::parallel_for(n, 100, 16, [&](std::size_t begin, std::size_t end) {
            for (std::size_t i = begin; i < end; ++i) seen[i]++;
            std::lock_guard<std::mutex> lock(m);
            ranges.emplace_back(begin, end);
            ids.insert(std::this_thread::get_id());
        });
        for (std::size_t i = 0; i < n; ++i) CHECK(seen[i] == 1);
        // fewer than two grains run on the caller alone; more are split in two
        CHECK(ranges.size() == (n >= 200 ? 2u : 1u));
        CHECK(ids.size() == ranges.size());
        for (const auto& [begin, end] : ranges) {
            CHECK(begin % 16 == 0);
            CHECK(end - begin >= std::min<std::size_t>(n, 100));
        }
    }
}

TEST_CASE("parallel_for inside parallel_for runs serially instead of waiting on itself", "[parallel]") {
    Threads use(2);
    std::atomic<std::size_t> total{0};
    detail::parallel_for(1000, 100, 1, [&](std::size_t begin, std::size_t end) {
        detail::parallel_for(end - begin, 10, 1, [&](std::size_t b, std::size_t e) { total += e - b; });
    });
    CHECK(total == 1000);
}

TEST_CASE("with one thread parallel_for runs on the caller", "[parallel]") {
    Threads use(1);
    std::set<std::thread::id> ids;
    detail::parallel_for(1u << 20, 16, 16, [&](std::size_t, std::size_t) { ids.insert(std::this_thread::get_id()); });
    CHECK(ids == std::set<std::thread::id>{std::this_thread::get_id()});
}

TEST_CASE("two threads train an MLP to what one thread computes", "[parallel]") {
    const auto one = train(1), two = train(2);
    REQUIRE(one.size() == two.size());
    for (std::size_t i = 0; i < one.size(); ++i) {
        INFO("array " << i);
        // Blocks may be summed in another order: allow float32 rounding of the largest value.
        const double scale = test::largest_abs(one[i]), diff = test::largest_abs(one[i] - two[i]);
        INFO("largest difference " << diff << " of values up to " << scale);
        CHECK(diff <= 1e-5 * scale);
    }
}

TEST_CASE("a large split product matches the unsplit one for every transpose", "[parallel]") {
    Generator gen(3);
    GeneratorGuard seeded(gen);
    Tensor a = Tensor::randn({300, 200}, {.requires_grad = true});
    Tensor b = Tensor::randn({200, 40}, {.requires_grad = true});
    auto run = [&](int threads) {
        Threads use(threads);
        a.zero_grad();
        b.zero_grad();
        Tensor y = matmul(a, b);  // 2.4M multiply-adds: split by rows; backward splits dA, dB
        (y * y).sum().backward();
        return std::vector<xt::xarray<float>>{xt::xarray<float>(y.data<float>()),
                                              xt::xarray<float>(a.grad().data<float>()),
                                              xt::xarray<float>(b.grad().data<float>())};
    };
    // Freed blocks are reused: leave NaN in blocks of the results' sizes, so that a block the
    // split product failed to write cannot pass for a right one.
    for (const Shape& shape : {Shape{300, 40}, Shape{300, 200}, Shape{200, 40}})
        (void)Tensor::full(shape, std::numeric_limits<double>::quiet_NaN());
    const auto two = run(2), one = run(1);
    // Blocks may be summed in another order: allow float32 rounding of the largest value.
    for (std::size_t i = 0; i < one.size(); ++i) {
        const double scale = test::largest_abs(one[i]), diff = test::largest_abs(one[i] - two[i]);
        INFO("array " << i << ": largest difference " << diff << " of values up to " << scale);
        CHECK(diff <= 1e-5 * scale);
    }
    // and both are right: y = a·b, da = 2y·bᵀ, db = aᵀ·2y, against plain loops in double
    const xt::xarray<double> av = test::values(a), bv = test::values(b);
    const xt::xarray<double> y = test::product(av, bv);
    const std::vector<xt::xarray<double>> expected{y, test::product(2 * y, xt::transpose(bv)),
                                                   test::product(xt::transpose(av), 2 * y)};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const double scale = test::largest_abs(expected[i]);
        const double diff = test::largest_abs(expected[i] - xt::cast<double>(two[i]));
        INFO("array " << i << ": largest error " << diff << " of values up to " << scale);
        CHECK(diff <= 1e-5 * scale);
    }
}

TEST_CASE("a batched product split over threads matches the one-thread product", "[parallel]") {
    manual_seed(21);
    auto a = Tensor::randn({64, 48, 40}, {.dtype = float64});
    auto b = Tensor::randn({64, 40, 56}, {.dtype = float64});
    const auto one = test::values(matmul(a, b));
    Threads two(2);
    const auto split = test::values(matmul(a, b));
    CHECK(xt::allclose(one, split, 1e-13, 1e-13));
    // one batch element against the 2-D product
    CHECK(xt::allclose(xt::view(split, 5), test::values(matmul(select(a, 0, 5), select(b, 0, 5))), 1e-13, 1e-13));
}

TEST_CASE("a large split linear layer with a bias matches a plain loop, split by rows or columns", "[parallel]") {
    Generator gen(5);
    GeneratorGuard seeded(gen);
    // (64, 300)·(400, 300)ᵀ has more columns than rows: split by columns (rows of W), each block
    // starting from its columns of the bias; (400, 300)·(64, 300)ᵀ is split by rows.
    for (const auto& [rows, out] : {std::pair<std::size_t, std::size_t>{64, 400}, {400, 64}}) {
        INFO(rows << " rows, " << out << " outputs");
        const Tensor x = Tensor::randn({rows, 300});
        const Tensor w = Tensor::randn({out, 300});
        const Tensor b = Tensor::randn({out});
        (void)Tensor::full({rows, out}, std::numeric_limits<double>::quiet_NaN());
        Threads use(2);
        const xt::xarray<double> y = test::values(linear(x, w, b));
        const xt::xarray<double> expected =
            test::product(test::values(x), xt::transpose(test::values(w))) + test::values(b);
        const double worst = test::largest_abs(expected - y), scale = test::largest_abs(expected);
        INFO("largest error " << worst << " of values up to " << scale);
        CHECK(worst <= 1e-5 * scale);
    }
}

TEST_CASE("two threads that contend for the pool get what each gets alone, bit for bit", "[parallel][threads]") {
    // whichever thread holds the pool splits its products; the other runs the same blocks itself
    Threads two(2);  // for the whole test: neither thread's guard may end the other's setting
    const auto alone = train(2);
    std::vector<std::vector<xt::xarray<float>>> together(2);
    {
        std::thread a([&] { together[0] = train(2); });
        std::thread b([&] { together[1] = train(2); });
        a.join();
        b.join();
    }
    for (const auto& run : together) {
        REQUIRE(run.size() == alone.size());
        for (std::size_t i = 0; i < run.size(); ++i) CHECK((run[i] == alone[i]));
    }
}

TEST_CASE("a child of fork() runs parallel ops on its own pool instead of waiting for its parent's", "[parallel]") {
    Threads two(2);
    const Tensor big = Tensor::randn({1 << 18});
    const Tensor expected = relu(big);  // the parent's workers now exist
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        const Tensor y = relu(big);  // hung forever on the parent's workers before the fix
        _exit(xt::all(xt::equal(y.data<float>(), expected.data<float>())) ? 0 : 1);
    }
    int status = 0;
    pid_t done = 0;
    for (int i = 0; i < 300 && done == 0; ++i) {  // up to 30 s
        done = waitpid(child, &status, WNOHANG);
        if (done == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (done == 0) {
        kill(child, SIGKILL);
        waitpid(child, &status, 0);
        FAIL("the child of fork() hung in its first parallel op");
    }
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
