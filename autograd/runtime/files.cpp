#include "autograd/runtime/files.hpp"

#include <fstream>
#include <stdexcept>
#include <string>

namespace xgrad {

void remove_quietly(const std::filesystem::path& path) noexcept {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
}

void write_file_atomically(const std::filesystem::path& path, std::string_view text, std::string_view who) {
    const auto tmp = std::filesystem::path(path.string() + ".tmp");
    {
        std::ofstream f(tmp, std::ios::binary);
        f << text;
        if (!f.flush()) {
            f.close();
            remove_quietly(tmp);
            throw std::runtime_error(std::string(who) + ": cannot write " + path.string() +
                                     " (read-only, full or missing directory)");
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        remove_quietly(tmp);
        throw std::runtime_error(std::string(who) + ": cannot rename " + tmp.string() + " to " + path.string() + " (" +
                                 ec.message() + ")");
    }
}

}  // namespace xgrad
