// Built with -O3 (lab/CMakeLists.txt) so GCC vectorizes the loop, and once more for AVX-512
// (64-bit multiplies in vector registers) and AVX2, chosen at run time: the baseline build is
// SSE2. Measured on the project's machine (16K floats, the MLP's hidden layer): 4.0 ns per
// element scalar with branches, 0.26 with AVX-512 (a keep-0.5 run spent 13% of its time here).
#include "lab/core/dropout_mask.hpp"

namespace gelu::lab {
namespace {

constexpr std::uint64_t kGamma = 0x9E3779B97F4A7C15ULL;

inline std::uint64_t SplitMix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

#define GELU_LAB_FILL_MASK_BODY                                   \
  for (std::size_t j = 0; j < pairs; ++j) {                       \
    const std::uint64_t z = SplitMix64(state + (j + 1) * kGamma); \
    m[2 * j] = (z & 0xFFFFFFFFULL) < threshold ? scale : 0.0F;    \
    m[2 * j + 1] = (z >> 32) < threshold ? scale : 0.0F;          \
  }

void FillPairs(float* m, std::size_t pairs, std::uint64_t state, std::uint64_t threshold,
               float scale) {
  GELU_LAB_FILL_MASK_BODY
}

__attribute__((target("avx2"))) void FillPairsAvx2(float* m, std::size_t pairs, std::uint64_t state,
                                                   std::uint64_t threshold, float scale) {
  GELU_LAB_FILL_MASK_BODY
}

__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw"))) void FillPairsAvx512(
    float* m, std::size_t pairs, std::uint64_t state, std::uint64_t threshold, float scale) {
  GELU_LAB_FILL_MASK_BODY
}
#undef GELU_LAB_FILL_MASK_BODY

}  // namespace

std::uint64_t FillDropoutMask(float* m, std::size_t n, std::uint64_t state, std::uint64_t threshold,
                              float scale) {
  static const CpuLevel level = DetectCpuLevel();
  return FillDropoutMask(m, n, state, threshold, scale, level);
}

std::uint64_t FillDropoutMask(float* m, std::size_t n, std::uint64_t state, std::uint64_t threshold,
                              float scale, CpuLevel level) {
  const auto fill = PickForCpu(level, &FillPairs, &FillPairsAvx2, &FillPairsAvx512);
  const std::size_t pairs = n / 2;
  fill(m, pairs, state, threshold, scale);
  if (n % 2 != 0) {
    const std::uint64_t z = SplitMix64(state + (pairs + 1) * kGamma);
    m[n - 1] = (z & 0xFFFFFFFFULL) < threshold ? scale : 0.0F;
  }
  return state + ((n + 1) / 2) * kGamma;
}

}  // namespace gelu::lab
