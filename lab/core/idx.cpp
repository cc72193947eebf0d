// IDX reader/writer on top of zlib's gz* functions (which read raw files transparently).
#include "lab/core/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdio>
#include <memory>
#include <string>

#include "lab/core/error.hpp"

namespace gelu::lab {
namespace {

constexpr std::uint8_t kTypeUnsignedByte = 0x08;
constexpr std::uint32_t kMaxDim = 100'000'000;   // no IDX dimension is near this
constexpr std::uint64_t kMaxBytes = 4ULL << 30;  // 4 GiB: anything bigger is corrupt here
constexpr unsigned kChunk = 1U << 20;

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzPtr = std::unique_ptr<gzFile_s, GzCloser>;

std::string Where(const std::filesystem::path& file, std::uint64_t offset) {
  return file.string() + " (byte offset " + std::to_string(offset) + ")";
}

// Reads exactly n bytes or throws, naming what was being read.
void ReadExactly(gzFile f, const std::filesystem::path& file, std::uint64_t& offset,
                 std::uint8_t* dst, std::uint64_t n, const char* what) {
  std::uint64_t done = 0;
  while (done < n) {
    const auto want = static_cast<unsigned>(std::min<std::uint64_t>(kChunk, n - done));
    const int got = gzread(f, dst + done, want);
    if (got < 0) {
      int errnum = 0;
      const char* msg = gzerror(f, &errnum);
      throw LabError(Where(file, offset + done) + ": cannot read " + what + ": " +
                     (msg != nullptr ? msg : "zlib error") +
                     "; hint: the file is corrupt, download it again");
    }
    if (got == 0) {
      throw LabError(Where(file, offset + done) + ": file truncated while reading " + what +
                     ": expected " + std::to_string(n) + " bytes, got " + std::to_string(done) +
                     "; hint: the file is incomplete, download it again");
    }
    done += static_cast<std::uint64_t>(got);
  }
  offset += n;
}

}  // namespace

IdxArray ReadIdx(const std::filesystem::path& file) {
  GzPtr f(gzopen(file.c_str(), "rb"));
  if (!f) {
    throw LabError(
        file.string() + ": cannot open: " +
        (std::filesystem::exists(file) ? "permission denied or not a file" : "no such file"));
  }
  gzbuffer(f.get(), 1U << 18);
  std::uint64_t offset = 0;
  std::array<std::uint8_t, 4> magic{};
  ReadExactly(f.get(), file, offset, magic.data(), magic.size(), "the 4-byte magic number");
  const unsigned rank = magic[3];
  if (magic[0] != 0 || magic[1] != 0 || magic[2] != kTypeUnsignedByte || rank < 1 || rank > 4) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%02x %02x %02x %02x", magic[0], magic[1], magic[2], magic[3]);
    throw LabError(Where(file, 0) + ": wrong magic number " + buf +
                   ", expected 00 00 08 0N (unsigned-byte IDX with N = 1..4 dimensions)" +
                   "; hint: is this an MNIST-format IDX file?");
  }
  IdxArray out;
  std::uint64_t total = 1;
  for (unsigned i = 0; i < rank; ++i) {
    std::array<std::uint8_t, 4> b{};
    const std::uint64_t at = offset;
    ReadExactly(f.get(), file, offset, b.data(), b.size(), "a dimension size");
    const std::uint32_t d = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                            (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]};
    if (d == 0 || d > kMaxDim) {
      throw LabError(Where(file, at) + ": absurd size " + std::to_string(d) + " of dimension " +
                     std::to_string(i) + "; hint: the header is corrupt");
    }
    total *= d;
    if (total > kMaxBytes) {
      throw LabError(Where(file, at) + ": dimensions describe more than 4 GiB of data" +
                     "; hint: the header is corrupt");
    }
    out.dims.push_back(d);
  }
  out.data.resize(static_cast<std::size_t>(total));
  ReadExactly(f.get(), file, offset, out.data.data(), total, "the data");
  std::uint8_t extra = 0;
  if (gzread(f.get(), &extra, 1) > 0) {
    throw LabError(Where(file, offset) + ": unexpected bytes after the " + std::to_string(total) +
                   " data bytes the header announces; hint: the header is corrupt");
  }
  return out;
}

void WriteIdx(const std::filesystem::path& file, const IdxArray& array, bool gzip) {
  std::vector<std::uint8_t> bytes{0, 0, kTypeUnsignedByte,
                                  static_cast<std::uint8_t>(array.dims.size())};
  for (const std::uint32_t d : array.dims) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      bytes.push_back(static_cast<std::uint8_t>((d >> shift) & 0xFFU));
    }
  }
  bytes.insert(bytes.end(), array.data.begin(), array.data.end());
  GzPtr f(gzopen(file.c_str(), gzip ? "wb" : "wbT"));
  if (!f) throw LabError(file.string() + ": cannot create file");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const auto n = static_cast<unsigned>(std::min<std::size_t>(kChunk, bytes.size() - done));
    if (gzwrite(f.get(), bytes.data() + done, n) != static_cast<int>(n)) {
      throw LabError(file.string() + ": write failed");
    }
    done += n;
  }
  if (gzclose(f.release()) != Z_OK) throw LabError(file.string() + ": write failed on close");
}

}  // namespace gelu::lab
