#pragma once
// The fuzz input as a file the readers can open by path, without touching the disk: an
// anonymous memory file (memfd) reached through /proc/self/fd.

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

class MemFile {
public:
    MemFile(const std::uint8_t* data, std::size_t size) : fd_(memfd_create("xgrad-fuzz", MFD_CLOEXEC)) {
        if (fd_ < 0) throw std::logic_error("memfd_create failed");
        for (std::size_t done = 0; done < size;) {
            const ssize_t n = ::write(fd_, data + done, size - done);
            if (n <= 0) throw std::logic_error("write to memfd failed");
            done += static_cast<std::size_t>(n);
        }
    }
    MemFile(const MemFile&) = delete;
    MemFile& operator=(const MemFile&) = delete;
    ~MemFile() { ::close(fd_); }

    std::filesystem::path path() const { return "/proc/self/fd/" + std::to_string(fd_); }

private:
    int fd_;
};
