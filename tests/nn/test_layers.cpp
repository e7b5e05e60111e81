// The layers of tensor programs: Embedding, Dropout, LayerNorm, BatchNorm1d, ModuleList, and the
// diagram boxes a custom module's registered children get. Their functional ops' values are
// PyTorch's in tests/ops/test_op_values.cpp; here: the modules' contracts and gradients.
#include "helpers.hpp"

#include <filesystem>
#include <set>

using namespace xgrad;
using xgrad::test::randn64;

namespace {

Tensor labels(std::vector<std::int64_t> v, const Shape& shape) { return Tensor::from(v, shape); }

// The scope names of a graph's nodes, by op name.
std::multiset<std::string> scopes(const Tensor& root) {
    std::multiset<std::string> out;
    std::vector<std::shared_ptr<Node>> stack{root.grad_fn()};
    std::set<Node*> seen;
    while (!stack.empty()) {
        auto n = stack.back();
        stack.pop_back();
        if (!n || !seen.insert(n.get()).second) continue;
        out.insert(n->scope() ? n->scope()->name : "");
        for (const auto& t : n->inputs()) stack.push_back(t.grad_fn());
    }
    return out;
}

}  // namespace

TEST_CASE("Embedding looks rows up by int64 indices of any shape; repeated rows add their gradients", "[nn][layers]") {
    manual_seed(3);
    nn::Embedding emb(5, 3, {.dtype = float64});
    CHECK(emb.weight().shape() == Shape{5, 3});
    CHECK(emb.describe() == "Embedding(5, 3)");
    const Tensor idx = labels({4, 0, 4, 2, 1, 4}, {2, 3});
    const Tensor y = emb(idx);
    CHECK(y.shape() == Shape{2, 3, 3});
    CHECK_VALUES(select(select(y, 0, 0), 0, 0), test::values(select(emb.weight(), 0, 4)));
    y.sum().backward();
    // row 4 used three times, row 3 never
    CHECK_VALUES(emb.weight().grad(), test::array({1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 3, 3, 3}, {5, 3}));
    CHECK_GRADCHECK([&](const auto& in) { return take_rows(in[0], idx) * 1.5; }, {emb.weight()});
    CHECK_THROWS_WITH(emb(Tensor::zeros({2})), Catch::Contains("Embedding(5, 3): expected int64 indices, got float32 (2)"));
    CHECK_THROWS_WITH(emb(labels({1, 5}, {2})), Catch::Contains("Embedding(5, 3): take_rows: index 5 is out of range"));
}

TEST_CASE("Embedding's padding row starts at zero and never learns; check_graph verifies the lookup", "[nn][layers]") {
    manual_seed(4);
    nn::Embedding emb(5, 3, {.dtype = float64, .padding_idx = -2});  // row 3, as PyTorch counts
    CHECK(emb.padding_idx() == 3);
    CHECK(emb.describe() == "Embedding(5, 3, padding_idx=3)");
    CHECK_VALUES(select(emb.weight(), 0, 3), xt::zeros<double>({3}));
    CHECK(test::largest_abs(test::values(select(emb.weight(), 0, 1))) > 0);
    // a padding row given values (as a checkpoint might) is still looked up as they are
    {
        NoGradGuard no_grad;
        Tensor w = emb.weight();
        w.mutable_data<double>()(3, 1) = 2.5;
    }
    const Tensor idx = labels({3, 1, 3, 0, 3, 1}, {2, 3});
    const Tensor g = randn64({2, 3, 3}, 9);
    const Tensor y = emb(idx);
    CHECK(y.shape() == Shape{2, 3, 3});
    CHECK(select(select(select(y, 0, 0), 0, 0), 0, 1).item() == 2.5);
    CHECK(check_graph((y * g).sum()));
    (y * g).sum().backward();
    // the gradient take_rows gives, with the padding row's zeroed (PyTorch's embedding_backward)
    const Tensor plain = emb.weight().detach().requires_grad_();
    (take_rows(plain, idx) * g).sum().backward();
    xt::xarray<double> want = test::values(plain.grad());
    CHECK(test::largest_abs(test::values(select(plain.grad(), 0, 3))) > 0);  // the row was looked up three times
    std::fill_n(want.data() + 3 * 3, 3, 0.0);
    CHECK_VALUES(emb.weight().grad(), want);
    // the functional form, as torch.nn.functional.embedding
    CHECK_VALUES(embedding(idx, emb.weight(), 3), test::values(y));
    CHECK_VALUES(embedding(idx, emb.weight()), test::values(take_rows(emb.weight(), idx)));
    // an optimizer step leaves it where it was
    optim::SGD opt(emb.parameters(), {.lr = 0.5});
    const auto row = [&](std::int64_t r) { return test::values(select(emb.weight(), 0, r)); };
    const auto pad_before = row(3), other_before = row(1);
    opt.step();
    CHECK((row(3) == pad_before));
    CHECK_FALSE((row(1) == other_before));
}

