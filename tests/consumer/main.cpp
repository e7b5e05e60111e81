// Trains XOR with the installed library, saves and reloads the model, and checks a gradient:
// exits non-zero if any part of the installed package does not work.
#include <xgrad.hpp>

#include <cstdio>
#include <filesystem>

using namespace xgrad;

int main() {
    if (version != EXPECTED_VERSION) {
        std::printf("header version %s, package version %s\n", XGRAD_VERSION_STRING, EXPECTED_VERSION);
        return 1;
    }
    manual_seed(0);
    Tensor x = Tensor::from({0.f, 0.f, 0.f, 1.f, 1.f, 0.f, 1.f, 1.f}, {4, 2});
    Labels y{0, 1, 1, 0};
    nn::Sequential model{nn::Linear(2, 8), nn::Tanh(), nn::Linear(8, 2)};
    optim::SGD opt(model.parameters(), {.lr = 0.5, .momentum = 0.9});
    double loss_value = 0;
    for (int step = 0; step < 300; ++step) {
        Tensor loss = nn::cross_entropy(model(x), y);
        opt.zero_grad();
        loss.backward();
        opt.step();
        loss_value = loss.item();
    }
    const double acc = data::accuracy(model(x), y);

    const auto path = std::filesystem::temp_directory_path() / "xgrad_consumer_model.npz";
    nn::save(model, path);
    nn::Sequential copy{nn::Linear(2, 8), nn::Tanh(), nn::Linear(8, 2)};
    nn::load(copy, path);
    std::filesystem::remove(path);
    const bool same = nn::cross_entropy(copy(x), y).item() == nn::cross_entropy(model(x), y).item();

    Tensor a = Tensor::randn({3, 4}, {.dtype = Dtype::float64, .requires_grad = true});
    const auto check = gradcheck([](const std::vector<Tensor>& in) { return tanh(in[0]).sum(); }, {a});

    std::printf("xgrad %s: xor loss %.4f accuracy %.2f, reload %s, gradcheck %s\n", std::string(version).c_str(),
                loss_value, acc, same ? "identical" : "DIFFERS", check.ok ? "ok" : "FAILED");
    return (acc == 1.0 && same && check.ok) ? 0 : 1;
}
