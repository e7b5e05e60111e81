#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "nn/data/dataset.hpp"

namespace xgrad::data {

/// The contents of an IDX file (the MNIST format) of unsigned bytes: its dimensions and data.
struct IdxBytes {
    std::vector<std::size_t> dims;
    std::vector<std::uint8_t> bytes;
};

/// Reads an IDX file of unsigned bytes (type 0x08), gzip-compressed or not.
/// Throws std::runtime_error naming the file for a missing file, a bad magic number, an
/// unsupported element type, sizes that overflow, or data shorter or longer than the header
/// says. Memory grows with the data actually read, never with what the header claims.
IdxBytes read_idx(const std::filesystem::path& path);

/// Which half of an MNIST-format dataset.
enum class Split { train, test };

/// An MNIST-format dataset (MNIST, Fashion-MNIST) from `dir`: samples of 784 pixels kept as
/// bytes (Dataset::from_bytes), float32 in [0, 1] in each batch and in features(); labels 0..9.
/// Reads {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]. Throws
/// std::runtime_error naming the file and, when it is missing, what provides it.
Dataset load_mnist(const std::filesystem::path& dir, Split split);

/// Where Debian's dataset-fashion-mnist package puts the files.
inline const std::filesystem::path fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";

}  // namespace xgrad::data
