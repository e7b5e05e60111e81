#pragma once

namespace xgrad {

/// True when ops record the graph (the default). The flag is per thread.
bool is_grad_enabled();
/// Turns recording on or off for the calling thread.
void set_grad_enabled(bool enabled);

/// Turns recording off for its lifetime on this thread, then restores the previous state.
class NoGradGuard {
public:
    NoGradGuard() : previous_(is_grad_enabled()) { set_grad_enabled(false); }
    ~NoGradGuard() { set_grad_enabled(previous_); }
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;

private:
    bool previous_;
};

}  // namespace xgrad
