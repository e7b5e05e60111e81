#include "autograd/grad_mode.hpp"

#include "autograd/anomaly.hpp"

namespace xgrad {
namespace {
thread_local bool grad_enabled = true;
thread_local bool anomaly_enabled = false;
thread_local bool profiling_enabled = false;
}

bool is_grad_enabled() { return grad_enabled; }
void set_grad_enabled(bool enabled) { grad_enabled = enabled; }

bool is_anomaly_enabled() { return anomaly_enabled; }
DetectAnomalyGuard::DetectAnomalyGuard() : previous_(anomaly_enabled) { anomaly_enabled = true; }
DetectAnomalyGuard::~DetectAnomalyGuard() { anomaly_enabled = previous_; }

bool is_profiling_enabled() { return profiling_enabled; }
ProfileGuard::ProfileGuard() : previous_(profiling_enabled) { profiling_enabled = true; }
ProfileGuard::~ProfileGuard() { profiling_enabled = previous_; }

}  // namespace xgrad