TEST_CASE("Dropout: masks and scales in training, passes through in evaluation, reproducibly", "[nn][layers]") {
    nn::Dropout drop(0.25);
    const Tensor x = Tensor::ones({4000}, {.dtype = float64, .requires_grad = true});
    manual_seed(7);
    const Tensor y = drop(x);
    const auto v = test::values(y);
    std::size_t zeros = 0;
    for (double e : v) {
        CHECK((e == 0 || std::abs(e - 1 / 0.75) < 1e-15));
        zeros += e == 0;
    }
    CHECK(zeros > 850);  // 1000 expected; the spread is ±27
    CHECK(zeros < 1150);
    y.sum().backward();
    CHECK((test::values(x.grad()) == v));  // the gradient is masked and scaled alike
    manual_seed(7);
    CHECK((test::values(drop(x)) == v));  // the same seed draws the same mask
    drop.eval();
    CHECK(drop(x).is_same(x));
    CHECK(test::values(nn::Dropout(1.0)(x)).size() == 4000);
    CHECK(xt::all(xt::equal(test::values(nn::Dropout(1.0)(x)), 0.0)));
    CHECK_THROWS_WITH(nn::Dropout(1.5), Catch::Contains("Dropout: p must be in [0, 1], got 1.5"));
}

TEST_CASE("LayerNorm and BatchNorm1d pass gradcheck for input and parameters", "[nn][layers][gradcheck]") {
    manual_seed(4);
    nn::LayerNorm ln({4}, {.dtype = float64});
    Tensor w = ln.weight(), b = ln.bias();  // handles alias the module's parameters
    nn::init::normal_(w);
    nn::init::normal_(b);
    const Tensor x = randn64({2, 3, 4}, 5);
    CHECK_GRADCHECK([&](const auto& in) { return ln(in[0]); }, {x});
    CHECK_GRADCHECK([&](const auto& in) { return layer_norm(x, {4}, in[0], in[1]); }, {ln.weight(), ln.bias()});
    CHECK_THROWS_WITH(ln(Tensor::zeros({2, 5}, {.dtype = float64})), Catch::Contains("LayerNorm((4), eps=1e-05): expected input (..., 4), got (2, 5)"));

    nn::BatchNorm1d bn(3, {.dtype = float64});
    const Tensor h = randn64({6, 3}, 6), h3 = randn64({4, 3, 2}, 7);
    CHECK_GRADCHECK([&](const auto& in) { return bn(in[0]); }, {h});
    CHECK_GRADCHECK([&](const auto& in) { return bn(in[0]); }, {h3});
    CHECK_GRADCHECK([&](const auto& in) { return batch_norm(h, Tensor(), Tensor(), in[0], in[1], true); }, {bn.weight(), bn.bias()});
    bn.eval();
    CHECK_GRADCHECK([&](const auto& in) { return bn(in[0]); }, {h});
    CHECK_THROWS_WITH(bn(Tensor::zeros({2, 4}, {.dtype = float64})), Catch::Contains("BatchNorm1d(3, eps=1e-05, momentum=0.1): expected input (N, 3)"));
    bn.train();
    CHECK_THROWS_WITH(bn(Tensor::zeros({1, 3}, {.dtype = float64})), Catch::Contains("more than 1 value per channel"));
}

TEST_CASE("BatchNorm1d keeps running statistics as buffers, uses them in evaluation and saves them", "[nn][layers]") {
    nn::BatchNorm1d bn(2, {.momentum = 0.5, .dtype = float64});
    const Tensor x = Tensor::from({1, 10, 3, 30}, {2, 2}, {.dtype = float64});
    bn(x);
    // mean (2, 20), unbiased variance (2, 200): halfway from (0, 0) and (1, 1)
    CHECK_VALUES(bn.running_mean(), test::array({1, 10}, {2}));
    CHECK_VALUES(bn.running_var(), test::array({1.5, 100.5}, {2}));
    CHECK(bn.num_batches_tracked() == 1);
    bn.eval();
    const Tensor y = bn(x);
    CHECK(bn.num_batches_tracked() == 1);  // evaluation leaves them alone
    CHECK_VALUES(y, test::array({0, 0, 2 / std::sqrt(1.5 + 1e-5), 20 / std::sqrt(100.5 + 1e-5)}, {2, 2}));
    auto names = bn.state_dict();
    REQUIRE(names.size() == 5);
    CHECK(names[2].first == "running_mean");
    CHECK(names[4].first == "num_batches_tracked");
    CHECK(bn.parameters().size() == 2);
    const auto path = std::filesystem::temp_directory_path() / "xgrad_test_bn.npz";
    nn::save(bn, path);
    nn::BatchNorm1d fresh(2, {.dtype = float64});
    nn::load(fresh, path);
    std::filesystem::remove(path);
    CHECK_VALUES(fresh.running_var(), test::array({1.5, 100.5}, {2}));
    CHECK(fresh.num_batches_tracked() == 1);
}

