// Checkpoints: a run saved after some epochs and resumed in fresh objects ends bit-for-bit where
// the uninterrupted run ends, for SGD with momentum and a cosine schedule and for Adam with a
// step schedule; and files that do not fit are refused without changing anything.
#include "helpers.hpp"

#include <filesystem>
#include <memory>

using namespace xgrad;
namespace fs = std::filesystem;

namespace {

fs::path temp_path(const std::string& name) {
    auto dir = fs::temp_directory_path() / ("xgrad_ckpt_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir / name;
}

enum class Kind { sgd, adam };

// Everything one training run owns, built the same way every time from `init_seed`.
struct Run {
    data::Dataset set = data::make_spiral(40, 3, 0.2, 11);
    nn::Sequential model;
    std::unique_ptr<optim::Optimizer> opt;
    std::unique_ptr<optim::LRScheduler> sched;
    data::DataLoader loader;
    std::vector<double> losses;

    Run(Kind kind, std::uint64_t init_seed)
        : model((manual_seed(init_seed), nn::MLP({2, 16, 16, 3}, "tanh"))),
          loader(set, {.batch_size = 10, .shuffle = true, .seed = 5}) {
        if (kind == Kind::sgd) {
            opt = std::make_unique<optim::SGD>(model.parameters(), optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
            sched = std::make_unique<optim::CosineAnnealingLR>(*opt, 6);
        } else {
            opt = std::make_unique<optim::Adam>(model.parameters(), optim::AdamOptions{.lr = 0.01});
            sched = std::make_unique<optim::StepLR>(*opt, 2, 0.5);
        }
    }

    void epoch() {
        for (auto [x, y] : loader) {
            // Input noise: the random generator's position matters on every step.
            Tensor loss = nn::cross_entropy(model(x + 0.05 * Tensor::randn(x.shape())), y);
            opt->zero_grad();
            loss.backward();
            opt->step();
            losses.push_back(loss.item());
        }
        sched->step();
    }

    std::vector<xt::xarray<double>> params() const {
        std::vector<xt::xarray<double>> out;
        for (const auto& p : model.parameters()) out.push_back(test::values(p));
        return out;
    }
};

bool same(const std::vector<xt::xarray<double>>& a, const std::vector<xt::xarray<double>>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!(a[i] == b[i])) return false;
    return true;
}

}  // namespace

TEST_CASE("training resumed from a checkpoint ends exactly where the uninterrupted run ends", "[checkpoint]") {
    const Kind kind = GENERATE(Kind::sgd, Kind::adam);
    INFO((kind == Kind::sgd ? "SGD momentum + cosine" : "Adam + StepLR"));
    const auto path = temp_path(kind == Kind::sgd ? "sgd.npz" : "adam.npz");

    Run whole(kind, 1);
    for (int e = 0; e < 6; ++e) whole.epoch();

    Run first(kind, 1);
    for (int e = 0; e < 3; ++e) first.epoch();
    nn::save_checkpoint(path, first.model, *first.opt, 3, first.sched.get());

    manual_seed(999);           // the generator moves on, as in a new process
    Run resumed(kind, 2);       // other initial weights: everything must come from the file
    const auto epoch = nn::load_checkpoint(path, resumed.model, *resumed.opt, resumed.sched.get());
    CHECK(epoch == 3);
    CHECK(resumed.sched->epoch() == 3);
    CHECK(resumed.opt->lr() == first.opt->lr());
    resumed.loader.set_epoch(static_cast<std::uint64_t>(epoch));
    for (int e = 3; e < 6; ++e) resumed.epoch();

    CHECK(same(resumed.params(), whole.params()));
    const std::vector<double> tail(whole.losses.end() - static_cast<long>(resumed.losses.size()), whole.losses.end());
    CHECK(resumed.losses == tail);

    // The same resume with the optimizer's buffers dropped (momentum, Adam's moments and step
    // counts) ends elsewhere: the check above would notice a checkpoint that forgot them.
    Run forgetful(kind, 2);
    nn::load_checkpoint(path, forgetful.model, *forgetful.opt, forgetful.sched.get());
    forgetful.opt->load_state_dict({{"lr", Tensor::scalar(forgetful.opt->lr(), {.dtype = Dtype::float64})}});
    forgetful.loader.set_epoch(3);
    for (int e = 3; e < 6; ++e) forgetful.epoch();
    CHECK_FALSE(same(forgetful.params(), whole.params()));
    fs::remove_all(path.parent_path());
}

TEST_CASE("an optimizer's state_dict restores its buffers into a fresh optimizer", "[checkpoint]") {
    manual_seed(4);
    Tensor w = Tensor::randn({3, 2}, {.requires_grad = true});
    optim::Adam adam({w}, {.lr = 0.1});
    for (int i = 0; i < 3; ++i) {
        adam.zero_grad();
        (w * w).sum().backward();
        adam.step();
    }
    const auto state = adam.state_dict();
    std::vector<std::string> keys;
    for (const auto& [k, t] : state) keys.push_back(k);
    CHECK(keys == std::vector<std::string>{"lr", "exp_avg.0", "exp_avg_sq.0", "step.0"});
    CHECK(state[3].second.item() == 3);

    Tensor w2 = Tensor::from(std::vector<float>(w.data<float>().begin(), w.data<float>().end()), {3, 2}, {.requires_grad = true});
    optim::Adam fresh({w2}, {.lr = 0.5});
    fresh.load_state_dict(state);
    CHECK(fresh.lr() == Approx(0.1));
    for (auto* p : {&w, &w2}) {
        p->zero_grad();
        ((*p) * (*p)).sum().backward();
    }
    adam.step();
    fresh.step();
    CHECK((w.data<float>() == w2.data<float>()));
}

TEST_CASE("checkpoints that do not fit are refused, naming every problem, and change nothing", "[checkpoint][errors]") {
    const auto path = temp_path("fit.npz");
    Run saved(Kind::sgd, 1);
    saved.epoch();
    nn::save_checkpoint(path, saved.model, *saved.opt, 1, saved.sched.get());

    SECTION("another architecture") {
        manual_seed(3);
        nn::Sequential other = nn::MLP({2, 8, 3}, "tanh");
        optim::SGD opt(other.parameters(), {.lr = 0.1, .momentum = 0.9});
        const auto before = test::values(other.parameters()[0]);
        try {
            nn::load_checkpoint(path, other, opt);
            FAIL("accepted");
        } catch (const std::runtime_error& e) {
            const std::string msg = e.what();
            CHECK_THAT(msg, Catch::Contains("load_checkpoint: " + path.string() + " does not fit:"));
            CHECK_THAT(msg, Catch::Contains("model: '0.weight' has shape (16, 2) in the file, (8, 2) in the model"));
            CHECK_THAT(msg, Catch::Contains("model: unexpected '4.bias'"));
            CHECK_THAT(msg, Catch::Contains("optimizer: 'momentum_buffer.0' is float32 (16, 2), parameter 0 is float32 (8, 2)"));
            CHECK_THAT(msg, Catch::Contains("the file holds a scheduler's state, but no scheduler was given"));
        }
        CHECK((test::values(other.parameters()[0]) == before));
        CHECK_FALSE(opt.state_dict().size() > 1);  // no buffers appeared
    }
    SECTION("an SGD state into Adam") {
        Run adam(Kind::adam, 1);
        const auto before = adam.params();
        CHECK_THROWS_WITH(nn::load_checkpoint(path, adam.model, *adam.opt, adam.sched.get()),
                          Catch::Contains("optimizer: unexpected 'momentum_buffer.0'") &&
                              !Catch::Contains("scheduler: "));
        CHECK(same(adam.params(), before));
    }
    SECTION("a damaged generator state or epoch") {
        auto entries = nn::load_npz(path);
        for (auto& [name, t] : entries) {
            if (name == "rng") t = Tensor::from(std::vector<double>{1.5, 2}, {1, 2}, {.dtype = Dtype::float64});
            if (name == "epoch") t = Tensor::scalar(-2, {.dtype = Dtype::float64});
        }
        nn::save_npz(path, entries);
        Run target(Kind::sgd, 2);
        CHECK_THROWS_WITH(nn::load_checkpoint(path, target.model, *target.opt, target.sched.get()),
                          Catch::Contains("'rng' is not a generator state") &&
                              Catch::Contains("'epoch' must be one non-negative whole number"));
    }
    SECTION("a file that is not a checkpoint") {
        nn::save(saved.model, path);
        Run target(Kind::sgd, 2);
        CHECK_THROWS_WITH(nn::load_checkpoint(path, target.model, *target.opt, target.sched.get()),
                          Catch::Contains("unexpected '0.weight'") && Catch::Contains("missing 'epoch'") &&
                              Catch::Contains("optimizer: missing 'lr'"));
    }
    fs::remove_all(path.parent_path());
}
