#include "autograd/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "autograd/engine.hpp"
#include "autograd/runtime/random.hpp"

namespace xgrad {

namespace {

// A new leaf of `shape` whose values fill(a) writes; refuses shapes no buffer holds and names `op`
// when memory runs out.
template <class T, class Fill>
Tensor filled(std::string_view op, const Shape& shape, TensorOptions options, Fill fill) {
    checked_numel(op, shape);
    Values<T> a = allocating(op, dtype_of<T>, shape, [&] { return Values<T>::from_shape(shape); });
    fill(a);
    return Tensor(std::move(a), options.requires_grad);
}

// A double as an element of T: non-zero is true, as PyTorch converts Python numbers; an int64
// element must be representable (NaN, ±inf and 1e300 throw std::invalid_argument).
template <class T>
T element_from(double v) {
    if constexpr (std::is_same_v<T, bool>) {
        return v != 0;
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
        if (!(std::abs(v) < 0x1p63)) throw std::invalid_argument(number_str(v) + " is not an int64 value");
        return static_cast<T>(v);
    } else {
        return static_cast<T>(v);
    }
}

Tensor full_of(std::string_view op, const Shape& shape, double value, TensorOptions options) {
    if (options.dtype == Dtype::int64 && !(std::abs(value) < 0x1p63))
        throw std::invalid_argument(std::string(op) + ": " + number_str(value) + " is not an int64 value");
    return dispatch_any(options.dtype, [&](auto zero) {
        using T = decltype(zero);
        return filled<T>(op, shape, options, [&](auto& a) { a.fill(element_from<T>(value)); });
    });
}

template <class Values>
Tensor from_values(const Values& values, const Shape& shape, TensorOptions options) {
    const std::size_t n = checked_numel("Tensor::from", shape);
    if (n != values.size())
        throw ShapeError("Tensor::from: " + std::to_string(values.size()) +
                         " values do not fill shape " + shape_str(shape) + " (" + std::to_string(n) +
                         " elements)");
    return dispatch_any(options.dtype, [&](auto zero) {
        using T = decltype(zero);
        return filled<T>("Tensor::from", shape, options, [&](auto& a) {
            if constexpr (std::is_same_v<T, typename Values::value_type>)  // exact: int64 beyond 2^53 too
                std::copy(values.begin(), values.end(), a.begin());
            else
                std::transform(values.begin(), values.end(), a.begin(), [](auto v) { return element_from<T>(static_cast<double>(v)); });
        });
    });
}

template <class Dist>
Tensor random(std::string_view op, const Shape& shape, TensorOptions options, Dist dist) {
    if (!is_floating_point(options.dtype))
        throw DtypeError(std::string(op) + ": draws floating-point values, not " + std::string(dtype_name(options.dtype)) +
                         " (Tensor::randint draws integers)");
    return dispatch(options.dtype, [&](auto zero) {
        using T = decltype(zero);
        return filled<T>(op, shape, options, [&](auto& a) {
            detail::with_generator([&](std::mt19937_64& gen) {
                for (auto& v : a) v = static_cast<T>(dist(gen));
            });
        });
    });
}

}  // namespace

std::string describe(const Tensor& t) { return describe(t.array()); }

namespace detail {

TensorImpl::~TensorImpl() = default;

WriteScope::WriteScope(Tensor& t) : impl_([&]() -> TensorImpl& {
          if (!TensorAccess::impl(t)) throw std::invalid_argument("xgrad: use of an undefined Tensor (default-constructed)");
          return *TensorAccess::impl(t);
      }()) {
    impl_.bump_version(1);
    std::atomic_thread_fence(std::memory_order_release);  // odd before any value changes
}

WriteScope::~WriteScope() { impl_.bump_version(1, std::memory_order_release); }

}  // namespace detail

namespace {
void check_can_require_grad(std::string_view op, Dtype dtype) {
    if (!is_floating_point(dtype))
        throw DtypeError(std::string(op) + ": only floating-point tensors can require gradients, this one is " +
                         std::string(dtype_name(dtype)));
}
}  // namespace

Tensor::Tensor(Array values, bool requires_grad)
    : impl_(std::make_shared<detail::TensorImpl>(std::move(values), requires_grad)) {
    if (requires_grad) check_can_require_grad("Tensor", dtype_of_array(impl_->data));
}

Tensor Tensor::full(const Shape& shape, double value, TensorOptions options) {
    return full_of("Tensor::full", shape, value, options);
}
Tensor Tensor::zeros(const Shape& shape, TensorOptions options) { return full_of("Tensor::zeros", shape, 0.0, options); }
Tensor Tensor::ones(const Shape& shape, TensorOptions options) { return full_of("Tensor::ones", shape, 1.0, options); }
Tensor Tensor::scalar(double value, TensorOptions options) { return full_of("Tensor::scalar", Shape{}, value, options); }

Tensor Tensor::arange(double start, double end, double step, TensorOptions options) {
    if (step == 0 || !std::isfinite(start) || !std::isfinite(end) || !std::isfinite(step))
        throw std::invalid_argument("arange: step must be non-zero and bounds finite, got start " +
                                    number_str(start) + ", end " + number_str(end) + ", step " + number_str(step));
    const double count = std::ceil((end - start) / step);
    if (!(count <= 0x1p60))
        throw ShapeError("arange: " + number_str(count) + " elements (start " + number_str(start) + ", end " +
                         number_str(end) + ", step " + number_str(step) + ") are more than any buffer holds");
    const auto n = static_cast<std::size_t>(count > 0 ? count : 0);
    return dispatch_any(options.dtype, [&](auto zero) {
        using T = decltype(zero);
        return filled<T>("arange", Shape{n}, options, [&](auto& a) {
            for (std::size_t i = 0; i < n; ++i) a(i) = element_from<T>(start + static_cast<double>(i) * step);
        });
    });
}

Tensor Tensor::arange(double end, TensorOptions options) { return arange(0.0, end, 1.0, options); }

Tensor Tensor::from(std::initializer_list<double> values, const Shape& shape, TensorOptions options) {
    return from_values(values, shape, options);
}
Tensor Tensor::from(const std::vector<double>& values, const Shape& shape, TensorOptions options) {
    return from_values(values, shape, options);
}
Tensor Tensor::from(const std::vector<float>& values, const Shape& shape, TensorOptions options) {
    return from_values(values, shape, options);
}
Tensor Tensor::from(const std::vector<std::int64_t>& values, const Shape& shape, TensorOptions options) {
    return from_values(values, shape, options);
}

Tensor Tensor::randint(std::int64_t low, std::int64_t high, const Shape& shape, TensorOptions options) {
    if (low >= high)
        throw std::invalid_argument("randint: expected low < high, got low " + std::to_string(low) + ", high " +
                                    std::to_string(high));
    if (options.dtype != Dtype::int64 && (std::abs(static_cast<double>(low)) > 0x1p53 || std::abs(static_cast<double>(high)) > 0x1p53))
        throw std::invalid_argument("randint: bounds beyond 2^53 need dtype int64");
    const auto span = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);
    std::uniform_int_distribution<std::uint64_t> dist(0, span - 1);
    return dispatch_any(options.dtype, [&](auto zero) {
        using T = decltype(zero);
        return filled<T>("Tensor::randint", shape, options, [&](auto& a) {
            detail::with_generator([&](std::mt19937_64& gen) {
                for (auto& v : a) v = element_from<T>(static_cast<double>(static_cast<std::int64_t>(static_cast<std::uint64_t>(low) + dist(gen))));
            });
        });
    });
}

