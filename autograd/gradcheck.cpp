#include "autograd/gradcheck.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <numeric>
#include <ostream>
#include <random>
#include <sstream>

#include "autograd/engine.hpp"
#include "autograd/grad_mode.hpp"

namespace xgrad {

namespace {

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

// Central differences at element `x` (restored after): eval() at x + h and x - h with a step that
// suits x's magnitude, h = eps max(1, |x|), grown ×100 (at most twice) while precise(plus, minus, h)
// says rounding in the outputs swamps it. Returns h; precise() keeps what it needs of the last try.
template <class Eval, class Precise>
double central_difference(double& x, double eps, Eval eval, Precise precise) {
    const double orig = x;
    double h = eps * std::max(1.0, std::abs(orig));
    for (int attempt = 0;; ++attempt, h *= 100) {
        x = orig + h;
        auto plus = eval();
        x = orig - h;
        auto minus = eval();
        x = orig;
        if (precise(plus, minus, h) || attempt == 2) return h;
    }
}

}  // namespace

GradcheckResult gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, GradcheckOptions options) {
    detail::FlagGuard recording(detail::grad_flag(), true);  // gradcheck may run under NoGradGuard
    std::vector<Tensor> in;
    std::vector<std::size_t> checked;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        // a fresh leaf either way; indices and masks keep their dtype
        Tensor copy = inputs[i].is_floating_point() ? inputs[i].detach().to(Dtype::float64) : inputs[i].detach();
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
            const Tensor g = in[checked[c]].grad();
            if (!g.defined()) continue;
            const double* p = g.data<double>().data();
            const std::size_t n = g.numel();
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
            std::vector<double> plus, minus, rounding(m);
            const double h = central_difference(x.data()[k], options.eps, [&] { return values(fn(in)); },
                [&](std::vector<double>& p, std::vector<double>& q, double step) {
                    plus = std::move(p), minus = std::move(q);
                    bool swamped = false;
                    for (std::size_t j = 0; j < m; ++j) {
                        const double num = (plus[j] - minus[j]) / (2 * step);
                        rounding[j] = plus[j] == minus[j] ? 0
                                    : 2 * std::numeric_limits<double>::epsilon() * std::max(std::abs(plus[j]), std::abs(minus[j])) / step;
                        swamped = swamped || rounding[j] > 0.1 * (options.atol + options.rtol * std::abs(num));
                    }
                    return !swamped;
                });
            for (std::size_t j = 0; j < m; ++j) {
                const double num = plus[j] == minus[j] ? 0 : (plus[j] - minus[j]) / (2 * h);
                const double ana = analytic[c][j * n + k];
                const double err = std::abs(ana - num);
                double ratio = err / (options.atol + options.rtol * std::abs(num) + rounding[j]);
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

namespace {

// Central differences of v·f at one element of an operand, taken output by output so that outputs
// the element does not move cancel exactly (a -1e9 mask never swamps them, an infinite output that
// stays infinite is no kink); rounding in the outputs that do move is bounded, not ignored.
struct Difference {
    double central = 0, right = 0, left = 0;  // v·(f(x+h) - f(x-h))/2h and the one-sided slopes
    double rounding = 0;                      // bound on the rounding error of each of them
    bool finite = true;                       // false: an output became infinite or NaN nearby
};

Difference difference(const Array& plus, const Array& minus, const Array& at, const Values<double>& v, double h) {
    const double* p = get<double>(plus).data();
    const double* m = get<double>(minus).data();
    const double* c = get<double>(at).data();
    Difference d;
    for (std::size_t j = 0; j < v.size(); ++j) {
        if (v.data()[j] == 0 || (p[j] == c[j] && m[j] == c[j])) continue;
        if (!std::isfinite(p[j]) || !std::isfinite(m[j])) {
            d.finite = false;
            return d;
        }
        const double w = v.data()[j];
        d.central += w * (p[j] - m[j]);
        d.right += w * (p[j] - c[j]);
        d.left += w * (c[j] - m[j]);
        d.rounding += std::abs(w) * std::max({std::abs(p[j]), std::abs(m[j]), std::abs(c[j])});
    }
    d.central /= 2 * h, d.right /= h, d.left /= h;
    d.rounding *= 4 * std::numeric_limits<double>::epsilon() / h;
    return d;
}

NodeCheck check_node(const Node& node, std::size_t position, const CheckGraphOptions& o) {
    NodeCheck r;
    r.position = position;
    r.sequence_nr = node.sequence_nr();
    r.op = node.name();
    const auto& inputs = node.inputs();
    std::vector<Array> in;
    for (const auto& t : inputs) in.push_back(t.is_floating_point() ? cast(t.array(), Dtype::float64) : t.array());
    std::vector<const Array*> ptrs;
    for (const auto& a : in) ptrs.push_back(&a);
    auto forward = [&] { return node.forward()(Inputs(ptrs)); };
    auto not_checkable = [&](std::string why) {
        r.status = NodeCheck::Status::not_checkable;
        r.detail = std::move(why);
        return r;
    };

    Array out;
    try {
        out = forward();
    } catch (const std::exception& e) {
        return not_checkable(std::string("its forward does not run in float64: ") + e.what());
    }
    if (dtype_of_array(out) != Dtype::float64) return not_checkable("it changes the dtype");

    std::mt19937_64 gen(o.seed + position);
    std::normal_distribution<double> normal;
    Values<double> v = Values<double>::from_shape(shape_of(out));
    const double* out_p = get<double>(out).data();
    // an infinite or NaN output has no finite difference to compare: leave it out of v
    for (std::size_t j = 0; j < v.size(); ++j) v.data()[j] = std::isfinite(out_p[j]) ? normal(gen) : 0.0;
    const Array upstream(v);

    std::unique_ptr<bool[]> needs(new bool[inputs.size()]);
    for (std::size_t i = 0; i < inputs.size(); ++i) needs[i] = inputs[i].requires_grad();
    Grads grads;
    try {
        grads = node.backward(Array(upstream), Inputs(ptrs), out, {needs.get(), inputs.size()});
    } catch (const std::exception& e) {
        r.status = NodeCheck::Status::failed;
        r.detail = std::string("backward threw: ") + e.what();
        return r;
    }

    double worst = -1;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (!needs[i]) continue;
        auto& x = get<double>(in[i]);
        const std::size_t n = x.size();
        if (i >= grads.size() || (!grads[i] && n > 0)) {
            r.status = NodeCheck::Status::failed;
            r.detail = "backward returned no gradient for operand " + std::to_string(i);
            r.input = i;
            return r;
        }
        if (n > 0 && shape_of(*grads[i]) != x.shape()) {
            r.status = NodeCheck::Status::failed;
            r.detail = "backward returned a gradient of shape " + shape_str(shape_of(*grads[i])) + " for operand " +
                       std::to_string(i) + " of shape " + shape_str(x.shape());
            return r;
        }
        std::vector<std::size_t> elements(n);
        std::iota(elements.begin(), elements.end(), std::size_t{0});
        if (n > o.max_elements) {
            std::shuffle(elements.begin(), elements.end(), gen);
            elements.resize(o.max_elements);
            std::sort(elements.begin(), elements.end());
        }
        for (std::size_t k : elements) {
            Difference d;
            central_difference(x.data()[k], o.eps, forward, [&](const Array& plus, const Array& minus, double h) {
                d = difference(plus, minus, out, v, h);
                return !d.finite || d.rounding <= 0.1 * (o.atol + o.rtol * std::abs(d.central));
            });
            if (!d.finite) {
                ++r.non_finite;
                continue;
            }
            // a kink: the slopes on either side differ (relu at 0, step at 0, abs at 0)
            const double slopes = o.atol + o.rtol * std::max(std::abs(d.right), std::abs(d.left)) + 2 * d.rounding;
            if (!(std::abs(d.right - d.left) <= slopes)) {
                ++r.kinks;
                continue;
            }
            const double numeric = d.central;
            const double analytic = visit_float(*grads[i], [&](const auto& g) { return static_cast<double>(g.data()[k]); });
            const double err = std::abs(analytic - numeric);
            double ratio = err / (o.atol + o.rtol * std::abs(numeric) + d.rounding);
            if (std::isnan(ratio)) ratio = INFINITY;
            ++r.checked;
            if (ratio > worst) {
                worst = ratio;
                r.input = i, r.input_shape = x.shape(), r.element = k;
                r.analytic = analytic, r.numeric = numeric, r.abs_error = err;
            }
        }
    }
    if (worst > 1.0) {
        r.status = NodeCheck::Status::failed;
        std::ostringstream s;
        s << std::setprecision(6) << "operand " << r.input << " element " << index_str(r.element, r.input_shape)
          << ": analytic " << r.analytic << " vs numeric " << r.numeric;
        r.detail = s.str();
    } else if (r.checked == 0) {
        if (r.kinks > 0) return not_checkable("every sampled element sits on a kink");
        if (r.non_finite > 0) return not_checkable("every sampled element makes an output infinite or NaN nearby");
        return not_checkable("no elements");
    }
    return r;
}

}  // namespace

GraphCheckResult check_graph(const Tensor& root, CheckGraphOptions options) {
    if (!root.requires_grad())
        throw std::invalid_argument("check_graph: the tensor has no recorded graph (nothing required grad)");
    NoGradGuard no_grad;  // replays must not record
    GraphCheckResult result;
    const auto nodes = detail::graph_nodes(root, "check_graph");
    for (std::size_t p = 0; p < nodes.size(); ++p) {
        result.nodes.push_back(check_node(*nodes[p], p, options));
        if (result.nodes.back().status == NodeCheck::Status::failed && !result.first_failure) result.first_failure = p;
    }
    return result;
}

std::ostream& operator<<(std::ostream& os, const GraphCheckResult& r) {
    std::size_t passed = 0, failed = 0, unchecked = 0;
    for (const auto& n : r.nodes) {
        passed += n.status == NodeCheck::Status::passed;
        failed += n.status == NodeCheck::Status::failed;
        unchecked += n.status == NodeCheck::Status::not_checkable;
    }
    std::ostringstream s;
    s << "check_graph: " << r.nodes.size() << " nodes, " << passed << " passed, " << failed << " failed, " << unchecked
      << " not checkable\n";
    s << "  pos  op#  op                  status          checked  kinks  worst |analytic - numeric|\n";
    for (const auto& n : r.nodes) {
        const char* status = n.status == NodeCheck::Status::passed   ? "passed"
                             : n.status == NodeCheck::Status::failed ? "FAILED"
                                                                     : "not checkable";
        s << "  " << std::setw(3) << n.position << "  " << std::setw(3) << n.sequence_nr << "  " << std::left
          << std::setw(18) << n.op << "  " << std::setw(14) << status << std::right << "  " << std::setw(7) << n.checked
          << "  " << std::setw(5) << n.kinks << "  ";
        if (n.checked > 0) s << std::scientific << std::setprecision(2) << n.abs_error << std::defaultfloat;
        if (!n.detail.empty()) s << "  (" << n.detail << ")";
        s << '\n';
    }
    if (r.first_failure) {
        const auto& n = r.nodes[*r.first_failure];
        s << "first failure: node " << n.position << " '" << n.op << "' (op #" << n.sequence_nr << "): " << n.detail
          << '\n';
    }
    return os << s.str();
}

}  // namespace xgrad
