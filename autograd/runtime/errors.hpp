#pragma once
// The errors xgrad throws for what a user passed, and the one way a list of problems is reported.

#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace xgrad {

/// Thrown for operands whose shapes an op cannot take; the message names the op and the shapes.
class ShapeError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

/// Thrown for operands whose dtypes an op cannot combine.
class DtypeError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

/// A std::bad_alloc whose message says which op could not allocate what.
class OutOfMemory : public std::bad_alloc {
public:
    explicit OutOfMemory(std::string message) : message_(std::move(message)) {}
    const char* what() const noexcept override { return message_.c_str(); }

private:
    std::string message_;
};

/// "<what>\n  <problem>\n  <problem>...": every problem found, one per line.
std::string problems_message(std::string_view what, const std::vector<std::string>& problems);

/// Throws E(problems_message(what, problems)) unless `problems` is empty: checks that list every
/// problem before refusing (a checkpoint, a state dict) report through this.
template <class E>
void throw_problems(std::string_view what, const std::vector<std::string>& problems) {
    if (!problems.empty()) throw E(problems_message(what, problems));
}

}  // namespace xgrad