Tensor Tensor::rand(const Shape& shape, TensorOptions options) {
    return random("Tensor::rand", shape, options, std::uniform_real_distribution<double>(0.0, 1.0));
}
Tensor Tensor::randn(const Shape& shape, TensorOptions options) {
    return random("Tensor::randn", shape, options, std::normal_distribution<double>(0.0, 1.0));
}

detail::TensorImpl& Tensor::checked() const {
    if (!impl_) throw std::invalid_argument("xgrad: use of an undefined Tensor (default-constructed)");
    return *impl_;
}

const Shape& Tensor::shape() const& { return shape_of(checked().data); }
Shape Tensor::shape() const&& { return shape_of(checked().data); }

std::size_t Tensor::size(int dim) const {
    const auto& s = shape();
    auto n = static_cast<int>(s.size());
    int d = dim < 0 ? dim + n : dim;
    if (d < 0 || d >= n)
        throw std::out_of_range("size: dimension " + std::to_string(dim) + " out of range for shape " +
                                shape_str(s));
    return s[static_cast<std::size_t>(d)];
}

std::size_t Tensor::numel() const {
    return visit_any(checked().data, [](const auto& a) { return a.size(); });
}

Dtype Tensor::dtype() const { return dtype_of_array(checked().data); }

template <class T>
const Values<T>& Tensor::data() const& {
    if (dtype() != dtype_of<T>)
        throw DtypeError("Tensor::data: tensor is " + std::string(dtype_name(dtype())) + ", asked for " +
                         std::string(dtype_name(dtype_of<T>)));
    return std::get<Values<T>>(impl_->data);
}

template <class T>
Values<T> Tensor::data() const&& {
    return static_cast<const Tensor&>(*this).data<T>();
}