namespace {

// A custom module that registers its children and never opens a ScopeGuard itself.
struct Block : nn::Module {
    std::shared_ptr<nn::Linear> fc = std::make_shared<nn::Linear>(3, 3, nn::LinearOptions{.dtype = float64});
    std::shared_ptr<nn::ModuleList> layers = std::make_shared<nn::ModuleList>();
    Block() {
        register_module("fc", fc);
        layers->push_back(nn::Linear(3, 3, {.dtype = float64}));
        register_module("layers", layers);
        layers->push_back(nn::Tanh());  // added after the list was registered
    }
    Tensor forward(const Tensor& x) override {
        Tensor h = (*fc)(x);
        for (const auto& m : *layers) h = (*m)(h);
        return h;
    }
    std::string describe() const override { return "Block"; }
};

}  // namespace

TEST_CASE("a custom module's registered children get diagram boxes without a ScopeGuard; ModuleList names them", "[nn][layers]") {
    nn::Sequential model;
    model.push_back(std::make_shared<Block>());
    const auto named = model.named_parameters();
    REQUIRE(named.size() == 4);
    CHECK(named[0].first == "0.fc.weight");
    CHECK(named[2].first == "0.layers.0.weight");
    const auto found = scopes(model(Tensor::ones({2, 3}, {.dtype = float64})));
    CHECK(found.count("0.fc") == 1);        // linear
    CHECK(found.count("0.layers.0") == 1);  // linear
    CHECK(found.count("0.layers.1") == 1);  // tanh
    CHECK(found.count("0") == 0);           // Block's own ops: none outside its children
    nn::ModuleList list;
    list.push_back(nn::ReLU());
    CHECK(list.size() == 1);
    CHECK_THROWS_WITH(list(Tensor::ones({1})), Catch::Contains("ModuleList has no forward"));
    CHECK_THROWS_AS(list[1], std::out_of_range);
}

TEST_CASE("multinomial draws int64 category indices by weight, without replacement at most once each", "[ops][random]") {
    manual_seed(11);
    const Tensor p = Tensor::from({0.0, 1.0, 3.0}, {3});
    const Tensor many = multinomial(p, 4000, true);
    CHECK(many.dtype() == int64);
    std::array<int, 3> counts{};
    for (auto v : many.data<std::int64_t>()) ++counts.at(static_cast<std::size_t>(v));
    CHECK(counts[0] == 0);
    CHECK(counts[2] > 2850);  // 3000 expected; the spread is ±27
    CHECK(counts[2] < 3150);
    const Tensor rows = multinomial(Tensor::from({1, 1, 1, 1, 5, 0, 0, 5}, {2, 4}), 2);
    CHECK(rows.shape() == Shape{2, 2});
    const auto& r = rows.data<std::int64_t>();
    CHECK(r(0, 0) != r(0, 1));
    CHECK(std::set<std::int64_t>{r(1, 0), r(1, 1)} == std::set<std::int64_t>{0, 3});
    CHECK_THROWS_WITH(multinomial(p, 3), Catch::Contains("cannot draw 3 samples without replacement from 2 categories"));
    CHECK_THROWS_WITH(multinomial(Tensor::from({1, -1}, {2}), 1), Catch::Contains("non-negative, got -1"));
    CHECK_THROWS_WITH(multinomial(Tensor::zeros({2}), 1), Catch::Contains("sums to 0"));
}

// layer_norm keeps each row's mean and 1/std from a recording forward for its backward
// (ops/norm.cpp): the gradients must equal those computed from scratch bit for bit, and a backward
// at other operand values must use their own moments.
TEST_CASE("layer_norm's kept row moments give the recomputed gradients bit for bit", "[nn][layers]") {
    manual_seed(5);
    const Tensor x = Tensor::randn({300, 64}, {.requires_grad = true});
    const Tensor w = (Tensor::randn({64}) + 1.0).detach().requires_grad_(), b = Tensor::randn({64}, {.requires_grad = true});
    const Tensor g = Tensor::randn({300, 64});
    const Tensor y = layer_norm(x, {64}, w, b);
    y.backward(g, {.retain_graph = true});
    const auto plain = xgrad::test::backward_at(y, {Array(x.array()), w.array(), b.array()}, g);
    CHECK(xgrad::test::same_bits(x.grad(), plain[0]));
    CHECK(xgrad::test::same_bits(w.grad(), plain[1]));
    CHECK(xgrad::test::same_bits(b.grad(), plain[2]));
    const Tensor shifted = (x.detach() * 2.0 + 1.0).detach();
    const Tensor x2 = shifted.detach().requires_grad_();
    layer_norm(x2, {64}, w.detach(), b.detach()).backward(g);
    CHECK(xgrad::test::same_bits(x2.grad(), xgrad::test::backward_at(y, {shifted.array(), w.array(), b.array()}, g)[0]));
}
