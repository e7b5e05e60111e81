#include "autograd/runtime/process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

extern char** environ;

namespace xgrad {

namespace {

[[noreturn]] void fail(const std::string& program, const std::string& what, int err) {
    throw std::runtime_error("run_program: " + what + " " + program + ": " + std::strerror(err));
}

}  // namespace

std::optional<int> run_program(const std::vector<std::string>& args, const RunOptions& options) {
    if (args.empty() || args[0].empty()) throw std::invalid_argument("run_program: no program named");
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::unique_ptr<posix_spawn_file_actions_t, int (*)(posix_spawn_file_actions_t*)> cleanup(
        &actions, posix_spawn_file_actions_destroy);
    if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
    if (options.quiet) {
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    }
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    if (rc == ENOENT) return std::nullopt;
    if (rc != 0) fail(args[0], "cannot start", rc);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) fail(args[0], "lost", errno);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

}  // namespace xgrad
