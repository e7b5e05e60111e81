#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "autograd/runtime/array.hpp"

namespace xgrad {

class Node;
class TensorIndex;

namespace detail {

struct TensorAccess;
struct GradHooks;

/// What a Tensor handle points to. Owns its values, its gradient and the Node that produced it.
struct TensorImpl {
    explicit TensorImpl(Array&& values, bool requires_grad_flag = false)
        : data(std::move(values)), requires_grad(requires_grad_flag) {}
    ~TensorImpl();
    TensorImpl(const TensorImpl&) = delete;
    TensorImpl& operator=(const TensorImpl&) = delete;

    Array data;
    std::shared_ptr<TensorImpl> grad;  ///< null until a backward pass reaches this leaf
    std::shared_ptr<Node> grad_fn;     ///< null for leaves
    bool requires_grad = false;
    bool retains_grad = false;          ///< a non-leaf that keeps its gradient (Tensor::retain_grad)
    std::unique_ptr<GradHooks> hooks;   ///< null until Tensor::register_hook
    std::string name;
    /// Bumped by 2 on every in-place change of `data`; odd while an optimizer writes it.
    std::atomic<std::uint32_t> version{0};
    /// Adds `by` to the version: a load and a store, as one thread writes a tensor (a seqlock's
    /// single writer needs no locked instruction).
    void bump_version(std::uint32_t by, std::memory_order order = std::memory_order_relaxed) {
        version.store(version.load(std::memory_order_relaxed) + by, order);
    }
};

}  // namespace detail

/// How a factory builds a tensor: `Tensor::zeros({2, 3}, {.requires_grad = true})`.
struct TensorOptions {
    Dtype dtype = Dtype::float32;
    bool requires_grad = false;
};

/// Options of `Tensor::backward`.
struct BackwardOptions {
    bool retain_graph = false;  ///< keep the graph so that backward can run through it again
    /// Store on each node the L2 norm of the gradient reaching its output (Node::grad_norm), for
    /// diagrams; costs one pass over every gradient. Use with retain_graph to draw afterwards.
    bool record_grad_norms = false;
};

/// A cheap, copyable handle to an n-dimensional array of float or double that records the ops
/// applied to it. Copies alias: `Tensor b = a;` shares values and gradient with `a`.
class Tensor {
public:
    /// An undefined tensor (no values); most methods throw on it. `defined()` tells.
    Tensor() = default;
    /// Wraps values; `requires_grad` makes it a leaf that receives a gradient (floating dtypes only:
    /// DtypeError otherwise).
    explicit Tensor(Array values, bool requires_grad = false);
    template <class T>
    explicit Tensor(Values<T> values, bool requires_grad = false)
        : Tensor(Array(std::move(values)), requires_grad) {}
    /// Copies an xt::xarray's values into the tensor's own storage.
    template <class T>
    explicit Tensor(const xt::xarray<T>& values, bool requires_grad = false)
        : Tensor(Array(Values<T>(values)), requires_grad) {}

    /// Tensor of the shape filled with 0 / 1 / `value`.
    static Tensor zeros(const Shape& shape, TensorOptions options = {});
    static Tensor ones(const Shape& shape, TensorOptions options = {});
    static Tensor full(const Shape& shape, double value, TensorOptions options = {});
    /// 1-D tensor start, start + step, ... up to but excluding end; throws if step is 0.
    static Tensor arange(double start, double end, double step = 1.0, TensorOptions options = {});
    static Tensor arange(double end, TensorOptions options = {});
    /// Tensor of the shape from row-major values; throws ShapeError if the counts differ.
    static Tensor from(std::initializer_list<double> values, const Shape& shape, TensorOptions options = {});
    static Tensor from(const std::vector<double>& values, const Shape& shape, TensorOptions options = {});
    static Tensor from(const std::vector<float>& values, const Shape& shape, TensorOptions options = {});
    /// Integers (indices, labels): an int64 tensor unless options name another dtype.
    static Tensor from(const std::vector<std::int64_t>& values, const Shape& shape,
                       TensorOptions options = {.dtype = Dtype::int64});
    /// 0-d tensor holding one value.
    static Tensor scalar(double value, TensorOptions options = {});
    /// Uniform on [0, 1) / standard normal, from the generator seeded by `manual_seed`.
    static Tensor rand(const Shape& shape, TensorOptions options = {});
    static Tensor randn(const Shape& shape, TensorOptions options = {});
    /// Integers drawn uniformly from [low, high), int64 by default (as torch.randint); throws
    /// std::invalid_argument unless low < high.
    static Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape,
                          TensorOptions options = {.dtype = Dtype::int64});

