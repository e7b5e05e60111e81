#pragma once

#include <filesystem>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"
#include "nn/module.hpp"
#include "nn/optim/optimizer.hpp"

namespace xgrad::nn {

using xgrad::NamedTensors;

/// Writes tensors to a .npz file (a zip of .npy files, one per name) that numpy.load opens.
/// The file is written under a temporary name, flushed to disk and renamed, so an interrupted
/// save leaves any previous file intact. Throws std::runtime_error naming the path on failure.
void save_npz(const std::filesystem::path& path, const NamedTensors& tensors);
/// Reads every array of a .npz file (float32 or float64, C order). Throws std::runtime_error
/// naming the file and the entry for anything else: not a zip, a bad .npy header, an
/// unsupported dtype, data shorter or longer than the header's shape, an entry whose data
/// exceeds `max_entry_bytes` (checked from its header, before it is inflated).
NamedTensors load_npz(const std::filesystem::path& path,
                      std::size_t max_entry_bytes = std::numeric_limits<std::size_t>::max());

/// Saves a module's state_dict (parameters, then buffers) under dotted names ("0.weight", "bn.running_mean").
void save(const Module& module, const std::filesystem::path& path);
/// Loads parameters saved by `save` into a module of the same architecture. Throws
/// std::runtime_error listing every missing name, unexpected name, and shape or dtype mismatch
/// (nothing is changed then).
void load(Module& module, const std::filesystem::path& path);

/// Saves what resuming a run needs, atomically as `save_npz`: the model's parameters
/// ("model.<name>"), the optimizer's state ("optimizer.lr", "optimizer.momentum_buffer.0", ...),
/// the scheduler's if any ("scheduler.epoch", "scheduler.base_lr"), the random generator this
/// thread draws from ("rng", its 313 words as 32-bit halves in float64) and the number of
/// epochs done ("epoch").
void save_checkpoint(const std::filesystem::path& path, const Module& model, const optim::Optimizer& optimizer,
                     std::int64_t epoch, const optim::LRScheduler* scheduler = nullptr);
/// Restores a checkpoint into objects built as for the run that saved it, and returns the
/// number of epochs done (set a DataLoader's epoch to it). Training on from there gives what
/// the uninterrupted run gives. Throws std::runtime_error naming the file and listing every
/// problem (missing or unexpected entries, shapes, dtypes, another optimizer's state); nothing
/// is changed then.
std::int64_t load_checkpoint(const std::filesystem::path& path, Module& model, optim::Optimizer& optimizer,
                             optim::LRScheduler* scheduler = nullptr);

}  // namespace xgrad::nn
