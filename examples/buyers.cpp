// buyers: will a customer buy, from age and salary? The classic yes/no example: one output
// score, a sigmoid turning it into a probability, binary cross-entropy on the score.
// Exits with status 1 unless the network beats always answering the majority class.
//   usage: buyers [epochs]
#include <cstdlib>
#include <iomanip>
#include <iostream>

#include "xgrad.hpp"

using namespace xgrad;

namespace {

// Labels as float targets of shape (N, 1) for binary_cross_entropy_with_logits.
Tensor targets(const Labels& labels) {
    std::vector<float> v(labels.begin(), labels.end());
    return Tensor::from(v, {labels.size(), 1});
}

}  // namespace

int main(int argc, char** argv) {
    const int epochs = argc > 1 ? std::atoi(argv[1]) : 60;
    auto [train, test] = data::train_test_split(data::make_buyers(2000, 1), 0.25, 2);
    const data::Standardizer scale(train.inputs);  // ages and salaries to mean 0, std 1
    const data::Dataset train_std(scale(train.inputs), train.labels);

    manual_seed(0);
    nn::Sequential model{nn::Linear(2, 16), nn::ReLU(), nn::Linear(16, 1)};
    optim::Adam opt(model.parameters(), {.lr = 0.01});
    data::DataLoader loader(train_std, {.batch_size = 32, .shuffle = true});
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        double total = 0;
        for (auto [x, y] : loader) {
            Tensor loss = nn::binary_cross_entropy_with_logits(model(x), targets(y));
            opt.zero_grad();
            loss.backward();
            opt.step();
            total += loss.item() * static_cast<double>(y.size());
        }
        if (epoch == 1 || epoch % (epochs / 4 > 0 ? epochs / 4 : 1) == 0)
            std::cout << "epoch " << std::setw(3) << epoch << "  loss " << std::fixed << std::setprecision(4)
                      << total / static_cast<double>(train.size()) << '\n';
    }

    NoGradGuard no_grad;
    model.eval();
    Tensor p = sigmoid(model(scale(test.inputs)));
    std::size_t right = 0, buyers = 0;
    for (std::size_t i = 0; i < test.size(); ++i) {
        right += (p.data<float>()(i, 0) > 0.5f) == (test.labels[i] == 1);
        buyers += test.labels[i] == 1;
    }
    const double accuracy = static_cast<double>(right) / static_cast<double>(test.size());
    const double majority = static_cast<double>(std::max(buyers, test.size() - buyers)) / static_cast<double>(test.size());
    std::cout << "\ntest accuracy " << std::setprecision(3) << accuracy << " (always answering the majority: " << majority
              << ")\n\n  age  salary(k) | P(buys)  rule  decision\n";
    const Tensor customers = Tensor::from({16, 120, 22, 30, 35, 60, 45, 90, 60, 40, 60, 130}, {6, 2});
    Tensor q = sigmoid(model(scale(customers)));
    for (std::size_t i = 0; i < 6; ++i) {
        const int age = static_cast<int>(customers.data<float>()(i, 0)), salary = static_cast<int>(customers.data<float>()(i, 1));
        const float prob = q.data<float>()(i, 0);
        std::cout << "  " << std::setw(3) << age << "  " << std::setw(9) << salary << " | " << std::setw(7) << prob
                  << "  " << std::setw(4) << data::buyers_probability(age, salary) << "  " << (prob > 0.5f ? "buys" : "does not buy")
                  << '\n';
    }
    return accuracy > majority ? 0 : 1;
}
