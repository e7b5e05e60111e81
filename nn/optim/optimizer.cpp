#include "nn/optim/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <unordered_map>

#include "autograd/grad_mode.hpp"
#include "ops/common.hpp"

namespace xgrad::optim {

namespace {

constexpr std::int64_t max_epoch = 1000000000000000;  // 10^15: a checkpoint stores counts up to it (is_count)

void require(bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument(what);
}

// Calls f(p, g, n) with raw pointers to a parameter's values and gradient of the same type, inside a
// WriteScope: an op reading the parameter on another thread meanwhile throws.
template <class F>
void with_values(Tensor& p, const Tensor& grad, F&& f) {
    detail::WriteScope writing(p);
    visit_float(writing.array(), [&](auto& values) {
        using T = typename std::decay_t<decltype(values)>::value_type;
        f(values.data(), get<T>(grad.array()).data(), values.size());
    });
}

Array zeros_like(const Tensor& t) { return Tensor::zeros(t.shape(), {.dtype = t.dtype()}).array(); }

// A state buffer in its parameter's dtype (Module::to may have converted the parameter since).
Array& follow(Array& buffer, const Tensor& p) {
    if (dtype_of_array(buffer) != p.dtype()) buffer = cast(buffer, p.dtype());
    return buffer;
}

template <class T>
T* raw(Array& a) {
    return get<T>(a).data();
}

}  // namespace

Optimizer::Optimizer(std::vector<Tensor> params, double lr) : params_(std::move(params)), lr_(lr) {
    require(!params_.empty(), "optimizer: got an empty parameter list");
    for (std::size_t i = 0; i < params_.size(); ++i)
        require(params_[i].defined() && params_[i].requires_grad(),
                "optimizer: parameter " + std::to_string(i) + " does not require grad");
    for (std::size_t i = 0; i < params_.size(); ++i)  // a parameter twice would be updated twice per step
        for (std::size_t j = 0; j < i; ++j)
            require(!params_[i].is_same(params_[j]), "optimizer: parameter " + std::to_string(i) +
                                                         " is the same tensor as parameter " + std::to_string(j) +
                                                         " (each parameter may appear once)");
    set_lr(lr);
}

void Optimizer::set_lr(double lr) {
    require(lr >= 0, "optimizer: learning rate must be non-negative, got " + number_str(lr));
    lr_ = lr;
}

void Optimizer::zero_grad() {
    for (auto& p : params_) p.zero_grad();
}

SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : Optimizer(std::move(params), options.lr), o_(options), state_(params_.size()) {
    require(o_.momentum >= 0, "SGD: momentum must be non-negative, got " + number_str(o_.momentum));
    require(o_.weight_decay >= 0, "SGD: weight_decay must be non-negative, got " + number_str(o_.weight_decay));
    require(o_.dampening >= 0 && o_.dampening <= 1, "SGD: dampening must be in [0, 1], got " + number_str(o_.dampening));
    require(!o_.nesterov || (o_.momentum > 0 && o_.dampening == 0),
            "SGD: nesterov momentum requires a momentum and zero dampening");
}

namespace {

// PyTorch's SGD update in one pass: d = g + wd p; with momentum b = m b + damp d (b = d at first),
// d = nesterov ? d + m b : b; p -= lr d. One branch-free loop per case, so that it vectorises.
template <class T>
XGRAD_VECTOR_CLONES void sgd_update(T* __restrict p, const T* __restrict g, T* __restrict b, std::size_t n, T lr, T wd, T m, T damp,
                bool first, bool nesterov) {
    if (!b) {
        for (std::size_t k = 0; k < n; ++k) p[k] -= lr * (g[k] + wd * p[k]);
    } else if (first) {
        const T scale = nesterov ? 1 + m : 1;
        for (std::size_t k = 0; k < n; ++k) {
            const T d = g[k] + wd * p[k];
            b[k] = d;
            p[k] -= lr * (scale * d);
        }
    } else if (nesterov) {
        for (std::size_t k = 0; k < n; ++k) {
            const T d = g[k] + wd * p[k];
            const T bk = m * b[k] + damp * d;
            b[k] = bk;
            p[k] -= lr * (d + m * bk);
        }
    } else {
        for (std::size_t k = 0; k < n; ++k) {
            const T bk = m * b[k] + damp * (g[k] + wd * p[k]);
            b[k] = bk;
            p[k] -= lr * bk;
        }
    }
}

}  // namespace

void SGD::step() {
    NoGradGuard no_grad;
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const Tensor grad = params_[i].grad();
        if (!grad.defined()) continue;
        const bool first = o_.momentum != 0 && !state_[i];  // PyTorch starts the buffer at g
        if (first) state_[i] = State{zeros_like(params_[i])};
        Array* buffer = o_.momentum != 0 ? &follow(state_[i]->momentum_buffer, params_[i]) : nullptr;
        with_values(params_[i], grad, [&](auto* p, const auto* g, std::size_t n) {
            using T = std::remove_pointer_t<decltype(p)>;
            T* b = buffer ? raw<T>(*buffer) : nullptr;
            // A large parameter is updated in ranges on xgrad's threads (the loop is memory-bound).
            detail::parallel_for(n, detail::parallel_grain, 16, [&](std::size_t from, std::size_t to) {
                sgd_update<T>(p + from, g + from, b ? b + from : nullptr, to - from, static_cast<T>(lr_),
                              static_cast<T>(o_.weight_decay), static_cast<T>(o_.momentum),
                              static_cast<T>(1 - o_.dampening), first, o_.nesterov);
            });
        });
    }
}

