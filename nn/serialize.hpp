#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"
#include "nn/module.hpp"

namespace xgrad::nn {

/// Named tensors, in order.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

/// Writes tensors to a .npz file (a zip of .npy files, one per name) that numpy.load opens.
/// The file is written under a temporary name, flushed to disk and renamed, so an interrupted
/// save leaves any previous file intact. Throws std::runtime_error naming the path on failure.
void save_npz(const std::filesystem::path& path, const NamedTensors& tensors);
/// Reads every array of a .npz file (float32 or float64, C order). Throws std::runtime_error
/// naming the file and the entry for anything else: not a zip, a bad .npy header, an
/// unsupported dtype, data shorter or longer than the header's shape.
NamedTensors load_npz(const std::filesystem::path& path);

/// Saves a module's parameters under their dotted names ("0.weight", "fc1.bias").
void save(const Module& module, const std::filesystem::path& path);
/// Loads parameters saved by `save` into a module of the same architecture. Throws
/// std::runtime_error listing every missing name, unexpected name, and shape or dtype mismatch
/// (nothing is changed then).
void load(Module& module, const std::filesystem::path& path);

}  // namespace xgrad::nn
