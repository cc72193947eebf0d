// IDX file reader (the MNIST / Fashion-MNIST format), raw or gzipped. Sizes come from the header;
// every read is checked, and bad input raises LabError naming the file, the byte offset and the
// problem (wrong magic, truncation, absurd dimensions, trailing bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <vector>

namespace gelu::lab {

struct IdxArray {
  std::vector<std::uint32_t> dims;  // e.g. {60000, 28, 28} for images, {60000} for labels
  std::vector<std::uint8_t> data;   // row-major, product(dims) bytes
};

// Reads an unsigned-byte IDX file (type code 0x08) with 1 to 4 dimensions. Gzip is detected from
// the content, so "x.gz" and raw "x" both work.
IdxArray ReadIdx(const std::filesystem::path& file);

// Writes an unsigned-byte IDX file (gzipped when gzip is true); used by the tests to make data.
void WriteIdx(const std::filesystem::path& file, const IdxArray& array, bool gzip);

}  // namespace gelu::lab