const Array* SGD::momentum_buffer(std::size_t i) const {
    const auto& s = state_.at(i);
    return s ? &s->momentum_buffer : nullptr;
}

std::vector<Tensor> SGD::state_of(std::size_t i) const {
    if (!state_[i]) return {};
    return {Tensor(state_[i]->momentum_buffer)};
}

void SGD::set_state_of(std::size_t i, const std::vector<Tensor>& fields) {
    if (fields.empty()) state_[i].reset();
    else state_[i] = State{fields[0].array()};
}

namespace {

Tensor scalar64(double v) { return Tensor::scalar(v, {.dtype = Dtype::float64}); }

// The key of parameter i's field in a state dict: "exp_avg.3".
std::string state_key(const std::string& field, std::size_t i) { return field + "." + std::to_string(i); }

// The value of a defined one-element tensor, else NaN.
double scalar_or_nan(const Tensor& t) {
    return t.defined() && t.numel() == 1 ? t.item() : std::numeric_limits<double>::quiet_NaN();
}

bool is_count(double v) { return std::isfinite(v) && v >= 0 && v == std::floor(v) && v <= 1e15; }

}  // namespace

NamedTensors Optimizer::state_dict() const {
    NamedTensors out{{"lr", scalar64(lr_)}};
    const auto fields = state_fields();
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const auto values = state_of(i);
        for (std::size_t f = 0; f < values.size(); ++f)
            out.emplace_back(state_key(fields[f].name, i), values[f]);
    }
    return out;
}

namespace {

// The tensors of a state by key; a key given twice is a problem.
std::unordered_map<std::string, Tensor> by_key(const NamedTensors& state, std::vector<std::string>& problems) {
    std::unordered_map<std::string, Tensor> keyed;
    for (const auto& [key, t] : state)
        if (!keyed.emplace(key, t).second) problems.push_back("'" + key + "' appears twice");
    return keyed;
}

}  // namespace

std::vector<std::string> Optimizer::state_dict_problems(const NamedTensors& state) const {
    std::vector<std::string> problems;
    auto keyed = by_key(state, problems);
    for (const auto& [key, t] : keyed)
        if (!t.defined()) problems.push_back("'" + key + "' is an undefined tensor");
    if (auto lr = keyed.find("lr"); lr == keyed.end()) {
        problems.push_back("missing 'lr'");
    } else {
        const double v = scalar_or_nan(lr->second);
        if (!std::isfinite(v) || v < 0) problems.push_back("'lr' must be one non-negative number, got " + describe(lr->second));
        keyed.erase(lr);
    }
    // Each parameter's fields under the keys state_dict writes: all of them or none (not started).
    const auto fields = state_fields();
    for (std::size_t i = 0; i < params_.size(); ++i) {
        std::size_t present = 0;
        for (const auto& field : fields) {
            const std::string key = state_key(field.name, i);
            const auto it = keyed.find(key);
            if (it == keyed.end()) continue;
            ++present;
            const Tensor t = it->second;
            keyed.erase(it);
            if (!t.defined()) continue;
            if (field.is_count && !is_count(scalar_or_nan(t)))
                problems.push_back("'" + key + "' must be one non-negative whole number, got " + describe(t));
            if (!field.is_count && (t.shape() != params_[i].shape() || t.dtype() != params_[i].dtype()))
                problems.push_back("'" + key + "' is " + describe(t) + ", parameter " + std::to_string(i) + " is " +
                                   describe(params_[i]));
        }
        if (present != 0 && present != fields.size())
            problems.push_back("parameter " + std::to_string(i) + " has " + std::to_string(present) + " of its " +
                               std::to_string(fields.size()) + " state entries");
    }
    std::vector<std::string> unexpected;
    for (const auto& [key, t] : keyed) unexpected.push_back(key);
    std::sort(unexpected.begin(), unexpected.end());
    for (const auto& key : unexpected) problems.push_back("unexpected '" + key + "'");
    return problems;
}

