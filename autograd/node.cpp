// Recording: apply runs an op's forward and records a Node; Nodes free their operands iteratively.
#include "autograd/node.hpp"

#include <array>
#include <algorithm>
#include <atomic>
#include <chrono>

#include "autograd/anomaly.hpp"
#include "autograd/grad_mode.hpp"

namespace xgrad {

using detail::TensorAccess;
using detail::TensorImpl;

namespace {

// Drops a node's operands without recursion: an operand dying here hands its grad_fn to a
// thread-local list that the outermost call empties in a loop (constant stack for any chain).
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

thread_local std::uint64_t next_sequence_nr = 0;
thread_local std::vector<std::shared_ptr<const Scope>> scopes;

}  // namespace

Node::Node(std::string name, std::vector<Tensor> inputs, ForwardFn forward, detail::AnyBackwardFn backward)
    : name_(std::move(name)), sequence_nr_(++next_sequence_nr), inputs_(std::move(inputs)), forward_(std::move(forward)),
      backward_(std::move(backward)), scope_(scopes.empty() ? nullptr : scopes.back()) {}

Grads Node::backward(Array&& grad, Inputs in, const Array& out, std::span<const bool> needs,
                     detail::SummedGrads summed) const {
    if (released_) throw std::logic_error("backward of '" + name_ + "': the node was released by an earlier backward");
    if (const auto* owning = std::get_if<detail::OwningBackwardFn>(&backward_))
        return (*owning)(std::move(grad), detail::OwnedGradArgs{in, out, needs, summed});
    return std::get<BackwardFn>(backward_)(BackwardArgs{grad, in, out, needs});
}

void Node::save_versions(std::span<const std::uint32_t> versions) {
    const std::size_t few = std::min(versions.size(), versions_.size());
    std::copy_n(versions.begin(), few, versions_.begin());
    if (versions.size() > few) more_versions_.assign(versions.begin() + static_cast<std::ptrdiff_t>(few), versions.end());
}

ScopeGuard::ScopeGuard(const std::string& name, const std::string& description) {
    const std::string full = scopes.empty() ? name : scopes.back()->name + "." + name;
    scopes.push_back(std::make_shared<const Scope>(Scope{full, full + ": " + description}));
}

ScopeGuard::~ScopeGuard() { scopes.pop_back(); }

Node::~Node() { drop_inputs(inputs_); }

void Node::release() {
    drop_inputs(inputs_);
    forward_ = nullptr;
    backward_ = BackwardFn();
    released_ = true;
}

namespace {

[[noreturn]] void throw_written(const std::string& name, std::size_t i, const Array& operand) {
    throw std::runtime_error(name + ": operand " + std::to_string(i) + " (" + describe(operand) +
                             ") was changed by another thread while this op read it (an optimizer step?); "
                             "train and evaluate one model on one thread, or evaluate a copy");
}

Tensor record(std::string name, std::vector<Tensor> inputs, ForwardFn forward, detail::AnyBackwardFn backward) {
    // Operand pointers on the stack for the usual one to four operands (one allocation less per op).
    std::array<const Array*, 4> few;
    std::array<std::uint32_t, 4> few_versions;
    const bool spill = inputs.size() > few.size();
    std::vector<const Array*> many(spill ? inputs.size() : 0);
    std::vector<std::uint32_t> many_versions(spill ? inputs.size() : 0);
    const Array** arrays = spill ? many.data() : few.data();
    std::uint32_t* versions = spill ? many_versions.data() : few_versions.data();
    bool record = false;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const Tensor& t = inputs[i];
        if (!t.defined()) throw std::invalid_argument(name + ": operand " + std::to_string(i) + " is an undefined tensor");
        arrays[i] = &t.array();
        versions[i] = TensorAccess::impl(t)->version.load(std::memory_order_acquire);
        if (versions[i] & 1) throw_written(name, i, *arrays[i]);
        record = record || t.requires_grad();
    }
    // floating operands share one dtype; int64 and bool ones (indices, masks) never carry a gradient
    std::size_t first_float = inputs.size();
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (!is_floating_point(dtype_of_array(*arrays[i]))) continue;
        if (first_float == inputs.size()) first_float = i;
        else if (dtype_of_array(*arrays[i]) != dtype_of_array(*arrays[first_float]))
            throw DtypeError(name + ": operands have different dtypes: " + describe(*arrays[first_float]) + " vs " +
                             describe(*arrays[i]) + " (convert one with .to())");
    }
    const bool timed = is_profiling_enabled();
    const auto started = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    Array out = naming_out_of_memory([&] { return forward(Inputs({arrays, inputs.size()})); }, [&] {
        std::string operands;
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            if (i) operands += ", ";
            operands += describe(*arrays[i]);
        }
        return name + ": out of memory computing the result of " + operands;
    });
    const double seconds = timed ? std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() : 0;
    // a seqlock's reader: a write that overlapped the forward changed the version (docs/reliability.md)
    std::atomic_thread_fence(std::memory_order_acquire);
    for (std::size_t i = 0; i < inputs.size(); ++i)
        if (TensorAccess::impl(inputs[i])->version.load(std::memory_order_relaxed) != versions[i])
            throw_written(name, i, *arrays[i]);
    if (is_anomaly_enabled()) detail::check_finite("forward", name, next_sequence_nr + 1, out, inputs);
    if (!record || !is_grad_enabled() || !is_floating_point(dtype_of_array(out))) return Tensor(std::move(out));
    auto node = std::make_shared<Node>(std::move(name), std::move(inputs), std::move(forward), std::move(backward));
    if (timed) node->set_forward_seconds(seconds);
    node->save_versions({versions, node->inputs().size()});
    auto impl = std::make_shared<TensorImpl>(std::move(out), true);
    impl->grad_fn = std::move(node);
    return TensorAccess::wrap(std::move(impl));
}

}  // namespace

Tensor apply(std::string name, std::vector<Tensor> inputs, ForwardFn forward, BackwardFn backward) {
    return record(std::move(name), std::move(inputs), std::move(forward), std::move(backward));
}

namespace detail {
Tensor apply_owning(std::string name, std::vector<Tensor> inputs, ForwardFn forward, OwningBackwardFn backward) {
    return record(std::move(name), std::move(inputs), std::move(forward), std::move(backward));
}
}  // namespace detail

}  // namespace xgrad
