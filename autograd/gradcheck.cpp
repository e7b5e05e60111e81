#include "autograd/gradcheck.hpp"

#include <cmath>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "autograd/grad_mode.hpp"

namespace xgrad {

namespace {

// Turns recording on for its lifetime (gradcheck may be called under NoGradGuard).
struct GradModeGuard {
    explicit GradModeGuard(bool on) : previous(is_grad_enabled()) { set_grad_enabled(on); }
    ~GradModeGuard() { set_grad_enabled(previous); }
    bool previous;
};

std::string index_str(std::size_t flat, const Shape& shape) {
    std::vector<std::size_t> idx(shape.size());
    for (std::size_t d = shape.size(); d-- > 0;) {
        idx[d] = shape[d] ? flat % shape[d] : 0;
        flat = shape[d] ? flat / shape[d] : 0;
    }
    return shape_str(idx);
}

std::vector<double> values(const Tensor& t) {
    const auto& a = t.data<double>();
    return {a.begin(), a.end()};
}

GradcheckResult failed(std::string why) {
    GradcheckResult r;
    r.failure = std::move(why);
    return r;
}

}  // namespace

GradcheckResult gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, GradcheckOptions options) {
    GradModeGuard recording(true);
    std::vector<Tensor> in;
    std::vector<std::size_t> checked;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        Tensor copy = inputs[i].detach().to(Dtype::float64);  // a fresh leaf either way
        copy.requires_grad_(inputs[i].requires_grad());
        if (inputs[i].requires_grad()) checked.push_back(i);
        in.push_back(std::move(copy));
    }
    if (checked.empty()) return failed("no input requires grad: nothing to check");

    Tensor y = fn(in);
    if (y.dtype() != Dtype::float64)
        return failed("the function returned a " + std::string(dtype_name(y.dtype())) +
                      " tensor; gradcheck needs it to compute in float64 from its inputs");
    if (!y.requires_grad())
        return failed("the output does not require grad: it is not connected to any input that requires grad");
    const std::size_t m = y.numel();

    // analytic[c][j * n + k]: d y_j / d x_k for checked input c, one backward per output element
    std::vector<std::vector<double>> analytic(checked.size());
    for (std::size_t c = 0; c < checked.size(); ++c) analytic[c].assign(m * in[checked[c]].numel(), 0.0);
    for (std::size_t j = 0; j < m; ++j) {
        for (auto& t : in) t.zero_grad();
        Tensor seed = Tensor::zeros(y.shape(), {.dtype = Dtype::float64});
        seed.mutable_data<double>().data()[j] = 1.0;
        try {
            y.backward(seed, {.retain_graph = true});
        } catch (const std::exception& e) {
            return failed(std::string("backward threw: ") + e.what());
        }
        for (std::size_t c = 0; c < checked.size(); ++c) {
            auto g = in[checked[c]].grad();
            if (!g) continue;
            const double* p = g->data<double>().data();
            const std::size_t n = g->numel();
            std::copy(p, p + n, analytic[c].begin() + static_cast<std::ptrdiff_t>(j * n));
        }
    }

    GradcheckResult r;
    double worst = -1;
    std::optional<std::size_t> vacuous;
    NoGradGuard no_grad;
    for (std::size_t c = 0; c < checked.size(); ++c) {
        const std::size_t i = checked[c];
        auto& x = in[i].mutable_data<double>();
        const std::size_t n = x.size();
        bool all_zero = n > 0;
        for (std::size_t k = 0; k < n; ++k) {
            const double orig = x.data()[k];
            x.data()[k] = orig + options.eps;
            auto plus = values(fn(in));
            x.data()[k] = orig - options.eps;
            auto minus = values(fn(in));
            x.data()[k] = orig;
            for (std::size_t j = 0; j < m; ++j) {
                const double num = (plus[j] - minus[j]) / (2 * options.eps);
                const double ana = analytic[c][j * n + k];
                const double err = std::abs(ana - num);
                double ratio = err / (options.atol + options.rtol * std::abs(num));
                if (std::isnan(ratio)) ratio = INFINITY;
                all_zero = all_zero && ana == 0 && std::abs(num) <= options.atol;
                ++r.entries;
                if (ratio > worst) {
                    worst = ratio;
                    r.input = i, r.input_shape = in[i].shape(), r.element = k, r.output = j;
                    r.analytic = ana, r.numeric = num, r.abs_error = err;
                    r.rel_error = num != 0 ? err / std::abs(num) : (err == 0 ? 0 : INFINITY);
                }
            }
        }
        if (all_zero && !vacuous) vacuous = i;
    }
    if (r.entries == 0) return failed("the Jacobian is empty (no output or input elements): nothing to check");
    r.ok = worst <= 1.0;
    if (!r.ok) {
        std::ostringstream s;
        s << "Jacobian mismatch for output element " << r.output << " with respect to input " << r.input
          << " element " << index_str(r.element, r.input_shape);
        r.failure = s.str();
    } else if (vacuous && !options.allow_zero_jacobian) {
        r.ok = false;
        r.failure = "input " + std::to_string(*vacuous) + " has an all-zero Jacobian, analytic and numeric: the "
                    "check proves nothing (move away from flat regions, or set allow_zero_jacobian)";
    }
    return r;
}

std::ostream& operator<<(std::ostream& os, const GradcheckResult& r) {
    std::ostringstream s;
    s << std::setprecision(6);
    const bool mismatch = !r.ok && r.entries > 0 && r.failure.rfind("Jacobian mismatch", 0) == 0;
    if (r.ok)
        s << "gradcheck passed: " << r.entries << " Jacobian entries; worst at input " << r.input << " element "
          << index_str(r.element, r.input_shape) << ", output element " << r.output;
    else
        s << "gradcheck FAILED: " << r.failure;
    if (r.ok || mismatch)
        s << ": analytic " << r.analytic << " vs numeric " << r.numeric << " (abs error " << r.abs_error
          << ", rel error " << r.rel_error << ")";
    return os << s.str();
}

}  // namespace xgrad