void Optimizer::load_state_dict(const NamedTensors& state) {
    throw_problems<std::invalid_argument>("load_state_dict: the state does not fit this optimizer:",
                                          state_dict_problems(state));
    std::unordered_map<std::string, Tensor> keyed(state.begin(), state.end());
    set_lr(keyed.at("lr").item());
    const auto fields = state_fields();
    for (std::size_t i = 0; i < params_.size(); ++i) {
        std::vector<Tensor> values;
        for (const auto& field : fields)
            if (auto it = keyed.find(state_key(field.name, i)); it != keyed.end()) values.push_back(it->second);
        set_state_of(i, values);
    }
}

Adam::Adam(std::vector<Tensor> params, AdamOptions options, bool decoupled_weight_decay)
    : Optimizer(std::move(params), options.lr), o_(options), decoupled_(decoupled_weight_decay),
      state_(params_.size()) {
    require(o_.beta1 >= 0 && o_.beta1 < 1, "Adam: beta1 must be in [0, 1), got " + number_str(o_.beta1));
    require(o_.beta2 >= 0 && o_.beta2 < 1, "Adam: beta2 must be in [0, 1), got " + number_str(o_.beta2));
    require(o_.eps >= 0, "Adam: eps must be non-negative, got " + number_str(o_.eps));
    require(o_.weight_decay >= 0, "Adam: weight_decay must be non-negative, got " + number_str(o_.weight_decay));
}

namespace {

template <class T>
struct AdamScalars {
    T b1, b2, decay, wd, eps, step_size, root_c2;  // decay = 1 for Adam, wd = 0 for AdamW
};

// PyTorch's Adam/AdamW update in one branch-free pass over restrict pointers, so that it vectorises:
// p *= decay; d = g + wd p; m = b1 m + (1 - b1) d; v = b2 v + (1 - b2) d²; p -= step m / (√v / √c2 + eps)
template <class T>
XGRAD_VECTOR_CLONES void adam_update(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, std::size_t n,
                                     AdamScalars<T> c) {
    for (std::size_t k = 0; k < n; ++k) {
        const T pk = p[k] * c.decay;
        const T d = c.wd == 0 ? g[k] : g[k] + c.wd * pk;  // as PyTorch, no 0·p term (NaN at p = inf)
        const T mk = c.b1 * m[k] + (1 - c.b1) * d;
        const T vk = c.b2 * v[k] + (1 - c.b2) * d * d;
        m[k] = mk;
        v[k] = vk;
        p[k] = pk - c.step_size * mk / (std::sqrt(vk) / c.root_c2 + c.eps);
    }
}

}  // namespace

void Adam::step() {
    NoGradGuard no_grad;
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const Tensor grad = params_[i].grad();
        if (!grad.defined()) continue;
        if (!state_[i]) state_[i] = State{zeros_like(params_[i]), zeros_like(params_[i])};
        State& s = *state_[i];
        const long t = ++s.step;
        Array& exp_avg = follow(s.exp_avg, params_[i]);
        Array& exp_avg_sq = follow(s.exp_avg_sq, params_[i]);
        with_values(params_[i], grad, [&](auto* p, const auto* g, std::size_t n) {
            using T = std::remove_pointer_t<decltype(p)>;
            T* m = raw<T>(exp_avg);
            T* v = raw<T>(exp_avg_sq);
            const T b1 = static_cast<T>(o_.beta1), b2 = static_cast<T>(o_.beta2);
            const T wd = static_cast<T>(o_.weight_decay), eps = static_cast<T>(o_.eps);
            // p -= lr / (1 - β1^t) · m / (√v / √(1 - β2^t) + eps), PyTorch's arrangement
            const T step_size = static_cast<T>(lr_ / (1 - std::pow(o_.beta1, t)));
            const T root_c2 = static_cast<T>(std::sqrt(1 - std::pow(o_.beta2, t)));
            const T decay = static_cast<T>(1 - lr_ * o_.weight_decay);
            adam_update<T>(p, g, m, v, n, {b1, b2, decoupled_ ? decay : T(1), decoupled_ ? T(0) : wd, eps, step_size, root_c2});
        });
    }
}

