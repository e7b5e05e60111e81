#include "helpers.hpp"

using namespace xgrad;
using xgrad::test::array;
using xgrad::test::randn64;

TEST_CASE("reshape and flatten keep row-major order", "[shape]") {
    auto a = Tensor::arange(6);
    auto r = reshape(a, {2, 3});
    CHECK_VALUES(r, array({0, 1, 2, 3, 4, 5}, {2, 3}));
    CHECK(reshape(a, {3, -1}).shape() == Shape{3, 2});
    CHECK(reshape(a, {-1}).shape() == Shape{6});
    CHECK(reshape(Tensor::scalar(3), {1, 1}).shape() == Shape{1, 1});
    auto t = Tensor::zeros({2, 3, 4, 5});
    CHECK(flatten(t).shape() == Shape{120});
    CHECK(flatten(t, 1).shape() == Shape{2, 60});
    CHECK(flatten(t, 1, 2).shape() == Shape{2, 12, 5});
    CHECK(t.flatten(-2).shape() == Shape{2, 3, 20});
    CHECK(flatten(Tensor::scalar(2)).shape() == Shape{1});
    CHECK_VALUES(flatten(r), array({0, 1, 2, 3, 4, 5}, {6}));
}

TEST_CASE("shape op gradients", "[shape][gradcheck]") {
    auto x = randn64({2, 3, 2}, 3);
    auto w = randn64({3, 4}, 4);
    CHECK_GRADCHECK([](const auto& in) { return reshape(in[0], {3, -1}) * 2.0; }, {x});
    CHECK_GRADCHECK([](const auto& in) { return matmul(reshape(in[0], {4, 3}), in[1]); }, {x, w});
    CHECK_GRADCHECK([](const auto& in) { return flatten(in[0], 1) * flatten(in[0], 1); }, {x});
}

TEST_CASE("shape ops reject impossible shapes", "[shape][errors]") {
    auto a = Tensor::zeros({2, 3});
    CHECK_THROWS_AS(reshape(a, {4, 2}), ShapeError);
    CHECK_THROWS_WITH(reshape(a, {4, 2}),
                      "reshape: element counts differ: cannot reshape (2, 3) (6 elements) into (4, 2)");
    CHECK_THROWS_WITH(reshape(a, {-1, -1}), Catch::StartsWith("reshape: only one dimension can be -1"));
    CHECK_THROWS_WITH(reshape(a, {4, -1}), Catch::StartsWith("reshape: the -1 extent cannot be inferred"));
    CHECK_THROWS_WITH(reshape(a, {-2, 3}), Catch::StartsWith("reshape: negative extent -2"));
    CHECK_THROWS_WITH(flatten(a, 1, 0), "flatten: start_dim 1 comes after end_dim 0 for shape (2, 3)");
    CHECK_THROWS_WITH(flatten(a, 2), Catch::StartsWith("flatten: axis 2 is out of range"));
}

// masked_fill's block path (a (T, T) mask under (B, H, T, T)) in float32, out of place forward and
// in place over the gradient: the two loops differ (ops/indexing.cpp, select_tiles).
TEST_CASE("float32 masked_fill with a trailing-block mask: values and gradient", "[shape][indexing]") {
    manual_seed(3);
    const Tensor x = Tensor::randn({2, 3, 5, 5}, {.requires_grad = true});
    const Tensor mask = gt(Tensor::randn({5, 5}), Tensor::zeros({5, 5}));
    const Tensor y = masked_fill(x, mask, -INFINITY);
    const Tensor g = Tensor::randn({2, 3, 5, 5});
    y.backward(g);
    const auto xv = x.data<float>(), yv = y.data<float>(), gv = g.data<float>(), dx = x.grad().data<float>();
    const auto m = mask.data<bool>();
    std::size_t wrong = 0;
    for (std::size_t b = 0; b < 2; ++b)
        for (std::size_t h = 0; h < 3; ++h)
            for (std::size_t i = 0; i < 5; ++i)
                for (std::size_t j = 0; j < 5; ++j) {
                    const bool masked = m(i, j);
                    wrong += masked ? !(yv(b, h, i, j) == -INFINITY) || dx(b, h, i, j) != 0.0f
                                    : yv(b, h, i, j) != xv(b, h, i, j) || dx(b, h, i, j) != gv(b, h, i, j);
                }
    CHECK(wrong == 0);
}

// transpose(-2, -1) runs libxsmm's transpose for float and double (plain loops without it, and for
// int64 and bool): every dtype, sizes that are not multiples of any tile, and the gradient's way back.
TEST_CASE("swapping the last two axes matches a plain loop for every dtype and size", "[shape]") {
    for (const Shape& shape : {Shape{3, 17, 5}, Shape{2, 33, 40}, Shape{128, 16, 16}, Shape{1, 1, 7}, Shape{4, 9, 1}}) {
        const std::size_t rows = shape[1], cols = shape[2];
        const Tensor base = Tensor::arange(static_cast<double>(shape[0] * rows * cols), {.dtype = float64});
        for (Dtype dt : {float32, float64, int64}) {
            const Tensor x = reshape(base.to(dt), {static_cast<std::int64_t>(shape[0]), static_cast<std::int64_t>(rows), static_cast<std::int64_t>(cols)});
            const Tensor t = x.transpose(-2, -1).to(float64);
            REQUIRE(t.shape() == Shape{shape[0], cols, rows});
            const auto& v = t.data<double>();
            bool same = true;
            for (std::size_t b = 0; b < shape[0]; ++b)
                for (std::size_t i = 0; i < rows; ++i)
                    for (std::size_t j = 0; j < cols; ++j) same = same && v(b, j, i) == static_cast<double>((b * rows + i) * cols + j);
            CHECK(same);
        }
        const Tensor odd = reshape(base, {static_cast<std::int64_t>(shape[0]), static_cast<std::int64_t>(rows), static_cast<std::int64_t>(cols)});
        const Tensor mask = lt(sin(odd), Tensor::scalar(0.0, {.dtype = float64}));  // bool, in an irregular pattern
        CHECK(xgrad::test::same_bits(mask.transpose(1, 2).to(float64), lt(sin(odd.transpose(1, 2)), Tensor::scalar(0.0, {.dtype = float64})).to(float64)));
        const Tensor p = odd.detach().requires_grad_();
        const Tensor w = Tensor::randn({shape[0], cols, rows}, {.dtype = float64});
        (p.transpose(-2, -1) * w).sum().backward();
        CHECK(xgrad::test::same_bits(p.grad(), w.transpose(1, 2)));
    }
}
