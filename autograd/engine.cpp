// The backward pass: sort the graph, pull each gradient through its node, accumulate, free.
#include "autograd/engine.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string_view>

#include "autograd/anomaly.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/runtime/vector_clones.hpp"

namespace xgrad {

using detail::TensorAccess;
using detail::TensorImpl;

namespace {

// dst[i] += src[i], in the vector copies.
template <class T>
XGRAD_VECTOR_CLONES void add_span(T* __restrict dst, const T* __restrict src, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) dst[i] += src[i];
}

// acc += g, elementwise; both have one shape and dtype (checked by the caller).
void add_into(Array& acc, const Array& g) {
    visit_float(acc, [&](auto& a) {
        using T = typename std::decay_t<decltype(a)>::value_type;
        add_span(a.data(), get<T>(g).data(), a.size());
    });
}

void accumulate(std::optional<Array>& slot, Array&& g) {
    if (slot) add_into(*slot, g);
    else slot.emplace(std::move(g));
}

}  // namespace

namespace {

// Each tensor's position in a list, keyed by address: open addressing with linear probing, one
// allocation per doubling where std::unordered_map made one per entry.
class TensorPositions {
public:
    TensorPositions() : slots_(16) {}

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
        const Slot& s = const_cast<TensorPositions*>(this)->find(key);
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

// Into `post`: every tensor the root depends on through tensors that require grad, each after
// all tensors computed from it (root first); `index` maps each to its position there.
void sort_graph(const std::shared_ptr<TensorImpl>& root, TensorPositions& index, std::vector<Frame>& stack,
                std::vector<std::shared_ptr<TensorImpl>>& post, std::string_view caller) {
    stack.push_back({root, 0});
    index.insert(root.get(), 0);
    while (!stack.empty()) {
        Frame& f = stack.back();
        Node* node = f.impl->grad_fn.get();
        if (node && node->released()) {
            stack.clear();
            if (caller != "backward")
                throw std::runtime_error(std::string(caller) + ": the graph through '" + node->name() +
                                         "' was freed by backward(); use it before, or pass "
                                         "{.retain_graph = true} to backward()");
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

// The backward pass's working memory, kept per thread between passes (docs/performance.md, "Copies
// and allocations per op"); a backward nested in a backward function gets its own.
struct Scratch {
    TensorPositions index;
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

// Runs a tensor's gradient hooks on its gradient g (Tensor::register_hook), without recording; a
// defined result replaces g. g is lent to the hooks as a tensor and taken back unless a hook kept it.
void run_hooks(const TensorImpl& impl, Array& g) {
    NoGradGuard no_grad;
    Tensor grad = TensorAccess::wrap(std::make_shared<TensorImpl>(std::move(g)));
    const auto hooks = impl.hooks->list;  // a copy: a hook may add or remove hooks
    for (const auto& [handle, hook] : hooks) {
        Tensor replaced = hook(grad);
        if (!replaced.defined()) continue;
        if (replaced.dtype() != dtype_of_array(impl.data) || replaced.shape() != shape_of(impl.data))
            throw std::invalid_argument("backward: hook " + std::to_string(handle) + " returned a gradient of " +
                                        describe(replaced) + " for a tensor of " + describe(impl.data) +
                                        " (a hook's result must keep the gradient's shape and dtype)");
        grad = std::move(replaced);
    }
    const auto& held = TensorAccess::impl(grad);
    if (held.use_count() == 1) g = std::move(held->data);
    else g = held->data;  // a hook kept it, or returned a tensor of the user's: copied
}

// Where a node's operands' gradients are being summed, for OwnedGradArgs::summed.
struct SummedLookup {
    std::vector<std::optional<Array>>& grads;
    const TensorPositions& index;
    const std::vector<Tensor>& inputs;
    std::span<const bool> needs;

    static Array* find(const void* context, std::size_t operand) {
        const auto& self = *static_cast<const SummedLookup*>(context);
        if (operand >= self.inputs.size() || !self.needs[operand]) return nullptr;
        std::optional<Array>& slot = self.grads[self.index.at(self.inputs[operand].impl())];
        return slot ? &*slot : nullptr;
    }
};

// PyTorch's version-counter error: a value a backward needs changed after the op read it.
[[noreturn]] void throw_modified(const Node& node, const std::string& which, const Array& values, std::uint32_t now,
                                 std::uint32_t then) {
    throw std::runtime_error("backward: a tensor needed for gradient computation has been modified by an inplace "
                             "operation: " + which + " of '" + node.name() + "' (op #" +
                             std::to_string(node.sequence_nr()) + "), " + describe(values) + ", is at version " +
                             std::to_string(now) + "; expected version " + std::to_string(then) +
                             " (change it after backward, or change a copy)");
}

}  // namespace

std::vector<std::shared_ptr<Node>> graph_nodes(const Tensor& root) { return detail::graph_nodes(root, "graph_nodes"); }

namespace detail {

std::vector<std::shared_ptr<Node>> graph_nodes(const Tensor& root, std::string_view caller) {
    std::vector<std::shared_ptr<Node>> nodes;
    if (!root.requires_grad()) return nodes;
    ScratchLease s;
    sort_graph(TensorAccess::impl(root), s->index, s->stack, s->order, caller);
    for (const auto& impl : s->order)
        if (impl->grad_fn) nodes.push_back(impl->grad_fn);
    return nodes;
}

void run_backward(const Tensor& root, Array&& seed, BackwardOptions options) {
    ScratchLease s;
    TensorPositions& index = s->index;
    auto& order = s->order;
    sort_graph(TensorAccess::impl(root), index, s->stack, order, "backward");
    auto& grads = s->grads;
    grads.resize(order.size());
    grads[0].emplace(std::move(seed));

    auto& arrays = s->arrays;
    auto& needs = s->needs;
    std::size_t& needs_capacity = s->needs_capacity;
    const bool anomaly = is_anomaly_enabled();
    for (std::size_t k = 0; k < order.size(); ++k) {
        TensorImpl& impl = *order[k];
        if (!grads[k]) continue;  // no gradient flowed here
        Array& g = *grads[k];
        if (impl.hooks && !impl.hooks->list.empty()) run_hooks(impl, g);
        if (!impl.grad_fn || impl.retains_grad) {  // a retained one copied: g goes on to the node's backward
            if (impl.grad) add_into(impl.grad->data, g);
            else impl.grad = std::make_shared<TensorImpl>(impl.grad_fn ? Array(g) : std::move(g));
        }
        if (!impl.grad_fn) {
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
            if (const auto v = inputs[i].version(); v != node.saved_version(i))
                throw_modified(node, "operand " + std::to_string(i), *arrays.back(), v, node.saved_version(i));
        }
        if (const auto v = impl.version.load(std::memory_order_acquire); v != 0) throw_modified(node, "the output", impl.data, v, 0);
        const bool timed = is_profiling_enabled();
        const auto started = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
        // g is needed no more: the node's backward may reuse its buffer (Node::backward)
        // an op may add its part to what an operand has summed so far (narrow, select: a block of it)
        // instead of a full-size gradient; not under anomaly mode, which checks each gradient
        const SummedLookup lookup{grads, index, inputs, {needs.get(), inputs.size()}};
        const detail::SummedGrads summed{anomaly ? nullptr : &SummedLookup::find, &lookup};
        Grads in_grads = node.backward(std::move(g), Inputs(arrays), impl.data, {needs.get(), inputs.size()}, summed);
        if (timed) node.set_backward_seconds(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        if (in_grads.size() != inputs.size())
            throw std::logic_error("backward of '" + node.name() + "' returned " + std::to_string(in_grads.size()) +
                                   " gradients for " + std::to_string(inputs.size()) + " operands");
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            if (!needs[i] || !in_grads[i]) continue;
            const Array& gi = *in_grads[i];
            if (dtype_of_array(gi) != inputs[i].dtype() || shape_of(gi) != inputs[i].shape())
                throw std::logic_error("backward of '" + node.name() + "' returned a gradient of " + describe(gi) +
                                       " for operand " + std::to_string(i) + " of " + describe(*arrays[i]));
            if (anomaly)
                check_finite("backward (gradient for operand " + std::to_string(i) + ")", node.name(),
                             node.sequence_nr(), gi, inputs);
            accumulate(grads[index.at(inputs[i].impl())], std::move(*in_grads[i]));
        }
        grads[k].reset();
    }
    if (!options.retain_graph)
        for (const auto& impl : order)
            if (impl->grad_fn) impl->grad_fn->release();
}

}  // namespace detail

}  // namespace xgrad