template <class T>
Values<T>& Tensor::mutable_data() & {
    auto& values = const_cast<Values<T>&>(data<T>());
    impl_->bump_version(2);
    return values;
}

#define XGRAD_INSTANTIATE(T)                               \
    template const Values<T>& Tensor::data<T>() const&;   \
    template Values<T> Tensor::data<T>() const&&;         \
    template Values<T>& Tensor::mutable_data<T>() &;
XGRAD_INSTANTIATE(float)
XGRAD_INSTANTIATE(double)
XGRAD_INSTANTIATE(std::int64_t)
XGRAD_INSTANTIATE(bool)
#undef XGRAD_INSTANTIATE

const Array& Tensor::array() const& { return checked().data; }
Array Tensor::array() const&& { return checked().data; }
Array& Tensor::mutable_array() & {
    auto& impl = checked();
    impl.bump_version(2);
    return impl.data;
}

std::uint32_t Tensor::version() const { return checked().version.load(std::memory_order_acquire); }

double Tensor::item() const {
    if (numel() != 1)
        throw std::invalid_argument("item: only one-element tensors can be converted to a scalar, got shape " +
                                    shape_str(shape()));
    return visit_any(impl_->data, [](const auto& a) { return static_cast<double>(*a.begin()); });
}

bool Tensor::requires_grad() const { return checked().requires_grad; }

Tensor& Tensor::requires_grad_(bool on) {
    if (!is_leaf())
        throw std::invalid_argument("requires_grad_: only leaf tensors can change requires_grad (this one was produced by '" +
                                    grad_fn()->name() + "'; use detach() first)");
    if (on) check_can_require_grad("requires_grad_", dtype());
    impl_->requires_grad = on;
    return *this;
}

Tensor Tensor::grad() const {
    const auto& g = checked().grad;
    return g ? Tensor(g) : Tensor();
}

void Tensor::zero_grad() { checked().grad.reset(); }

unsigned Tensor::add_hook(std::function<Tensor(const Tensor&)> hook) const {
    auto& impl = checked();
    if (!impl.requires_grad)
        throw std::invalid_argument("register_hook: cannot register a hook on a tensor that does not require grad (" +
                                    describe(*this) + ")");
    if (!hook) throw std::invalid_argument("register_hook: the hook is empty");
    if (!impl.hooks) impl.hooks = std::make_unique<detail::GradHooks>();
    const unsigned handle = impl.hooks->next++;
    impl.hooks->list.emplace_back(handle, std::move(hook));
    return handle;
}

void Tensor::remove_hook(unsigned handle) const {
    auto& impl = checked();
    if (impl.hooks) {
        auto& list = impl.hooks->list;
        const auto it = std::find_if(list.begin(), list.end(), [&](const auto& h) { return h.first == handle; });
        if (it != list.end()) {
            list.erase(it);
            return;
        }
    }
    throw std::invalid_argument("remove_hook: this tensor has no hook with handle " + std::to_string(handle));
}

void Tensor::retain_grad() const {
    auto& impl = checked();
    if (!impl.requires_grad)
        throw std::invalid_argument("retain_grad: cannot retain the gradient of a tensor that does not require grad (" +
                                    describe(*this) + ")");
    if (impl.grad_fn) impl.retains_grad = true;
}

bool Tensor::retains_grad() const {
    const auto& impl = checked();
    return impl.grad_fn && impl.retains_grad;
}

const std::shared_ptr<Node>& Tensor::grad_fn() const& { return checked().grad_fn; }
std::shared_ptr<Node> Tensor::grad_fn() const&& { return checked().grad_fn; }

const std::string& Tensor::name() const& { return checked().name; }
std::string Tensor::name() const&& { return checked().name; }

Tensor& Tensor::set_name(std::string name) {
    checked().name = std::move(name);
    return *this;
}

Tensor Tensor::detach() const { return Tensor(checked().data, false); }

Tensor Tensor::to(Dtype dtype) const {
    if (dtype == this->dtype()) return *this;
    const Dtype source = this->dtype();
    // recorded between floating dtypes only: an int64 or bool result never requires grad
    return apply("to_" + std::string(dtype_name(dtype)), {*this},
        [dtype](Inputs in) { return cast(in[0], dtype); },
        [source](const BackwardArgs& c) -> Grads { return make_grads(cast(c.grad, source)); });
}

