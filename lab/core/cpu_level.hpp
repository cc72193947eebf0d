// Which copy of a vectorized loop to run: lab/core/adam.cpp and dropout_mask.cpp build their hot
// loop three times (baseline SSE2, AVX2, AVX-512 through GCC's target attribute) and pick one at
// first use. GCC's target_clones picks by CPU model and took the baseline on this project's VM,
// hence the feature check.
#pragma once

namespace gelu::lab {

enum class CpuLevel { kBaseline, kAvx2, kAvx512 };

// AVX-512 means F, DQ, VL and BW (64-bit vector multiplies included).
inline CpuLevel DetectCpuLevel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")) {
    return CpuLevel::kAvx512;
  }
  return __builtin_cpu_supports("avx2") ? CpuLevel::kAvx2 : CpuLevel::kBaseline;
}

// The function of the three for `level` (tests run every level the CPU has).
template <class Fn>
Fn PickForCpu(CpuLevel level, Fn baseline, Fn avx2, Fn avx512) {
  switch (level) {
    case CpuLevel::kAvx512:
      return avx512;
    case CpuLevel::kAvx2:
      return avx2;
    case CpuLevel::kBaseline:
      break;
  }
  return baseline;
}

}  // namespace gelu::lab
