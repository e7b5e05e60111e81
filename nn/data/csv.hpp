#pragma once

#include <filesystem>
#include <string>

#include "nn/data/dataset.hpp"

namespace xgrad::data {

/// Reads a CSV file with a header row: every column but `label_column` is a numeric feature
/// (float32 inputs (N, F)), and `label_column` holds non-negative integer class labels.
/// Fields are separated by `delimiter`; quoted fields are not supported. Throws
/// std::runtime_error naming the file, the line and the column for: a missing header or label
/// column, a row with the wrong number of fields (a truncated file), a field that is not a
/// number, a label that is not a non-negative integer, or no data rows.
Dataset read_csv(const std::filesystem::path& path, const std::string& label_column, char delimiter = ',');

}  // namespace xgrad::data
