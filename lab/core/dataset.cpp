// Loads the four IDX files of an MNIST-format folder and splits them (see dataset.hpp).
#include "lab/core/dataset.hpp"

#include <cstdlib>

#include "lab/core/error.hpp"
#include "lab/core/idx.hpp"

namespace gelu::lab {
namespace {

constexpr std::size_t kClasses = 10;
constexpr float kPixelScale = 1.0F / 255.0F;

std::filesystem::path FindFile(const std::filesystem::path& dir, const std::string& base) {
  for (const auto& name : {base + ".gz", base}) {
    const auto p = dir / name;
    if (std::filesystem::is_regular_file(p)) return p;
  }
  throw LabError("data folder " + dir.string() + ": missing " + base + ".gz (or " + base +
                 "); hint: pass --data DIR with the four MNIST-format IDX files, or install "
                 "Debian's dataset-fashion-mnist");
}

struct Pair {
  IdxArray images, labels;
  std::filesystem::path images_file, labels_file;
};

Pair LoadPair(const std::filesystem::path& dir, const std::string& prefix) {
  Pair p;
  p.images_file = FindFile(dir, prefix + "-images-idx3-ubyte");
  p.labels_file = FindFile(dir, prefix + "-labels-idx1-ubyte");
  p.images = ReadIdx(p.images_file);
  p.labels = ReadIdx(p.labels_file);
  if (p.images.dims.size() != 3) {
    throw LabError(p.images_file.string() + ": expected 3 dimensions (count, rows, cols), found " +
                   std::to_string(p.images.dims.size()));
  }
  if (p.labels.dims.size() != 1) {
    throw LabError(p.labels_file.string() + ": expected 1 dimension (count), found " +
                   std::to_string(p.labels.dims.size()));
  }
  if (p.images.dims[0] != p.labels.dims[0]) {
    throw LabError(p.images_file.string() + " holds " + std::to_string(p.images.dims[0]) +
                   " images but " + p.labels_file.filename().string() + " holds " +
                   std::to_string(p.labels.dims[0]) +
                   " labels; hint: the two files come from different data sets");
  }
  for (std::size_t i = 0; i < p.labels.data.size(); ++i) {
    if (p.labels.data[i] >= kClasses) {
      throw LabError(p.labels_file.string() + " (byte offset " + std::to_string(8 + i) +
                     "): label " + std::to_string(p.labels.data[i]) + " is not in 0..9");
    }
  }
  return p;
}

void Fill(Split& s, const Pair& p, std::size_t begin, std::size_t end) {
  s.features = std::size_t{p.images.dims[1]} * p.images.dims[2];
  s.labels.assign(p.labels.data.begin() + static_cast<std::ptrdiff_t>(begin),
                  p.labels.data.begin() + static_cast<std::ptrdiff_t>(end));
  s.images.resize((end - begin) * s.features);
  const std::uint8_t* src = p.images.data.data() + begin * s.features;
  for (std::size_t i = 0; i < s.images.size(); ++i) {
    s.images[i] = static_cast<float>(src[i]) * kPixelScale;
  }
}

}  // namespace

std::filesystem::path DefaultDataDir() {
  if (const char* env = std::getenv("GELU_LAB_DATA"); env != nullptr && *env != '\0') return env;
  return "/usr/share/datasets/fashion-mnist";
}

Dataset LoadMnistFolder(const std::filesystem::path& dir, std::size_t validation,
                        std::size_t train_limit) {
  if (!std::filesystem::is_directory(dir)) {
    throw LabError("data folder " + dir.string() +
                   " does not exist; hint: pass --data DIR (a folder with the four MNIST-format "
                   "IDX files) or install Debian's dataset-fashion-mnist");
  }
  const Pair train = LoadPair(dir, "train");
  const Pair test = LoadPair(dir, "t10k");
  if (train.images.dims[1] != test.images.dims[1] || train.images.dims[2] != test.images.dims[2]) {
    throw LabError(test.images_file.string() + ": image size differs from " +
                   train.images_file.filename().string());
  }
  const std::size_t n = train.labels.data.size();
  if (n <= validation) {
    throw LabError(train.images_file.string() + " holds " + std::to_string(n) +
                   " images, not more than the " + std::to_string(validation) +
                   " needed for validation");
  }
  Dataset d;
  d.dir = dir;
  d.name = std::filesystem::absolute(dir).lexically_normal().filename().string();
  if (d.name.empty()) d.name = std::filesystem::absolute(dir).parent_path().filename().string();
  std::size_t end = n;
  if (train_limit > 0 && validation + train_limit < n) end = validation + train_limit;
  Fill(d.val, train, 0, validation);
  Fill(d.train, train, validation, end);
  Fill(d.test, test, 0, test.labels.data.size());
  d.classes = kClasses;
  return d;
}

}  // namespace gelu::lab
