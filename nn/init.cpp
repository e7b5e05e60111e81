#include "nn/init.hpp"

#include <cmath>

#include "autograd/runtime/random.hpp"

namespace xgrad::nn::init {

namespace {

void require_floating(const Tensor& t) {
    if (!t.is_floating_point())
        throw DtypeError("init: fills floating-point tensors (parameters), got " + describe(t));
}

template <class Dist>
void fill(Tensor& t, Dist dist) {
    require_floating(t);
    visit_float(t.mutable_array(), [&](auto& a) {
        using T = typename std::decay_t<decltype(a)>::value_type;
        detail::with_generator([&](std::mt19937_64& gen) {
            for (auto& v : a) v = static_cast<T>(dist(gen));
        });
    });
}

}  // namespace

std::pair<std::size_t, std::size_t> fans(const Tensor& t) {
    if (t.dim() < 2)
        throw std::invalid_argument("init: fan in and fan out need a tensor of at least 2 dimensions, got shape " +
                                    shape_str(t.shape()));
    std::size_t receptive = 1;
    for (std::size_t d = 2; d < t.dim(); ++d) receptive *= t.shape()[d];
    return {t.shape()[1] * receptive, t.shape()[0] * receptive};
}

void uniform_(Tensor& t, double low, double high) { fill(t, std::uniform_real_distribution<double>(low, high)); }
void normal_(Tensor& t, double mean, double std) { fill(t, std::normal_distribution<double>(mean, std)); }

void constant_(Tensor& t, double value) {
    require_floating(t);
    visit_float(t.mutable_array(), [&](auto& a) { a.fill(static_cast<typename std::decay_t<decltype(a)>::value_type>(value)); });
}

void zeros_(Tensor& t) { constant_(t, 0.0); }

void xavier_uniform_(Tensor& t, double gain) {
    auto [in, out] = fans(t);
    const double a = gain * std::sqrt(6.0 / static_cast<double>(in + out));
    uniform_(t, -a, a);
}

void xavier_normal_(Tensor& t, double gain) {
    auto [in, out] = fans(t);
    normal_(t, 0.0, gain * std::sqrt(2.0 / static_cast<double>(in + out)));
}

void kaiming_uniform_(Tensor& t, double a) {
    const double gain = std::sqrt(2.0 / (1 + a * a));
    const double bound = gain * std::sqrt(3.0 / static_cast<double>(fans(t).first));
    uniform_(t, -bound, bound);
}

void kaiming_normal_(Tensor& t, double a) {
    const double gain = std::sqrt(2.0 / (1 + a * a));
    normal_(t, 0.0, gain / std::sqrt(static_cast<double>(fans(t).first)));
}

}  // namespace xgrad::nn::init