    bool defined() const { return impl_ != nullptr; }
    /// Accessors that return a reference into the tensor return a copy when called on a
    /// temporary (`softmax(x).data<float>()`), whose values die with it: never a dangling one.
    const Shape& shape() const&;
    Shape shape() const&&;
    /// Extent of one dimension; negative counts from the end. Throws std::out_of_range.
    std::size_t size(int dim) const;
    std::size_t dim() const { return shape().size(); }
    std::size_t numel() const;
    Dtype dtype() const;

    /// True for float32 and float64 tensors (the ones that can require a gradient).
    bool is_floating_point() const { return xgrad::is_floating_point(dtype()); }

    /// The values; throws DtypeError if the tensor holds another dtype.
    template <class T>
    const Values<T>& data() const&;
    template <class T>
    Values<T> data() const&&;
    /// The values, writable; does not record anything, but counts as an in-place change (version()),
    /// so a backward through an op that read the old values refuses to run. Not on a temporary.
    template <class T>
    Values<T>& mutable_data() &;
    template <class T>
    Values<T>& mutable_data() && = delete;
    const Array& array() const&;
    Array array() const&&;
    Array& mutable_array() &;
    Array& mutable_array() && = delete;
    /// How many in-place changes the values have had, times 2 (PyTorch's _version); odd while an
    /// optimizer step writes them.
    std::uint32_t version() const;
    /// The only value of a one-element tensor; throws std::invalid_argument otherwise.
    double item() const;
    template <class T>
    T item() const { return static_cast<T>(item()); }

    bool requires_grad() const;
    /// Makes a leaf start (or stop) recording; throws std::invalid_argument on a non-leaf.
    Tensor& requires_grad_(bool on = true);
    /// The accumulated gradient, same shape and dtype; an undefined Tensor (`defined()` is false)
    /// before any backward reached it, as libtorch's.
    Tensor grad() const;
    /// Forgets the accumulated gradient (the next backward starts from none).
    void zero_grad();
    /// Calls `hook(grad)` each time a backward computes this tensor's gradient (a leaf's before
    /// it is added to grad()), in registration order and without recording; a defined tensor it
    /// returns replaces the gradient from there on (same shape and dtype, else the backward throws
    /// std::invalid_argument). `hook` may also return void. Returns a handle for remove_hook.
    /// Throws std::invalid_argument unless this tensor requires grad. A hook must not hold this
    /// tensor's own handle: that would be a reference cycle.
    template <class F>
    unsigned register_hook(F&& hook) const {
        if constexpr (std::is_void_v<std::invoke_result_t<F&, const Tensor&>>)
            return add_hook([h = std::forward<F>(hook)](const Tensor& g) mutable { h(g); return Tensor(); });
        else
            return add_hook(std::function<Tensor(const Tensor&)>(std::forward<F>(hook)));
    }
    /// Removes a hook; throws std::invalid_argument for a handle this tensor does not have.
    void remove_hook(unsigned handle) const;
    /// Makes backward keep this non-leaf tensor's gradient in grad(), accumulated as a leaf's
    /// (nothing to do on a leaf). Throws std::invalid_argument unless it requires grad.
    void retain_grad() const;
    /// True for a non-leaf after retain_grad() (false for leaves, as PyTorch's).
    bool retains_grad() const;
    /// The Node that produced this tensor; null for leaves.
    const std::shared_ptr<Node>& grad_fn() const&;
    std::shared_ptr<Node> grad_fn() const&&;
    /// True for tensors not produced by a recorded op (user-created, or parameters).
    bool is_leaf() const { return grad_fn() == nullptr; }
    /// Optional label, shown by graph diagrams (e.g. "fc1.weight").
    const std::string& name() const&;
    std::string name() const&&;
    Tensor& set_name(std::string name);

    /// Back-propagates from this one-element tensor (seed 1): gradients accumulate into the
    /// leaves. Throws if nothing requires a gradient or the graph was freed by an earlier call.
    void backward(BackwardOptions options = {}) const;
    /// Back-propagates `gradient` (same shape and dtype as this tensor).
    void backward(const Tensor& gradient, BackwardOptions options = {}) const;

