#include "autograd/runtime/errors.hpp"

namespace xgrad {

std::string problems_message(std::string_view what, const std::vector<std::string>& problems) {
    std::string msg(what);
    for (const auto& p : problems) msg += "\n  " + p;
    return msg;
}

}  // namespace xgrad
