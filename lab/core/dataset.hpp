// In-memory data sets and the MNIST-format loader (MNIST, Fashion-MNIST): a folder with the four
// standard IDX files, split like the paper's TensorFlow loader: validation = the first
// `validation` training images, train = the rest, test = the t10k files. Pixels are float32 in
// [0, 1] (uint8 / 255). Every data set carries a content fingerprint of the files it was read
// from: results folders use it so that they never pool two data sets. No torch here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace gelu::lab {

struct Split {
  std::vector<float> inputs;         // size() * features, row-major
  std::vector<std::uint8_t> labels;  // size() entries in [0, classes)
  std::size_t features = 0;
  std::size_t size() const { return labels.size(); }
};

struct Dataset {
  std::string name;           // folder name, e.g. "fashion-mnist" or "mnist"
  std::filesystem::path dir;  // absolute, normalized
  std::string fingerprint;    // 16 hex digits, see FingerprintFiles
  Split train, val, test;     // val is empty when the experiment holds none out
  std::size_t classes = 10;
};

// $GELU_LAB_DATA when set, else /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist).
std::filesystem::path DefaultDataDir();

// FNV-1a 64 over each file's name (without folder), size and bytes, in the given order, as 16 hex
// digits; a non-empty `scheme` (how a data source makes features from the files, e.g. twpos's
// substitute vectors and their version) is mixed in last, NUL-terminated like a name, so that a
// change of the features changes the fingerprint. Throws LabError naming a file that cannot be
// read.
std::string FingerprintFiles(const std::vector<std::filesystem::path>& files,
                             const std::string& scheme = "");

// Loads DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]. The first `validation` training
// examples become the validation split (0: none, all training examples train); train_limit > 0
// keeps only that many of the remaining training examples (for quick runs). Throws LabError naming
// the folder or file on any problem.
Dataset LoadMnistFolder(const std::filesystem::path& dir, std::size_t validation,
                        std::size_t train_limit = 0);

// Writes the four IDX files (gzipped or raw) of a 28x28, 10-class data set with n_train training
// and n_test test examples. Images are learnable: class c lights up rows 3c..3c+2 (tests, and the
// registry-driven test of every experiment).
void WriteSampleMnist(const std::filesystem::path& dir, std::uint32_t n_train, std::uint32_t n_test,
                      bool gzip);

}  // namespace gelu::lab
