// The graph: recording a Node per op (apply), the backward pass, and freeing the graph.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>

#include "autograd/anomaly.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"

namespace xgrad {

using detail::TensorAccess;
using detail::TensorImpl;

namespace {

// Drops a node's operands without recursion: an operand that dies here hands its own grad_fn to
// a thread-local list that the outermost call empties in a loop, so destroying a chain of
// 100,000 ops uses constant stack.
void drop_inputs(std::vector<Tensor>& inputs) {
    thread_local std::vector<std::shared_ptr<Node>> orphans;
    thread_local bool draining = false;
    for (auto& t : inputs) {
        auto& impl = const_cast<std::shared_ptr<TensorImpl>&>(TensorAccess::impl(t));
        if (impl && impl.use_count() == 1 && impl->grad_fn) orphans.push_back(std::move(impl->grad_fn));
    }
    inputs.clear();
    if (draining) return;
    draining = true;
    while (!orphans.empty()) {
        std::shared_ptr<Node> next = std::move(orphans.back());
        orphans.pop_back();
        next.reset();  // its destructor may push more orphans
    }
    draining = false;
}

// acc += g, elementwise; both have one shape and dtype (checked by the caller).
void add_into(Array& acc, const Array& g) {
    std::visit([&](auto& a) {
        using T = typename std::decay_t<decltype(a)>::value_type;
        const T* src = get<T>(g).data();
        T* dst = a.data();
        for (std::size_t i = 0, n = a.size(); i < n; ++i) dst[i] += src[i];
    }, acc);
}

void accumulate(std::optional<Array>& slot, Array&& g) {
    if (slot) add_into(*slot, g);
    else slot.emplace(std::move(g));
}

std::string operand_desc(const Array& a) {
    return std::string(dtype_name(dtype_of_array(a))) + " " + shape_str(shape_of(a));
}

thread_local std::uint64_t next_sequence_nr = 0;
thread_local std::vector<std::shared_ptr<const Scope>> scopes;

// Flat index of the first NaN or Inf in `a`, or nullopt.
std::optional<std::size_t> first_non_finite(const Array& a) {
    return std::visit([](const auto& x) -> std::optional<std::size_t> {
        for (std::size_t i = 0; i < x.size(); ++i)
            if (!std::isfinite(x.data()[i])) return i;
        return std::nullopt;
    }, a);
}

// "leaf 'w' float32 (3, 2)" or "'matmul' #4 float32 (4, 2)": where an operand comes from.
std::string provenance(const Tensor& t) {
    std::string desc = operand_desc(t.array());
    if (!t.grad_fn()) return (t.name().empty() ? "leaf " : "leaf '" + t.name() + "' ") + desc;
    return "'" + t.grad_fn()->name() + "' #" + std::to_string(t.grad_fn()->sequence_nr()) + " " + desc;
}

std::string operands_desc(const std::vector<Tensor>& inputs) {
    std::string s;
    for (std::size_t i = 0; i < inputs.size(); ++i) s += (i ? ", " : "") + provenance(inputs[i]);
    return s;
}

[[noreturn]] void throw_anomaly(const std::string& what, const std::string& op, std::uint64_t nr, const Array& bad,
                                std::size_t index, const std::vector<Tensor>& inputs) {
    const double v = std::visit([&](const auto& x) { return static_cast<double>(x.data()[index]); }, bad);
    throw std::runtime_error("anomaly: " + what + " of '" + op + "' (op #" + std::to_string(nr) + ") produced " +
                             (std::isnan(v) ? "NaN" : "Inf") + " at flat index " + std::to_string(index) + " of " +
                             operand_desc(bad) + "; operands: " + operands_desc(inputs));
}

}  // namespace

Node::Node(std::string name, std::vector<Tensor> inputs, ForwardFn forward, BackwardFn backward)
    : name_(std::move(name)), sequence_nr_(++next_sequence_nr), inputs_(std::move(inputs)), forward_(std::move(forward)),
      backward_(std::move(backward)), scope_(scopes.empty() ? nullptr : scopes.back()) {}

ScopeGuard::ScopeGuard(const std::string& name, const std::string& description) {
    const std::string full = scopes.empty() ? name : scopes.back()->name + "." + name;
    scopes.push_back(std::make_shared<const Scope>(Scope{full, full + ": " + description}));
}

ScopeGuard::~ScopeGuard() { scopes.pop_back(); }

Node::~Node() { drop_inputs(inputs_); }

void Node::release() {
    drop_inputs(inputs_);
    forward_ = nullptr;
    backward_ = nullptr;
    released_ = true;
}

Tensor apply(std::string name, std::vector<Tensor> inputs, ForwardFn forward, BackwardFn backward) {
    // Operand pointers on the stack for the usual one to four operands (one allocation less per op).
    std::array<const Array*, 4> few;
    std::vector<const Array*> many(inputs.size() > few.size() ? inputs.size() : 0);
    const Array** arrays = many.empty() ? few.data() : many.data();
    bool record = false;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const Tensor& t = inputs[i];
        if (!t.defined()) throw std::invalid_argument(name + ": operand " + std::to_string(i) + " is an undefined tensor");
        arrays[i] = &t.array();
        record = record || t.requires_grad();
    }
    for (std::size_t i = 1; i < inputs.size(); ++i)
        if (inputs[i].dtype() != inputs[0].dtype())
            throw DtypeError(name + ": operands have different dtypes: " + operand_desc(*arrays[0]) + " vs " +
                             operand_desc(*arrays[i]) + " (convert one with .to())");
    const bool timed = is_profiling_enabled();
    const auto started = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    Array out = forward(Inputs({arrays, inputs.size()}));
    const double seconds = timed ? std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() : 0;
    if (is_anomaly_enabled())
        if (auto bad = first_non_finite(out)) throw_anomaly("forward", name, next_sequence_nr + 1, out, *bad, inputs);
    if (!record || !is_grad_enabled()) return Tensor(std::move(out));
    auto node = std::make_shared<Node>(std::move(name), std::move(inputs), std::move(forward), std::move(backward));
    if (timed) node->set_forward_seconds(seconds);
    auto impl = std::make_shared<TensorImpl>(std::move(out), true);
    impl->grad_fn = std::move(node);
    return TensorAccess::wrap(std::move(impl));
}

