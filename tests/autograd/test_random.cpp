#include "helpers.hpp"

#include <thread>

using namespace xgrad;

TEST_CASE("a generator's state round-trips and restores the same stream", "[random]") {
    Generator gen(42);
    (void)gen.engine()();
    const auto state = gen.state();
    CHECK(state.size() == 313);
    std::vector<std::uint64_t> first, again;
    for (int i = 0; i < 1000; ++i) first.push_back(gen.engine()());  // crosses a twist of the 312 words
    gen.set_state(state);
    for (int i = 0; i < 1000; ++i) again.push_back(gen.engine()());
    CHECK(first == again);

    manual_seed(7);
    const auto global = get_rng_state();
    const auto a = test::values(Tensor::randn({5}));
    set_rng_state(global);
    CHECK((test::values(Tensor::randn({5})) == a));
}

TEST_CASE("a generator rejects states that are not its own", "[random][errors]") {
    Generator gen;
    CHECK_THROWS_WITH(gen.set_state({1, 2, 3}), "Generator::set_state: expected 313 words, got 3");
    auto state = gen.state();
    state.back() = 400;
    CHECK_THROWS_WITH(gen.set_state(state), Catch::Contains("position 400 is past the state's 312 words"));
}

TEST_CASE("GeneratorGuard makes this thread draw from its own generator, leaving the global one alone",
          "[random]") {
    manual_seed(1);
    const auto global_next = test::values(Tensor::randn({4}));
    Generator reference(9);
    xt::xarray<double> expected_a, expected_b;
    {
        GeneratorGuard guard(reference);
        expected_a = test::values(Tensor::randn({4}));
        expected_b = test::values(Tensor::randn({3}));
    }

    manual_seed(1);
    Generator own(9), inner(3);
    xt::xarray<double> a, b;
    {
        GeneratorGuard guard(own);
        a = test::values(Tensor::randn({4}));
        {
            GeneratorGuard nested(inner);
            (void)Tensor::rand({10});
        }
        b = test::values(Tensor::randn({3}));  // back on `own`, which the nested draws did not touch
    }
    CHECK((a == expected_a));
    CHECK((b == expected_b));
    CHECK((test::values(Tensor::randn({4})) == global_next));  // the global stream did not move
}
