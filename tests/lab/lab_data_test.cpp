// IDX reader and MNIST-folder loader: round trips (raw and gzip), and errors that name the file,
// the byte offset and the problem.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "lab/core/dataset.hpp"
#include "lab/core/error.hpp"
#include "lab/core/idx.hpp"
#include "tests/lab/lab_test_util.hpp"

namespace gelu::lab {
namespace {
namespace fs = std::filesystem;
using test::TempDir;

IdxArray Sample() {
  IdxArray a{{3, 2, 4}, {}};
  for (int i = 0; i < 24; ++i) a.data.push_back(static_cast<std::uint8_t>(i * 10));
  return a;
}

std::string ErrorOf(const fs::path& file) {
  try {
    ReadIdx(file);
  } catch (const LabError& e) {
    return e.what();
  }
  return "";
}

void WriteBytes(const fs::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary) << bytes;
}

TEST(LabIdx, RoundTripRawAndGzip) {
  TempDir dir("idx");
  for (const bool gz : {false, true}) {
    const fs::path f = dir.path() / (gz ? "a.gz" : "a");
    WriteIdx(f, Sample(), gz);
    const IdxArray b = ReadIdx(f);
    EXPECT_EQ(b.dims, Sample().dims);
    EXPECT_EQ(b.data, Sample().data);
  }
  // gzip is detected from the content, not the name.
  EXPECT_NE(test::ReadFile(dir.path() / "a"), test::ReadFile(dir.path() / "a.gz"));
}

TEST(LabIdx, TruncatedRawFileNamesFileAndOffset) {
  TempDir dir("idx");
  const fs::path f = dir.path() / "t";
  WriteIdx(f, Sample(), false);
  fs::resize_file(f, 16 + 10);  // header (4 + 3 * 4 bytes) and 10 of 24 data bytes
  const std::string e = ErrorOf(f);
  EXPECT_NE(e.find(f.string()), std::string::npos) << e;
  EXPECT_NE(e.find("byte offset 26"), std::string::npos) << e;
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;
  fs::resize_file(f, 6);  // inside the dimensions
  const std::string e2 = ErrorOf(f);
  EXPECT_NE(e2.find("byte offset 6"), std::string::npos) << e2;  // where the file ended
  EXPECT_NE(e2.find("dimension"), std::string::npos) << e2;
}

TEST(LabIdx, TruncatedGzipFileIsAnError) {
  TempDir dir("idx");
  const fs::path f = dir.path() / "t.gz";
  IdxArray big{{100, 28, 28}, std::vector<std::uint8_t>(78400)};
  for (std::size_t i = 0; i < big.data.size(); ++i)
    big.data[i] = static_cast<std::uint8_t>(i * 7919 % 251);
  WriteIdx(f, big, true);
  fs::resize_file(f, fs::file_size(f) / 2);
  const std::string e = ErrorOf(f);
  EXPECT_NE(e.find(f.string()), std::string::npos) << e;
  EXPECT_NE(e.find("byte offset"), std::string::npos) << e;
}

TEST(LabIdx, WrongMagic) {
  TempDir dir("idx");
  const fs::path f = dir.path() / "m";
  WriteBytes(f, std::string("\x00\x00\x0d\x01\x00\x00\x00\x01\x05", 9));  // type 0x0d = float
  const std::string e = ErrorOf(f);
  EXPECT_NE(e.find("wrong magic number 00 00 0d 01"), std::string::npos) << e;
  EXPECT_NE(e.find(f.string()), std::string::npos) << e;
  WriteBytes(f, "PK\x03\x04 not idx at all");
  EXPECT_NE(ErrorOf(f).find("wrong magic"), std::string::npos);
}

TEST(LabIdx, AbsurdDimensionsAndTrailingBytes) {
  TempDir dir("idx");
  const fs::path f = dir.path() / "d";
  WriteBytes(f,
             std::string("\x00\x00\x08\x03\x7f\xff\xff\xff\x00\x00\x00\x1c\x00\x00\x00\x1c", 16));
  const std::string e = ErrorOf(f);
  EXPECT_NE(e.find("absurd size"), std::string::npos) << e;
  EXPECT_NE(e.find("byte offset 4"), std::string::npos) << e;
  WriteBytes(f, std::string("\x00\x00\x08\x01\x00\x00\x00\x02\x01\x02\x03", 11));
  EXPECT_NE(ErrorOf(f).find("unexpected bytes after"), std::string::npos);
  EXPECT_NE(ErrorOf(dir.path() / "missing").find("no such file"), std::string::npos);
}

TEST(LabDataset, SplitsAndScalesPixels) {
  TempDir dir("ds");
  test::WriteTinyMnist(dir.path(), 300, 50, true);
  const Dataset d = LoadMnistFolder(dir.path(), 100);
  EXPECT_EQ(d.val.size(), 100U);
  EXPECT_EQ(d.train.size(), 200U);
  EXPECT_EQ(d.test.size(), 50U);
  EXPECT_EQ(d.train.features, 784U);
  // Validation = the first 100 training images; train = the rest, in file order.
  const IdxArray raw = ReadIdx(dir.path() / "train-images-idx3-ubyte.gz");
  EXPECT_FLOAT_EQ(d.val.inputs[5], static_cast<float>(raw.data[5]) / 255.0F);
  EXPECT_FLOAT_EQ(d.train.inputs[7], static_cast<float>(raw.data[100 * 784 + 7]) / 255.0F);
  for (const float v : d.train.inputs) ASSERT_TRUE(v >= 0.0F && v <= 1.0F);
  EXPECT_EQ(LoadMnistFolder(dir.path(), 100, 50).train.size(), 50U);
}

TEST(LabDataset, RawFileNamesWork) {
  TempDir dir("ds");
  test::WriteTinyMnist(dir.path(), 150, 20, false);
  EXPECT_EQ(LoadMnistFolder(dir.path(), 100).train.size(), 50U);
}

TEST(LabDataset, CountMismatchAndMissingFiles) {
  TempDir dir("ds");
  test::WriteTinyMnist(dir.path(), 150, 20, true);
  WriteIdx(dir.path() / "t10k-labels-idx1-ubyte.gz", IdxArray{{19}, std::vector<std::uint8_t>(19)},
           true);
  try {
    LoadMnistFolder(dir.path(), 100);
    FAIL() << "expected an error";
  } catch (const LabError& e) {
    EXPECT_NE(std::string(e.what()).find("holds 20 images but t10k-labels-idx1-ubyte.gz holds 19"),
              std::string::npos)
        << e.what();
  }
  fs::remove(dir.path() / "t10k-labels-idx1-ubyte.gz");
  try {
    LoadMnistFolder(dir.path(), 100);
    FAIL() << "expected an error";
  } catch (const LabError& e) {
    EXPECT_NE(std::string(e.what()).find("missing t10k-labels-idx1-ubyte.gz"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(LoadMnistFolder(dir.path() / "nope", 100), LabError);
}

TEST(LabDataset, RealMnistFromSharedData) {
  const char* env = std::getenv("GELU_SHARED_DATA");
  const fs::path dir = fs::path(env != nullptr ? env : GELU_SHARED_DATA_DEFAULT) / "mnist";
  if (!fs::exists(dir / "train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "real MNIST not found in " << dir
                 << " (set GELU_SHARED_DATA or -DGELU_SHARED_DATA=...)";
  }
  const Dataset d = LoadMnistFolder(dir, 5000);
  EXPECT_EQ(d.train.size(), 55000U);
  EXPECT_EQ(d.val.size(), 5000U);
  EXPECT_EQ(d.test.size(), 10000U);
  EXPECT_EQ(d.name, "mnist");
  // Known facts of MNIST: the first training label is 5, the first test label is 7.
  EXPECT_EQ(d.val.labels[0], 5);
  EXPECT_EQ(d.test.labels[0], 7);
  // FNV-1a 64 of the four files, computed independently with Python's integers.
  EXPECT_EQ(d.fingerprint, "e7b77e98811f073f");
}

TEST(LabDataset, FingerprintIsFnv1aOfNamesSizesAndBytes) {
  TempDir dir("fp");
  {
    std::ofstream(dir.path() / "a.bin", std::ios::binary) << "abc";
    std::ofstream(dir.path() / "b", std::ios::binary);
  }
  // Python: h = FNV-1a 64 over b"a.bin\0" b"abc" (3).to_bytes(8, "little") b"b\0" (0).to_bytes(8,
  // "little").
  EXPECT_EQ(FingerprintFiles({dir.path() / "a.bin", dir.path() / "b"}), "907cfb3a5bc1f8f6");
  // One changed byte in the data changes the data set's fingerprint.
  TempDir data("fpd");
  test::WriteTinyMnist(data.path(), 150, 20, false);
  const std::string before = LoadMnistFolder(data.path(), 100).fingerprint;
  {
    std::fstream f(data.path() / "t10k-images-idx3-ubyte",
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(500);
    f.put('\x07');
  }
  EXPECT_NE(LoadMnistFolder(data.path(), 100).fingerprint, before);
  EXPECT_THROW(FingerprintFiles({data.path() / "nope"}), LabError);
}

}  // namespace
}  // namespace gelu::lab
