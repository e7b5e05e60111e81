// Runs the random tensor programs of tests/ops/differential.py with xgrad in float64 and compares
// every output and every input's gradient with PyTorch's to 1e-10 relative. Prints each program
// that differs (its ops, the first element that differs) and exits 1 if any does.
//   usage: xgrad_differential PROGRAMS_FILE
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "xgrad.hpp"

using namespace xgrad;

namespace {

std::vector<double> numbers(std::istringstream& in) {
    std::vector<double> v;
    for (std::string t; in >> t;) v.push_back(std::strtod(t.c_str(), nullptr));
    return v;
}

std::vector<int> ints(const std::vector<std::string>& words, std::size_t from) {
    std::vector<int> v;
    for (std::size_t i = from; i < words.size(); ++i) v.push_back(std::stoi(words[i]));
    return v;
}

using Vars = std::map<std::string, Tensor>;

// One op of the program: its name, then variable names and integers, as differential.py writes.
Tensor run_op(const std::vector<std::string>& w, const Vars& vars) {
    const std::string& op = w[2];
    auto arg = [&](std::size_t i) { return vars.at(w[i]); };
    auto num = [&](std::size_t i) { return std::stoi(w[i]); };
    static const std::map<std::string, std::function<Tensor(const Tensor&)>> unary = {
        {"sin", [](const Tensor& x) { return sin(x); }},
        {"cos", [](const Tensor& x) { return cos(x); }},
        {"tanh", [](const Tensor& x) { return tanh(x); }},
        {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
        {"square", [](const Tensor& x) { return square(x); }},
        {"neg", [](const Tensor& x) { return -x; }},
        {"exp_tanh", [](const Tensor& x) { return exp(tanh(x)); }},
        {"abs_plus", [](const Tensor& x) { return abs(x) + 0.1; }},
        {"clamp", [](const Tensor& x) { return clamp(x, -0.8, 0.9); }},
        {"gelu", [](const Tensor& x) { return gelu(x); }},
        {"relu_shift", [](const Tensor& x) { return relu(x - 0.05); }},
        {"log_softplus", [](const Tensor& x) { return log(softplus(x)); }},
        {"squeeze", [](const Tensor& x) { return squeeze(x); }},
    };
    static const std::map<std::string, std::function<Tensor(const Tensor&, const Tensor&)>> binary = {
        {"add", [](const Tensor& a, const Tensor& b) { return a + b; }},
        {"sub", [](const Tensor& a, const Tensor& b) { return a - b; }},
        {"mul", [](const Tensor& a, const Tensor& b) { return a * b; }},
        {"div_safe", [](const Tensor& a, const Tensor& b) { return a / (1.5 + sigmoid(b)); }},
        {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }},
        {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }},
        {"where_gt", [](const Tensor& a, const Tensor& b) { return where(a > b, a, b * 2.0); }},
        {"pow_safe", [](const Tensor& a, const Tensor& b) { return pow(sigmoid(a) + 0.5, b); }},
        {"matmul", [](const Tensor& a, const Tensor& b) { return matmul(a, b); }},
    };
    if (auto f = unary.find(op); f != unary.end()) return f->second(arg(3));
    if (auto f = binary.find(op); f != binary.end()) return f->second(arg(3), arg(4));
    if (op == "transpose") return transpose(arg(3), num(4), num(5));
    if (op == "permute") return permute(arg(3), ints(w, 4));
    if (op == "flatten") return flatten(arg(3), num(4), num(5));
    if (op == "unsqueeze") return unsqueeze(arg(3), num(4));
    if (op == "repeat") {
        std::vector<std::size_t> r;
        for (int e : ints(w, 4)) r.push_back(static_cast<std::size_t>(e));
        return repeat(arg(3), r);
    }
    if (op == "max") return max(arg(3), num(4), num(5) != 0);
    if (op == "prod") return prod(arg(3), num(4), num(5) != 0);
    if (op == "sum") return sum(arg(3), ints(w, 5), num(4) != 0);
    if (op == "mean") return mean(arg(3), ints(w, 5), num(4) != 0);
    if (op == "logsumexp") return logsumexp(arg(3), ints(w, 5), num(4) != 0);
    if (op == "var") return var(arg(3), ints(w, 5), 1, num(4) != 0);
    if (op == "norm") return norm(arg(3), 2, ints(w, 5), num(4) != 0) + 0.1;
    if (op == "softmax") return softmax(arg(3), num(4));
    if (op == "log_softmax") return log_softmax(arg(3), num(4));
    if (op == "select") return select(arg(3), num(4), num(5));
    if (op == "narrow") return narrow(arg(3), num(4), num(5), num(6));
    if (op == "slice") return slice(arg(3), num(4), num(5), std::nullopt, num(6));
    if (op == "index_select") {
        std::vector<std::int64_t> idx;
        for (int e : ints(w, 5)) idx.push_back(e);
        return index_select(arg(3), num(4), Tensor::from(idx, {idx.size()}));
    }
    if (op == "index_mask") {
        std::vector<std::int64_t> bits;
        for (int e : ints(w, 5)) bits.push_back(e);
        std::vector<TensorIndex> entries(static_cast<std::size_t>(num(4)), Slice());
        entries.emplace_back(Tensor::from(bits, {bits.size()}, {.dtype = boolean}));
        return index(arg(3), entries);
    }
    if (op == "cat") return cat({arg(3), arg(4)}, num(5));
    throw std::runtime_error("unknown op '" + op + "'");
}

