#pragma once
// Writing files so that nothing is lost: a temporary name beside the target, then a rename.

#include <filesystem>
#include <string_view>

namespace xgrad {

/// Writes `text` to "<path>.tmp", then renames it over `path`: a reader sees the old file or the
/// new one, never a part. Throws std::runtime_error "<who>: cannot write <path> (...)" and leaves
/// no temporary behind.
void write_file_atomically(const std::filesystem::path& path, std::string_view text, std::string_view who);

/// Removes a file, ignoring any failure: a failed save's temporary, whose save's own error is the
/// one to report.
void remove_quietly(const std::filesystem::path& path) noexcept;

}  // namespace xgrad
