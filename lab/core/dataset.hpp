// MNIST-format data sets (MNIST, Fashion-MNIST): a folder with the four standard IDX files, split
// like the paper's TensorFlow loader: validation = the first `validation` training images, train =
// the rest, test = the t10k files. Pixels are float32 in [0, 1] (uint8 / 255). No torch here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace gelu::lab {

struct Split {
  std::vector<float> images;         // size() * features, row-major
  std::vector<std::uint8_t> labels;  // size() entries in [0, classes)
  std::size_t features = 0;
  std::size_t size() const { return labels.size(); }
};

struct Dataset {
  std::string name;  // folder name, e.g. "fashion-mnist" or "mnist"
  std::filesystem::path dir;
  Split train, val, test;
  std::size_t classes = 10;
};

// $GELU_LAB_DATA when set, else /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist).
std::filesystem::path DefaultDataDir();

// Loads DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]. The first `validation` training
// examples become the validation split; train_limit > 0 keeps only that many of the remaining
// training examples (for quick runs). Throws LabError naming the folder or file on any problem.
Dataset LoadMnistFolder(const std::filesystem::path& dir, std::size_t validation,
                        std::size_t train_limit = 0);

}  // namespace gelu::lab
