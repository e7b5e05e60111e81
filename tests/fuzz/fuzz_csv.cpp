// libFuzzer target for the CSV reader: any input either reads or throws std::runtime_error.
#include "mem_file.hpp"
#include "nn/data/csv.hpp"

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    MemFile file(data, size);
    try {
        const auto set = xgrad::data::read_csv(file.path(), "label");
        if (set.size() == 0 || set.inputs.shape()[0] != set.size()) __builtin_trap();
    } catch (const std::runtime_error&) {
    }
    return 0;
}