    /// Same values, cut from the graph (a new leaf that does not require grad; values copied).
    Tensor detach() const;
    /// Converted to `dtype`, recorded (the gradient converts back); returns *this if equal.
    Tensor to(Dtype dtype) const;

    /// Method forms of the ops in ops/, defined there beside them (see there for shapes and errors).
    Tensor sum() const;
    Tensor sum(int axis, bool keepdims = false) const;
    Tensor sum(const std::vector<int>& axes, bool keepdims = false) const;
    Tensor mean() const;
    Tensor mean(int axis, bool keepdims = false) const;
    Tensor mean(const std::vector<int>& axes, bool keepdims = false) const;
    Tensor max() const;
    Tensor max(int axis, bool keepdims = false) const;
    Tensor argmax() const;
    Tensor argmax(int axis, bool keepdims = false) const;
    Tensor reshape(const std::vector<std::int64_t>& shape) const;
    Tensor flatten(int start_dim = 0, int end_dim = -1) const;
    Tensor unsqueeze(int dim) const;
    Tensor squeeze() const;
    Tensor squeeze(int dim) const;
    Tensor permute(const std::vector<int>& dims) const;
    Tensor transpose(int dim0, int dim1) const;
    Tensor expand(const std::vector<std::int64_t>& shape) const;
    /// Transpose of a tensor of at most 2 dimensions.
    Tensor T() const;
    /// Python-style indexing, as libtorch's: `x.index({Slice(1, 3), 0})` is x[1:3, 0] (ops/indexing.hpp).
    Tensor index(std::initializer_list<TensorIndex> indices) const;

    /// True if both handles point to the same tensor.
    bool is_same(const Tensor& other) const { return impl_ == other.impl_; }
    detail::TensorImpl* impl() const { return impl_.get(); }

private:
    explicit Tensor(std::shared_ptr<detail::TensorImpl> impl) : impl_(std::move(impl)) {}
    detail::TensorImpl& checked() const;
    unsigned add_hook(std::function<Tensor(const Tensor&)> hook) const;
    friend struct detail::TensorAccess;

    std::shared_ptr<detail::TensorImpl> impl_;
};

/// Tensors with names, in order (a model's parameters, an optimizer's state).
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

namespace detail {
/// Engine-side access to a tensor's shared implementation.
/// For its lifetime, marks a tensor as being written in place (its version odd, then 2 higher): an
/// op that reads it on another thread meanwhile throws instead of computing from torn values.
/// Optimizers update parameters inside one.
class WriteScope {
public:
    explicit WriteScope(Tensor& t);
    ~WriteScope();
    WriteScope(const WriteScope&) = delete;
    WriteScope& operator=(const WriteScope&) = delete;
    Array& array() { return impl_.data; }

private:
    TensorImpl& impl_;
};

/// A tensor's gradient hooks, by handle (Tensor::register_hook).
struct GradHooks {
    std::vector<std::pair<unsigned, std::function<Tensor(const Tensor&)>>> list;
    unsigned next = 0;
};

struct TensorAccess {
    static const std::shared_ptr<TensorImpl>& impl(const Tensor& t) { return t.impl_; }
    static Tensor wrap(std::shared_ptr<TensorImpl> impl) { return Tensor(std::move(impl)); }
};
}  // namespace detail

/// "float32 (3, 2)": the dtype and shape, as messages name a tensor. Throws on an undefined one.
std::string describe(const Tensor& t);

/// Prints values, dtype and grad_fn, in the manner of PyTorch: `tensor([1., 2.], requires_grad)`.
std::ostream& operator<<(std::ostream& os, const Tensor& t);

extern template const Values<float>& Tensor::data<float>() const&;
extern template const Values<double>& Tensor::data<double>() const&;
extern template const Values<std::int64_t>& Tensor::data<std::int64_t>() const&;
extern template const Values<bool>& Tensor::data<bool>() const&;
extern template Values<float> Tensor::data<float>() const&&;
extern template Values<double> Tensor::data<double>() const&&;
extern template Values<std::int64_t> Tensor::data<std::int64_t>() const&&;
extern template Values<bool> Tensor::data<bool>() const&&;
extern template Values<float>& Tensor::mutable_data<float>() &;
extern template Values<double>& Tensor::mutable_data<double>() &;
extern template Values<std::int64_t>& Tensor::mutable_data<std::int64_t>() &;
extern template Values<bool>& Tensor::mutable_data<bool>() &;

}  // namespace xgrad