void Tensor::backward(BackwardOptions options) const {
    if (!checked().requires_grad)
        throw std::invalid_argument("backward: tensor does not require grad and has no grad_fn (no input had "
                                    "requires_grad = true, or it was computed under NoGradGuard)");
    if (numel() != 1)
        throw std::invalid_argument("backward: a gradient can be implied only for one-element tensors, got shape " +
                                    shape_str(shape()) + "; pass backward(gradient)");
    Array seed = dispatch(dtype(), [&](auto zero) -> Array {
        using T = decltype(zero);
        Array ones(std::in_place_type<Values<T>>, shape());  // built in place: an Array move costs ~400 instructions
        std::get<Values<T>>(ones).fill(T(1));
        return ones;
    });
    detail::run_backward(*this, std::move(seed), options);
}

void Tensor::backward(const Tensor& gradient, BackwardOptions options) const {
    if (!checked().requires_grad)
        throw std::invalid_argument("backward: tensor does not require grad and has no grad_fn");
    if (gradient.shape() != shape() || gradient.dtype() != dtype())
        throw ShapeError("backward: gradient " + describe(gradient) + " does not match tensor " +
                         describe(*this));
    detail::run_backward(*this, Array(gradient.array()), options);
}

namespace {

// Prints the values with one format for all elements, as PyTorch does: integers as "2.",
// moderate magnitudes fixed with 4 decimals, otherwise scientific.
template <class T>
void print_values(std::ostream& os, const Values<T>& a) {
    constexpr bool exact = std::is_same_v<T, std::int64_t> || std::is_same_v<T, bool>;
    bool integral = true;
    double max_abs = 0, min_abs = INFINITY;
    for (T v : a) {
        double d = static_cast<double>(v);
        if (!std::isfinite(d)) continue;
        integral = integral && d == std::floor(d);
        max_abs = std::max(max_abs, std::abs(d));
        if (d != 0) min_abs = std::min(min_abs, std::abs(d));
    }
    bool scientific = !integral && (max_abs >= 1e8 || min_abs < 1e-4 || max_abs / min_abs > 1e3);
    bool huge_int = integral && max_abs >= 1e8;
    // snprintf, not a stream per element: a large tensor's width pass formats every element
    auto format = [&](T v) {
        const double d = static_cast<double>(v);
        char buf[64];
        if constexpr (std::is_same_v<T, bool>) return std::string(v ? "True" : "False");
        else if constexpr (exact) std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
        else if (std::isnan(d)) return std::string("nan");
        else if (std::isinf(d)) return std::string(d > 0 ? "inf" : "-inf");
        else if (huge_int || scientific) std::snprintf(buf, sizeof buf, "%.4e", d);
        else if (integral) std::snprintf(buf, sizeof buf, "%.0f.", d);
        else std::snprintf(buf, sizeof buf, "%.4f", d);
        return std::string(buf);
    };
    std::size_t width = 0;
    for (T v : a) width = std::max(width, format(v).size());
    auto put = [&](T v) { os << std::setw(static_cast<int>(width)) << format(v); };
    const auto& shape = a.shape();
    if (shape.empty()) {
        put(*a.begin());
        return;
    }
    if (a.size() == 0) {  // as PyTorch: tensor([]) or tensor([], size=(2, 0)); it had read an element
        os << "[]";
        if (shape.size() != 1) os << ", size=" << shape_str(shape);
        return;
    }
    // Walks the elements in row-major order, opening and closing brackets at dimension borders;
    // dimensions longer than 6 show their first and last three entries when the tensor is large.
    const std::size_t nd = shape.size();
    const bool summarize = a.size() > 1000;
    std::vector<std::size_t> index(nd, 0);
    const std::string indent = "       ";
    os << std::string(nd, '[');
    for (;;) {
        put(a.element(index.begin(), index.end()));
        std::size_t d = nd;
        while (d > 0) {
            --d;
            ++index[d];
            if (summarize && shape[d] > 6 && index[d] == 3) {
                index[d] = shape[d] - 3;
                os << (d + 1 == nd ? ", ..." : "");
                if (d + 1 != nd) os << ",\n" << indent << std::string(d + 1, ' ') << "...";
            }
            if (index[d] < shape[d]) break;
            index[d] = 0;
            os << ']';
            if (d == 0) return;
        }
        std::size_t closed = nd - 1 - d;
        os << ',';
        if (closed > 0) os << std::string(closed, '\n') << indent << std::string(d + 1, ' ') << std::string(closed, '[');
        else os << ' ';
    }
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
    if (!t.defined()) return os << "tensor(undefined)";
    os << "tensor(";
    visit_any(t.array(), [&](const auto& a) { print_values(os, a); });
    if (t.dtype() == Dtype::float64) os << ", dtype=float64";
    if (t.grad_fn()) os << ", grad_fn=<" << t.grad_fn()->name() << ">";
    else if (t.requires_grad()) os << ", requires_grad=true";
    return os << ')';
}

}  // namespace xgrad
