// The inverted-dropout mask, torch-free: m[i] = scale with probability threshold / 2^32, else 0.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lab/core/cpu_level.hpp"

namespace gelu::lab {

// Fills m[0..n) from splitmix64 (Steele, Lea, Flood 2014) with two 32-bit draws per 64-bit value:
// pair j hashes state + (j + 1) * gamma, so the stream is counter-based, the pairs independent and
// the loop vectorizes. Returns the state after n draws (state + ceil(n / 2) * gamma).
std::uint64_t FillDropoutMask(float* m, std::size_t n, std::uint64_t state, std::uint64_t threshold,
                              float scale);
// The same with the loop built for `level` (<= DetectCpuLevel()); every level gives the same mask.
std::uint64_t FillDropoutMask(float* m, std::size_t n, std::uint64_t state, std::uint64_t threshold,
                              float scale, CpuLevel level);

}  // namespace gelu::lab