std::vector<Tensor> Adam::state_of(std::size_t i) const {
    if (!state_[i]) return {};
    const State& s = *state_[i];
    return {Tensor(s.exp_avg), Tensor(s.exp_avg_sq), scalar64(static_cast<double>(s.step))};
}

void Adam::set_state_of(std::size_t i, const std::vector<Tensor>& fields) {
    if (fields.empty()) state_[i].reset();
    else state_[i] = State{fields[0].array(), fields[1].array(), static_cast<long>(fields[2].item())};
}

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
    require(max_norm >= 0, "clip_grad_norm: max_norm must be non-negative, got " + number_str(max_norm));
    double total = 0;
    for (const auto& p : params)
        if (const Tensor g = p.grad(); g.defined()) total += sum_of_squares(g.array());
    const double norm = std::sqrt(total);
    const double factor = max_norm / (norm + 1e-6);
    if (factor < 1)
        for (const auto& p : params)
            if (Tensor g = p.grad(); g.defined())
                visit_float(g.mutable_array(), [&](auto& a) { for (auto& v : a) v = static_cast<std::decay_t<decltype(v)>>(v * factor); });
    return norm;
}

void LRScheduler::step() {
    if (epoch_ >= max_epoch) throw std::overflow_error("LRScheduler::step: past 10^15 epochs");
    opt_.set_lr(lr_at(++epoch_));
}

NamedTensors LRScheduler::state_dict() const { return {{"epoch", scalar64(static_cast<double>(epoch_))}, {"base_lr", scalar64(base_)}}; }

std::vector<std::string> LRScheduler::state_dict_problems(const NamedTensors& state) const {
    std::vector<std::string> problems;
    bool epoch = false, base = false;
    for (const auto& [key, t] : state) {
        const double v = scalar_or_nan(t);
        if (key == "epoch") {
            epoch = true;
            if (!is_count(v) || v > max_epoch)
                problems.push_back("'epoch' must be one non-negative whole number");
        } else if (key == "base_lr") {
            base = true;
            if (!std::isfinite(v) || v < 0) problems.push_back("'base_lr' must be one non-negative number");
        } else {
            problems.push_back("unexpected '" + key + "'");
        }
    }
    if (!epoch) problems.push_back("missing 'epoch'");
    if (!base) problems.push_back("missing 'base_lr'");
    return problems;
}

void LRScheduler::load_state_dict(const NamedTensors& state) {
    throw_problems<std::invalid_argument>("load_state_dict: the state does not fit this scheduler:",
                                          state_dict_problems(state));
    for (const auto& [key, t] : state) {
        if (key == "epoch") epoch_ = static_cast<std::int64_t>(t.item());
        else base_ = t.item();
    }
}

StepLR::StepLR(Optimizer& optimizer, int step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
    require(step_size > 0, "StepLR: step_size must be positive, got " + std::to_string(step_size));
    require(std::isfinite(gamma) && gamma >= 0, "StepLR: gamma must be a non-negative number, got " + number_str(gamma));
}

double StepLR::lr_at(std::int64_t epoch) const {
    return base_lr() * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int t_max, double eta_min)
    : LRScheduler(optimizer), t_max_(t_max), eta_min_(eta_min) {
    require(t_max > 0, "CosineAnnealingLR: t_max must be positive, got " + std::to_string(t_max));
    require(std::isfinite(eta_min) && eta_min >= 0, "CosineAnnealingLR: eta_min must be a non-negative number, got " +
                                                        number_str(eta_min));
}

double CosineAnnealingLR::lr_at(std::int64_t epoch) const {
    const double progress = static_cast<double>(epoch) / t_max_;  // periodic past t_max, as PyTorch
    return eta_min_ + (base_lr() - eta_min_) * (1 + std::cos(std::numbers::pi * progress)) / 2;
}

}  // namespace xgrad::optim
