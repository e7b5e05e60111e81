// The smallest training loop: fit y = 3 x0 - 2 x1 + 0.5 by gradient descent on the mean squared
// error, with the gradient from backward() and the update done by hand.
//   usage: linear_regression [steps]
#include <cstdlib>
#include <iomanip>
#include <iostream>

#include <xtensor/xnoalias.hpp>

#include "xgrad.hpp"

using namespace xgrad;

int main(int argc, char** argv) {
    const int steps = argc > 1 ? std::atoi(argv[1]) : 200;
    manual_seed(0);
    // 256 noisy samples of the target function
    Tensor x = Tensor::randn({256, 2});
    Tensor true_w = Tensor::from({3, -2}, {2, 1});
    Tensor y = matmul(x, true_w) + 0.5 + Tensor::randn({256, 1}) * 0.1;

    Tensor w = Tensor::zeros({2, 1}, {.requires_grad = true}).set_name("w");
    Tensor b = Tensor::zeros({1}, {.requires_grad = true}).set_name("b");
    const float lr = 0.1f;

    double first = 0, last = 0;
    for (int step = 0; step <= steps; ++step) {
        Tensor err = matmul(x, w) + b - y;
        Tensor loss = (err * err).mean();
        w.zero_grad();
        b.zero_grad();
        loss.backward();
        {
            NoGradGuard no_grad;  // the update itself is not part of the model
            xt::noalias(w.mutable_data<float>()) -= lr * w.grad().data<float>();
            xt::noalias(b.mutable_data<float>()) -= lr * b.grad().data<float>();
        }
        last = loss.item();
        if (step == 0) first = last;
        if (step % (steps / 10 > 0 ? steps / 10 : 1) == 0)
            std::cout << "step " << std::setw(4) << step << "  loss " << std::fixed << std::setprecision(6) << last
                      << '\n';
    }
    std::cout << "learned w = " << w << ", b = " << b << " (true: 3, -2 and 0.5)\n";
    if (!(last < first * 0.01)) {
        std::cerr << "linear_regression: the loss did not fall below 1% of its start (" << first << " -> " << last
                  << ")\n";
        return 1;
    }
    return 0;
}
