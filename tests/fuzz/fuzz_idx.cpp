// libFuzzer target for the IDX reader (raw or gzip): any input either reads or throws
// std::runtime_error; a crash, a sanitizer report, a leak or a huge allocation is a bug.
#include "mem_file.hpp"
#include "nn/data/idx.hpp"

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    MemFile file(data, size);
    try {
        const auto idx = xgrad::data::read_idx(file.path());
        std::size_t total = 1;
        for (auto d : idx.dims) total *= d;
        if (total != idx.bytes.size()) __builtin_trap();  // accepted, but the data disagrees with the header
    } catch (const std::runtime_error&) {
    }
    return 0;
}
