#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "autograd/grad_mode.hpp"
#include "autograd/tensor.hpp"

namespace xgrad {

namespace detail {
/// The thread-local switches behind the guards below.
bool& anomaly_flag();
bool& profiling_flag();
/// Throws std::runtime_error naming `what` of op `op` (#nr) and its operands if `values` holds a
/// NaN or an Inf; returns otherwise.
void check_finite(const std::string& what, const std::string& op, std::uint64_t nr, const Array& values,
                  const std::vector<Tensor>& inputs);
}  // namespace detail

/// True while anomaly detection is on for this thread.
bool is_anomaly_enabled();

/// Turns anomaly detection on for its lifetime on this thread (PyTorch's DetectAnomalyGuard):
/// the first op whose forward produces a NaN or Inf, or whose backward returns one, throws
/// std::runtime_error naming the op, its place in the graph and its operands. It costs one
/// pass over every output and gradient, so it is off by default.
class DetectAnomalyGuard : detail::FlagGuard {
public:
    DetectAnomalyGuard() : FlagGuard(detail::anomaly_flag(), true) {}
};

/// True while op timing is on for this thread.
bool is_profiling_enabled();

/// Times every op's forward and backward on this thread while alive, onto the nodes
/// (Node::forward_seconds, backward_seconds; DotOptions::show_times). Off by default: a clock read per op.
class ProfileGuard : detail::FlagGuard {
public:
    ProfileGuard() : FlagGuard(detail::profiling_flag(), true) {}
};

}  // namespace xgrad
