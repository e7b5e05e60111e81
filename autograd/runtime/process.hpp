#pragma once
// Running a helper program (Graphviz's dot, gnuplot) without a shell: paths are arguments.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace xgrad {

/// Options of run_program.
struct RunOptions {
    std::filesystem::path cwd;  ///< directory the program runs in; empty: this process's
    bool quiet = false;         ///< send its stdout and stderr to /dev/null
};

/// Runs argv[0], found on the PATH, with argv as its arguments (no shell ever parses them) and
/// waits for it. Returns its exit status (128 + the signal if one killed it), or nullopt when no
/// such program is installed; throws std::runtime_error when it cannot be started.
std::optional<int> run_program(const std::vector<std::string>& argv, const RunOptions& options = {});

}  // namespace xgrad
