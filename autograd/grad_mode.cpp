#include "autograd/grad_mode.hpp"

#include "autograd/anomaly.hpp"

namespace xgrad {
namespace {
thread_local bool grad_enabled = true;
thread_local bool anomaly_enabled = false;
}

bool is_grad_enabled() { return grad_enabled; }
void set_grad_enabled(bool enabled) { grad_enabled = enabled; }

bool is_anomaly_enabled() { return anomaly_enabled; }
DetectAnomalyGuard::DetectAnomalyGuard() : previous_(anomaly_enabled) { anomaly_enabled = true; }
DetectAnomalyGuard::~DetectAnomalyGuard() { anomaly_enabled = previous_; }

}  // namespace xgrad
