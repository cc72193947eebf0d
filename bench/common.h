// Shared pieces of the benchmark programs: aligned buffers, reproducible N(0,1) inputs and the
// copy-scale kernel (y = a * x, a plain loop) that stands for the memory-bandwidth limit.
// Inputs depend only on (seed, n, scale), never on the standard library's distributions.
#ifndef GELU_BENCH_COMMON_H_
#define GELU_BENCH_COMMON_H_

#include <gelu/gelu.h>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace gelu::bench {

// Every activation of src/act/activations.def with its id, for the benchmark tables.
struct Act {
  const char* name;
  gelu_act act;
};
inline constexpr Act kActs[] = {
#define X(ID, CLI_NAME, C_ENUM, DESCRIPTION) {#CLI_NAME, C_ENUM},
#include "src/act/activations.def"
#undef X
};

struct FreeDeleter {
  void operator()(float* p) const;
};
using FloatBuffer = std::unique_ptr<float[], FreeDeleter>;

// 64-byte aligned, uninitialized; n == 0 gives a valid one-element allocation.
FloatBuffer AllocFloats(size_t n);

// x[i] = scale * N(0,1), from a fixed generator (SplitMix64 + Box-Muller in double).
void FillNormal(uint64_t seed, float scale, size_t n, float* x);

// y[i] = a * x[i] for i < n, split into `threads` contiguous chunks (OpenMP, static) when
// n >= 64K, on the caller's thread below.
// Compiled -O3 with target clones (AVX-512, AVX2, baseline) so it is the bandwidth bound,
// not a compute bound. Moves 8 bytes per element.
void CopyScale(float a, size_t n, const float* x, float* y, int threads);
// y[i] = a * x[i] * z[i]: the three-stream analogue (12 bytes per element), the bandwidth
// bound for a backward pass that reads x and dy and writes dx.
void ScaleMul(float a, size_t n, const float* x, const float* z, float* y, int threads);

// "model name" from /proc/cpuinfo, or "unknown".
std::string CpuModelName();
// The first three fields of /proc/loadavg, or "unknown".
std::string LoadAverage();

}  // namespace gelu::bench

#endif  // GELU_BENCH_COMMON_H_
