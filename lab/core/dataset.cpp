// Loads the four IDX files of an MNIST-format folder and splits them (see dataset.hpp).
#include "lab/core/dataset.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>

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
  s.inputs.resize((end - begin) * s.features);
  const std::uint8_t* src = p.images.data.data() + begin * s.features;
  for (std::size_t i = 0; i < s.inputs.size(); ++i) {
    s.inputs[i] = static_cast<float>(src[i]) * kPixelScale;
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
  if (n <= validation || n == 0) {
    throw LabError(train.images_file.string() + " holds " + std::to_string(n) +
                   " images, not more than the " + std::to_string(validation) +
                   " needed for validation");
  }
  Dataset d;
  d.dir = std::filesystem::absolute(dir).lexically_normal();
  if (!d.dir.has_filename()) d.dir = d.dir.parent_path();
  d.name = d.dir.filename().string();
  d.fingerprint =
      FingerprintFiles({train.images_file, train.labels_file, test.images_file, test.labels_file});
  std::size_t end = n;
  if (train_limit > 0 && validation + train_limit < n) end = validation + train_limit;
  Fill(d.val, train, 0, validation);
  Fill(d.train, train, validation, end);
  Fill(d.test, test, 0, test.labels.data.size());
  d.classes = kClasses;
  return d;
}

std::string FingerprintFiles(const std::vector<std::filesystem::path>& files,
                             const std::string& scheme) {
  constexpr std::uint64_t kOffset = 14695981039346656037ULL, kPrime = 1099511628211ULL;
  std::uint64_t h = kOffset;
  const auto mix = [&h](const unsigned char* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * kPrime;
  };
  std::vector<char> buf(1 << 16);
  for (const auto& file : files) {
    const std::string name = file.filename().string();
    mix(reinterpret_cast<const unsigned char*>(name.data()), name.size() + 1);
    std::ifstream in(file, std::ios::binary);
    if (!in) throw LabError(file.string() + ": cannot open for reading");
    std::uint64_t size = 0;
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
      const auto n = static_cast<std::size_t>(in.gcount());
      mix(reinterpret_cast<const unsigned char*>(buf.data()), n);
      size += n;
    }
    unsigned char s[8];
    for (int b = 0; b < 8; ++b) s[b] = static_cast<unsigned char>(size >> (8 * b));
    mix(s, sizeof s);
  }
  if (!scheme.empty()) {
    mix(reinterpret_cast<const unsigned char*>(scheme.data()), scheme.size() + 1);
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

void WriteSampleMnist(const std::filesystem::path& dir, std::uint32_t n_train, std::uint32_t n_test,
                      bool gzip) {
  std::filesystem::create_directories(dir);
  std::mt19937 rng(42);
  const auto make = [&](const std::string& prefix, std::uint32_t n) {
    IdxArray images{{n, 28, 28}, std::vector<std::uint8_t>(std::size_t{n} * 784)};
    IdxArray labels{{n}, std::vector<std::uint8_t>(n)};
    for (std::uint32_t i = 0; i < n; ++i) {
      const auto label = static_cast<std::uint8_t>(rng() % kClasses);
      labels.data[i] = label;
      for (std::size_t p = 0; p < 784; ++p) {
        const bool on = p / 28 / 3 == label;
        images.data[std::size_t{i} * 784 + p] =
            static_cast<std::uint8_t>(on ? 150 + rng() % 100 : rng() % 60);
      }
    }
    const std::string ext = gzip ? ".gz" : "";
    WriteIdx(dir / (prefix + "-images-idx3-ubyte" + ext), images, gzip);
    WriteIdx(dir / (prefix + "-labels-idx1-ubyte" + ext), labels, gzip);
  };
  make("train", n_train);
  make("t10k", n_test);
}

}  // namespace gelu::lab
