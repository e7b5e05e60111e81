#pragma once
// The character models' data: Debian's word list (package wamerican), lower-case a-z words only,
// shuffled with a seed and split 80/10/10. Tokens: '.' (0, a word's start and end) and a-z (1-26).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <xgrad.hpp>

namespace words {

inline constexpr std::size_t vocab = 27;
inline constexpr const char* default_path = "/usr/share/dict/words";

inline char letter(std::int64_t token) { return token == 0 ? '.' : static_cast<char>('a' + token - 1); }
inline std::int64_t token(char c) { return c == '.' ? 0 : c - 'a' + 1; }

struct Split {
    std::vector<std::string> train, val, test;
};

/// The lower-case a-z words of `path`, shuffled by `seed`, split 80/10/10. Throws
/// std::runtime_error naming the file (and the package) when it cannot be read or holds no word.
inline Split load(const std::string& path, std::uint64_t seed) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read the word list " + path + " (Debian's package wamerican installs it)");
    std::vector<std::string> all;
    for (std::string w; std::getline(in, w);)
        if (!w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; })) all.push_back(w);
    if (all.size() < 10) throw std::runtime_error(path + " holds " + std::to_string(all.size()) + " lower-case words; need at least 10");
    std::mt19937_64 gen(seed);
    std::shuffle(all.begin(), all.end(), gen);
    const std::size_t n1 = all.size() * 8 / 10, n2 = all.size() * 9 / 10;
    return {{all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n1)},
            {all.begin() + static_cast<std::ptrdiff_t>(n1), all.begin() + static_cast<std::ptrdiff_t>(n2)},
            {all.begin() + static_cast<std::ptrdiff_t>(n2), all.end()}};
}

/// Every (context, next token) pair of the words: the `block` tokens before each character and
/// before the closing '.', padded with '.' on the left. X (n, block) and Y (n), int64.
inline std::pair<xgrad::Tensor, xgrad::Tensor> contexts(const std::vector<std::string>& ws, std::size_t block) {
    std::vector<std::int64_t> x, y;
    for (const auto& w : ws) {
        std::vector<std::int64_t> ctx(block, 0);
        for (char c : w + '.') {
            x.insert(x.end(), ctx.begin(), ctx.end());
            y.push_back(token(c));
            ctx.erase(ctx.begin());
            ctx.push_back(token(c));
        }
    }
    return {xgrad::Tensor::from(x, {y.size(), block}), xgrad::Tensor::from(y, {y.size()})};
}

/// Each word as one sequence: input '.' + word, target word + '.', both padded to `block` (the
/// input with '.', the target with -100, which cross_entropy ignores); longer words are cut.
/// X (n, block) and Y (n, block), int64.
inline std::pair<xgrad::Tensor, xgrad::Tensor> sequences(const std::vector<std::string>& ws, std::size_t block) {
    std::vector<std::int64_t> x(ws.size() * block, 0), y(ws.size() * block, -100);
    for (std::size_t i = 0; i < ws.size(); ++i) {
        const std::string s = '.' + ws[i] + '.';
        for (std::size_t t = 0; t + 1 < s.size() && t < block; ++t) {
            x[i * block + t] = token(s[t]);
            y[i * block + t] = token(s[t + 1]);
        }
    }
    return {xgrad::Tensor::from(x, {ws.size(), block}), xgrad::Tensor::from(y, {ws.size(), block})};
}

/// The validation loss of bigram counts (add-one smoothed) fitted on `train`: the baseline a
/// character model must beat, per predicted character as the models' losses are.
inline double bigram_loss(const std::vector<std::string>& train, const std::vector<std::string>& val) {
    std::vector<double> counts(vocab * vocab, 1.0);
    for (const auto& w : train) {
        const std::string s = '.' + w + '.';
        for (std::size_t i = 0; i + 1 < s.size(); ++i) counts[static_cast<std::size_t>(token(s[i])) * vocab + static_cast<std::size_t>(token(s[i + 1]))] += 1;
    }
    double loss = 0, n = 0;
    for (const auto& w : val) {
        const std::string s = '.' + w + '.';
        for (std::size_t i = 0; i + 1 < s.size(); ++i) {
            const auto a = static_cast<std::size_t>(token(s[i])), b = static_cast<std::size_t>(token(s[i + 1]));
            double row = 0;
            for (std::size_t k = 0; k < vocab; ++k) row += counts[a * vocab + k];
            loss -= std::log(counts[a * vocab + b] / row);
            n += 1;
        }
    }
    return loss / n;
}

/// Rows `idx` of an (n, ...) int64 tensor: a minibatch.
inline xgrad::Tensor rows(const xgrad::Tensor& t, const xgrad::Tensor& idx) { return xgrad::take_rows(t, idx); }

/// Writes `name`.tsv (step, train loss, validation loss) and, when gnuplot is installed, draws
/// `name`.svg; only names inside `dir` reach gnuplot, which runs there.
inline void plot_losses(const std::filesystem::path& dir, const std::string& name, const std::string& title,
                        const std::vector<std::array<double, 3>>& rows) {
    std::string tsv = "# step\ttrain_loss\tval_loss\n";
    for (const auto& r : rows) tsv += std::to_string(static_cast<long>(r[0])) + '\t' + std::to_string(r[1]) + '\t' + std::to_string(r[2]) + '\n';
    xgrad::write_file_atomically(dir / (name + ".tsv"), tsv, name);
    xgrad::write_file_atomically(dir / (name + ".gp"),
                                 "set terminal svg size 640,360 dynamic font 'sans,12' background rgb 'white'\n"
                                 "set output '" + name + ".svg.tmp'\n"
                                 "set title '" + title + "'; set xlabel 'step'; set ylabel 'loss (nats per character)'; set grid\n"
                                 "plot '" + name + ".tsv' using 1:2 with lines lw 2 title 'train (batch average)', \\\n"
                                 "     '" + name + ".tsv' using 1:3 with linespoints lw 2 title 'validation'\n",
                                 name);
    const auto status = xgrad::run_program({"gnuplot", name + ".gp"}, {.cwd = dir, .quiet = true});
    if (status && *status == 0) {
        std::filesystem::rename(dir / (name + ".svg.tmp"), dir / (name + ".svg"));
        std::printf("wrote %s\n", (dir / (name + ".svg")).string().c_str());
    } else {
        xgrad::remove_quietly(dir / (name + ".svg.tmp"));
        std::printf("(gnuplot %s: the losses are in %s)\n", status ? "failed" : "not found", (dir / (name + ".tsv")).string().c_str());
    }
}

}  // namespace words
