// Regression tests for what fuzz_ops found in the tensor-program ops: integer inputs reaching float
// kernels, allocations and loops that scaled with an empty tensor's extent, undefined conversions.
#include "helpers.hpp"

using namespace xgrad;

namespace {
constexpr std::size_t huge = std::size_t{1} << 40;
Tensor ints(std::vector<std::int64_t> v) { return Tensor::from(v, {v.size()}); }
}  // namespace

TEST_CASE("softmax and log_softmax of an int64 tensor compute in float32, as the other activations", "[ops][edge]") {
    const Tensor x = ints({1, 2, 3});
    const Tensor y = softmax(x, 0);
    CHECK(y.dtype() == float32);
    CHECK_VALUES(y, test::values(softmax(Tensor::from({1, 2, 3}, {3}), 0)));
    CHECK(log_softmax(x.to(boolean), 0).dtype() == float32);
}

TEST_CASE("empty tensors many entries long cost nothing per entry", "[ops][edge]") {
    // each of these allocated or looped once per entry of the long dimension
    const Tensor wide = Tensor::zeros({0, huge});
    CHECK(narrow(wide, 1, 0, static_cast<std::int64_t>(huge / 2)).shape() == Shape{0, huge / 2});
    CHECK(slice(wide, 1, 1, std::nullopt, 3).shape() == Shape{0, (huge - 1 + 2) / 3});
    CHECK(multinomial(wide, 3, true).shape() == Shape{0, 3});
    CHECK(std::isnan(cross_entropy(wide, Tensor::from(std::vector<std::int64_t>{}, {0})).item()));  // the mean of nothing
    CHECK(batch_norm(Tensor::zeros({huge, 0, 5}), Tensor(), Tensor(), Tensor(), Tensor(), true).numel() == 0);
    // softmax over the empty axis of (2, 0, 2^40): its per-slice totals were 2^40 floats (fuzz_ops)
    for (const bool log : {false, true}) {
        Tensor flat = Tensor::zeros({2, 0, huge}, {.requires_grad = true});
        const Tensor s = log ? log_softmax(flat, 1) : softmax(flat, 1);
        CHECK(s.shape() == Shape{2, 0, huge});
        s.sum().backward();
        CHECK(flat.grad().numel() == 0);
    }
    Tensor rows = Tensor::zeros({0, huge}, {.requires_grad = true});
    layer_norm(rows, {huge}, Tensor(), Tensor()).sum().backward();  // its scratch rows were 2^40 long
    CHECK(rows.grad().numel() == 0);
    // prod over the long axis: its backward's prefix products were 2^40 doubles (fuzz_ops, session
    // 14), and over (2, 2^40, 0) its forward stepped 2^40 times through the empty inner axis
    Tensor long_rows = Tensor::zeros({0, huge}, {.dtype = float64, .requires_grad = true});
    prod(long_rows, 1).sum().backward();
    CHECK(long_rows.grad().numel() == 0);
    CHECK(prod(Tensor::zeros({2, huge, 0}), 1).shape() == Shape{2, 0});
    CHECK_THROWS_WITH(split(wide, 1, 1), Catch::Contains("pieces"));
    // an empty index of 2^40 rows into rows 2^40 long: the result's strides would overflow
    CHECK_THROWS_AS(take_rows(Tensor::zeros({3, huge, 0}), Tensor::zeros({huge, 0}, {.dtype = int64})), ShapeError);
}

TEST_CASE("int64 factories refuse values int64 cannot hold", "[ops][edge]") {
    // arange and from converted 3.4e38 to int64 (undefined behaviour)
    CHECK_THROWS_WITH(Tensor::arange(0, 3.4e38, 1e38, {.dtype = int64}), Catch::Contains("is not an int64 value"));
    CHECK_THROWS_WITH(Tensor::from({1.0, NAN}, {2}, {.dtype = int64}), Catch::Contains("nan is not an int64 value"));
    CHECK((Tensor::from({-2.5, 7.9}, {2}, {.dtype = int64}).data<std::int64_t>() == xt::xarray<std::int64_t>{-2, 7}));
}

TEST_CASE("clamp of int64 by bounds beyond int64 saturates them", "[ops][edge]") {
    const Tensor x = ints({5, -3, std::numeric_limits<std::int64_t>::max()});
    const Tensor y = clamp(x, -1e300, 1e300);
    CHECK(y.dtype() == int64);
    CHECK((y.data<std::int64_t>() == x.data<std::int64_t>()));
    CHECK((clamp(x, 0, 4).data<std::int64_t>() == xt::xarray<std::int64_t>{4, 0, 4}));
}