namespace {

// Each tensor's position in a list, keyed by address: open addressing with linear probing. A
// backward of a small graph spent a tenth of its time in std::unordered_map's per-entry
// allocations; this allocates once per doubling.
class TensorIndex {
public:
    TensorIndex() : slots_(16) {}

    // Adds `key` at position `value` unless present; true if added.
    bool insert(const TensorImpl* key, std::size_t value) {
        if (2 * (size_ + 1) > slots_.size()) grow();
        Slot& s = find(key);
        if (s.key) return false;
        s = {key, value};
        ++size_;
        return true;
    }
    // Empties the table, keeping a small one's memory (a huge one is given back).
    void clear() {
        if (slots_.size() > 4096) std::vector<Slot>(16).swap(slots_);
        else std::fill(slots_.begin(), slots_.end(), Slot{});
        size_ = 0;
    }
    // Sets the position of a present key.
    void set(const TensorImpl* key, std::size_t value) { find(key).value = value; }
    // The position of `key`, which must be present.
    std::size_t at(const TensorImpl* key) const {
        const Slot& s = const_cast<TensorIndex*>(this)->find(key);
        if (!s.key) throw std::logic_error("backward: a gradient reached a tensor outside the sorted graph");
        return s.value;
    }

private:
    struct Slot {
        const TensorImpl* key = nullptr;
        std::size_t value = 0;
    };