// The first element where got and want differ by more than 1e-10 relative, or an empty string.
std::string compare(const Tensor& got, const Shape& shape, const std::vector<double>& want, const std::string& what) {
    if (got.shape() != shape) return what + ": shape " + shape_str(got.shape()) + ", PyTorch " + shape_str(shape);
    const auto& v = got.data<double>();
    for (std::size_t k = 0; k < want.size(); ++k) {
        const double a = v.data()[k], b = want[k];
        if (a == b || (std::isnan(a) && std::isnan(b))) continue;
        if (std::abs(a - b) <= 1e-10 * std::max(1.0, std::abs(b))) continue;
        std::ostringstream s;
        s.precision(17);
        s << what << ": element " << k << " is " << a << ", PyTorch " << b;
        return s.str();
    }
    return "";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: xgrad_differential PROGRAMS_FILE\n");
        return 2;
    }
    std::ifstream in(argv[1]);
    if (!in) {
        std::fprintf(stderr, "xgrad_differential: cannot read %s\n", argv[1]);
        return 2;
    }
    std::size_t programs = 0, ops = 0, failed = 0, compared = 0;
    Vars vars;
    std::vector<std::string> inputs, text;
    Tensor out;
    std::string problem;
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream s(line);
        std::vector<std::string> w;
        std::string head = line.substr(0, line.find(" : "));
        std::istringstream hs(head);
        for (std::string t; hs >> t;) w.push_back(t);
        const std::string kind = w[0];
        try {
            if (kind == "program") {
                vars.clear(), inputs.clear(), text.clear(), problem.clear();
                out = Tensor();
            } else if (kind == "input") {
                const std::size_t nd = std::stoul(w[2]);
                Shape shape;
                for (std::size_t d = 0; d < nd; ++d) shape.push_back(std::stoul(w[3 + d]));
                std::istringstream values(line.substr(line.find(" : ") + 3));
                vars[w[1]] = Tensor::from(numbers(values), shape, {.dtype = float64, .requires_grad = true});
                inputs.push_back(w[1]);
            } else if (kind == "op") {
                text.push_back(line);
                if (problem.empty()) vars[w[1]] = run_op(w, vars);
                ++ops;
            } else if (kind == "output" && problem.empty()) {
                const std::size_t nd = std::stoul(w[2]);
                Shape shape;
                for (std::size_t d = 0; d < nd; ++d) shape.push_back(std::stoul(w[3 + d]));
                std::istringstream values(line.substr(line.find(" : ") + 3));
                out = vars.at(w[1]);
                problem = compare(out, shape, numbers(values), "output");
                ++compared;
                if (problem.empty()) {
                    const Tensor weights = cos(Tensor::arange(static_cast<double>(out.numel()), {.dtype = float64})).reshape({-1});
                    (out.reshape({-1}) * weights).sum().backward();
                }
            } else if (kind == "grad" && problem.empty()) {
                std::istringstream values(line.substr(line.find(" : ") + 3));
                const Tensor& x = vars.at(w[1]);
                const Tensor g = x.grad().defined() ? x.grad() : Tensor::zeros(x.shape(), {.dtype = float64});
                problem = compare(g, x.shape(), numbers(values), "gradient of " + w[1]);
                ++compared;
            } else if (kind == "end") {
                ++programs;
                if (!problem.empty()) {
                    ++failed;
                    std::printf("program %zu differs from PyTorch: %s\n", programs - 1, problem.c_str());
                    for (const auto& t : text) std::printf("    %s\n", t.c_str());
                }
            }
        } catch (const std::exception& e) {
            problem = std::string("threw: ") + e.what();
        }
    }
    std::printf("%zu random programs (%zu ops) compared with PyTorch in float64 (%zu outputs and gradients): %zu differ\n",
                programs, ops, compared, failed);
    return failed == 0 && programs > 0 ? 0 : 1;
}
