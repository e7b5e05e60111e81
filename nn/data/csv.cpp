#include "nn/data/csv.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>

namespace xgrad::data {

namespace {

std::vector<std::string> split_fields(const std::string& line, char delimiter) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (;;) {
        const auto end = line.find(delimiter, start);
        std::string f = line.substr(start, end == std::string::npos ? std::string::npos : end - start);
        const auto a = f.find_first_not_of(" \t"), b = f.find_last_not_of(" \t");
        fields.push_back(a == std::string::npos ? std::string() : f.substr(a, b - a + 1));
        if (end == std::string::npos) return fields;
        start = end + 1;
    }
}

}  // namespace

Dataset read_csv(const std::filesystem::path& path, const std::string& label_column, char delimiter) {
    auto fail = [&](std::size_t line, const std::string& why) -> void {
        throw std::runtime_error("read_csv: " + path.string() + (line ? ":" + std::to_string(line) : "") + ": " + why);
    };
    std::error_code ignored;
    if (std::filesystem::is_directory(path, ignored)) fail(0, "is a directory, not a CSV file");
    std::ifstream in(path);
    if (!in) fail(0, "cannot open the file");
    std::string text;
    std::size_t line_no = 0;
    auto next_line = [&]() -> bool {
        while (std::getline(in, text)) {
            ++line_no;
            if (!text.empty() && text.back() == '\r') text.pop_back();
            if (text.find_first_not_of(" \t") != std::string::npos) return true;
        }
        return false;
    };
    if (!next_line()) fail(0, "empty file: expected a header row");
    const auto header = split_fields(text, delimiter);
    std::size_t label_at = header.size();
    for (std::size_t i = 0; i < header.size(); ++i)
        if (header[i] == label_column) label_at = i;
    if (label_at == header.size()) {
        std::string names;
        for (const auto& h : header) names += (names.empty() ? "" : ", ") + h;
        fail(line_no, "no column '" + label_column + "' in the header (columns: " + names + ")");
    }
    const std::size_t features = header.size() - 1;
    std::vector<float> values;
    Labels labels;
    while (next_line()) {
        if (text.find('"') != std::string::npos) fail(line_no, "quoted fields are not supported");
        const auto fields = split_fields(text, delimiter);
        if (fields.size() != header.size())
            fail(line_no, std::to_string(fields.size()) + " fields, the header has " + std::to_string(header.size()) +
                              " (truncated or corrupt row)");
        for (std::size_t i = 0; i < fields.size(); ++i) {
            double v = 0;
            const auto& f = fields[i];
            auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
            if (f.empty() || ec != std::errc() || end != f.data() + f.size() || !std::isfinite(v))
                fail(line_no, "column '" + header[i] + "': '" + f + "' is not a number");
            if (i == label_at) {
                if (v < 0 || v != std::floor(v) || v > 1e9)
                    fail(line_no, "column '" + header[i] + "': label '" + f + "' is not a non-negative integer");
                labels.push_back(static_cast<std::int64_t>(v));
            } else {
                if (std::abs(v) > std::numeric_limits<float>::max())
                    fail(line_no, "column '" + header[i] + "': " + f + " does not fit in float32 (|x| > 3.4e38)");
                values.push_back(static_cast<float>(v));
            }
        }
    }
    if (labels.empty()) fail(line_no, "no data rows after the header");
    Tensor inputs = Tensor::from(values, {labels.size(), features});  // before labels is moved from
    return Dataset(std::move(inputs), std::move(labels));
}

}  // namespace xgrad::data