    Slot& find(const TensorImpl* key) {
        const std::size_t mask = slots_.size() - 1;
        // Fibonacci hashing of the address; heap addresses differ in their middle bits.
        std::size_t i = (reinterpret_cast<std::uintptr_t>(key) * 0x9E3779B97F4A7C15ull) >> 20 & mask;
        while (slots_[i].key && slots_[i].key != key) i = (i + 1) & mask;
        return slots_[i];
    }
    void grow() {
        std::vector<Slot> old(slots_.size() * 2);
        old.swap(slots_);
        size_ = 0;
        for (const Slot& s : old)
            if (s.key) {
                find(s.key) = s;
                ++size_;
            }
    }

    std::vector<Slot> slots_;  // a power of two, at most half full
    std::size_t size_ = 0;
};

struct Frame {
    std::shared_ptr<TensorImpl> impl;
    std::size_t next;
};

// Every tensor the root depends on through tensors that require grad, in an order where each
// tensor comes after all the tensors computed from it (reverse topological order, root first),
// into `post`; `index` maps each to its position. `stack` is scratch space.
void sort_graph(const std::shared_ptr<TensorImpl>& root, TensorIndex& index, std::vector<Frame>& stack,
                std::vector<std::shared_ptr<TensorImpl>>& post) {
    stack.push_back({root, 0});
    index.insert(root.get(), 0);
    while (!stack.empty()) {
        Frame& f = stack.back();
        Node* node = f.impl->grad_fn.get();
        if (node && node->released()) {
            stack.clear();
            throw std::runtime_error("backward: trying to backward through the graph a second time: node '" +
                                     node->name() + "' was freed by an earlier backward(); pass "
                                     "{.retain_graph = true} to the first backward() to keep the graph");
        }
        if (node && f.next < node->inputs().size()) {
            const Tensor& in = node->inputs()[f.next++];
            if (in.requires_grad() && index.insert(in.impl(), 0))
                stack.push_back({TensorAccess::impl(in), 0});  // invalidates f; not used after
            continue;
        }
        post.push_back(std::move(f.impl));
        stack.pop_back();
    }
    std::reverse(post.begin(), post.end());
    for (std::size_t i = 0; i < post.size(); ++i) index.set(post[i].get(), i);
}

// The backward pass's working memory, kept per thread between passes: a small graph's backward
// otherwise spends a tenth of its time allocating and growing these. A backward started while
// another runs on the same thread (from inside a backward function) gets fresh ones.
struct Scratch {
    TensorIndex index;
    std::vector<Frame> stack;
    std::vector<std::shared_ptr<TensorImpl>> order;
    std::vector<std::optional<Array>> grads;
    std::vector<const Array*> arrays;

    std::unique_ptr<bool[]> needs;
    std::size_t needs_capacity = 0;
    bool busy = false;

    void clear() {
        grads.clear();
        arrays.clear();
        stack.clear();
        order.clear();
        index.clear();
    }
};

// Lends this thread's Scratch (or a fresh one while it is lent), cleared again on return.
class ScratchLease {
public:
    ScratchLease() : scratch_(shared().busy ? own_.emplace() : shared()) { scratch_.busy = true; }
    ~ScratchLease() {
        scratch_.clear();
        scratch_.busy = false;
    }
    ScratchLease(const ScratchLease&) = delete;
    ScratchLease& operator=(const ScratchLease&) = delete;
    Scratch* operator->() { return &scratch_; }

private:
    static Scratch& shared() {
        thread_local Scratch s;
        return s;
    }
    std::optional<Scratch> own_;
    Scratch& scratch_;
};

}  // namespace

std::vector<std::shared_ptr<Node>> graph_nodes(const Tensor& root) {
    std::vector<std::shared_ptr<Node>> nodes;
    if (!root.requires_grad()) return nodes;
    ScratchLease s;
    sort_graph(TensorAccess::impl(root), s->index, s->stack, s->order);
    for (const auto& impl : s->order)
        if (impl->grad_fn) nodes.push_back(impl->grad_fn);
    return nodes;
}

