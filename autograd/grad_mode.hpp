#pragma once

namespace xgrad {

namespace detail {
/// The thread-local switch behind NoGradGuard.
bool& grad_flag();

/// Sets a thread-local switch for its lifetime, then restores the previous value.
class FlagGuard {
public:
    FlagGuard(bool& flag, bool value) : flag_(flag), previous_(flag) { flag_ = value; }
    ~FlagGuard() { flag_ = previous_; }
    FlagGuard(const FlagGuard&) = delete;
    FlagGuard& operator=(const FlagGuard&) = delete;

private:
    bool& flag_;
    bool previous_;
};
}  // namespace detail

/// True when ops record the graph (the default). The flag is per thread.
bool is_grad_enabled();
/// Turns recording on or off for the calling thread.
void set_grad_enabled(bool enabled);

/// Turns recording off for its lifetime on this thread, then restores the previous state.
class NoGradGuard : detail::FlagGuard {
public:
    NoGradGuard() : FlagGuard(detail::grad_flag(), false) {}
};

}  // namespace xgrad