namespace {

void run_backward(const Tensor& root, Array seed, BackwardOptions options) {
    ScratchLease s;
    TensorIndex& index = s->index;
    auto& order = s->order;
    sort_graph(TensorAccess::impl(root), index, s->stack, order);
    auto& grads = s->grads;
    grads.resize(order.size());
    grads[0].emplace(std::move(seed));

    auto& arrays = s->arrays;
    auto& needs = s->needs;
    std::size_t& needs_capacity = s->needs_capacity;
    for (std::size_t k = 0; k < order.size(); ++k) {
        TensorImpl& impl = *order[k];
        if (!grads[k]) continue;  // no gradient flowed here
        Array& g = *grads[k];  // lent to the backward function (take_grad), then freed
        if (!impl.grad_fn) {
            if (impl.grad) add_into(impl.grad->data, g);
            else impl.grad = std::make_shared<TensorImpl>(std::move(g));
            grads[k].reset();
            continue;
        }
        Node& node = *impl.grad_fn;
        if (options.record_grad_norms) node.set_grad_norm(std::sqrt(sum_of_squares(g)));
        const auto& inputs = node.inputs();
        arrays.clear();
        if (inputs.size() > needs_capacity) needs.reset(new bool[needs_capacity = std::max<std::size_t>(inputs.size(), 4)]);
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            arrays.push_back(&inputs[i].array());
            needs[i] = inputs[i].requires_grad();
        }
        const bool timed = is_profiling_enabled();
        const auto started = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
        Grads in_grads = node.backward()(BackwardArgs{g, Inputs(arrays), impl.data, {needs.get(), inputs.size()}, &g});
        if (timed) node.set_backward_seconds(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        if (in_grads.size() != inputs.size())
            throw std::logic_error("backward of '" + node.name() + "' returned " + std::to_string(in_grads.size()) +
                                   " gradients for " + std::to_string(inputs.size()) + " operands");
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            if (!needs[i] || !in_grads[i]) continue;
            const Array& gi = *in_grads[i];
            if (dtype_of_array(gi) != inputs[i].dtype() || shape_of(gi) != inputs[i].shape())
                throw std::logic_error("backward of '" + node.name() + "' returned a gradient of " + operand_desc(gi) +
                                       " for operand " + std::to_string(i) + " of " + operand_desc(*arrays[i]));
            if (is_anomaly_enabled())
                if (auto bad = first_non_finite(gi))
                    throw_anomaly("backward (gradient for operand " + std::to_string(i) + ")", node.name(),
                                  node.sequence_nr(), gi, *bad, inputs);
            accumulate(grads[index.at(inputs[i].impl())], std::move(*in_grads[i]));
        }
        grads[k].reset();
    }
    if (!options.retain_graph)
        for (const auto& impl : order)
            if (impl->grad_fn) impl->grad_fn->release();
}

}  // namespace

void Tensor::backward(BackwardOptions options) const {
    if (!checked().requires_grad)
        throw std::invalid_argument("backward: tensor does not require grad and has no grad_fn (no input had "
                                    "requires_grad = true, or it was computed under NoGradGuard)");
    if (numel() != 1)
        throw std::invalid_argument("backward: a gradient can be implied only for one-element tensors, got shape " +
                                    shape_str(shape()) + "; pass backward(gradient)");
    Array seed = dispatch(dtype(), [&](auto zero) -> Array {
        using T = decltype(zero);
        return Values<T>(xt::ones<T>(shape()));
    });
    run_backward(*this, std::move(seed), options);
}

void Tensor::backward(const Tensor& gradient, BackwardOptions options) const {
    if (!checked().requires_grad)
        throw std::invalid_argument("backward: tensor does not require grad and has no grad_fn");
    if (gradient.shape() != shape() || gradient.dtype() != dtype())
        throw ShapeError("backward: gradient " + operand_desc(gradient.array()) + " does not match tensor " +
                         operand_desc(array()));
    run_backward(*this, gradient.array(), options);
}

}  // namespace xgrad
