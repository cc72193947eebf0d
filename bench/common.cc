// Shared pieces of the benchmark programs (see bench/common.h).
#include "bench/common.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <new>
#include <numbers>

namespace gelu::bench {

void FreeDeleter::operator()(float* p) const { std::free(p); }

FloatBuffer AllocFloats(size_t n) {
  const size_t bytes = ((n == 0 ? 1 : n) * sizeof(float) + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, bytes);
  if (p == nullptr) throw std::bad_alloc();
  return FloatBuffer(static_cast<float*>(p));
}

namespace {

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Uniform in (0, 1]: 53 random bits, shifted away from 0 so log() stays finite.
double Uniform(uint64_t& state) {
  return (static_cast<double>(SplitMix64(state) >> 11) + 1.0) * 0x1.0p-53;
}

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define GELU_BENCH_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GELU_BENCH_CLONES
#endif

GELU_BENCH_CLONES void CopyScaleChunk(float a, size_t n, const float* __restrict x,
                                      float* __restrict y) {
  for (size_t i = 0; i < n; ++i) y[i] = a * x[i];
}

GELU_BENCH_CLONES void ScaleMulChunk(float a, size_t n, const float* __restrict x,
                                     const float* __restrict z, float* __restrict y) {
  for (size_t i = 0; i < n; ++i) y[i] = a * x[i] * z[i];
}

// Below this many elements one thread does it all (as in libgelu): hand-off costs more than
// the copy.
constexpr size_t kMinParallel = size_t{1} << 16;

// Calls f(begin, count) on `threads` contiguous, 16-float aligned chunks of [0, n).
template <class F>
void Split(size_t n, int threads, F&& f) {
  if (threads <= 1 || n < kMinParallel) {
    f(size_t{0}, n);
    return;
  }
  const auto t = static_cast<size_t>(threads);
  const size_t chunk = ((n + t - 1) / t + 15) / 16 * 16;
#pragma omp parallel for num_threads(threads) schedule(static, 1)
  for (int i = 0; i < threads; ++i) {
    const size_t begin = static_cast<size_t>(i) * chunk;
    if (begin < n) f(begin, std::min(chunk, n - begin));
  }
}

}  // namespace

void FillNormal(uint64_t seed, float scale, size_t n, float* x) {
  uint64_t state = seed;
  constexpr double kTwoPi = 2.0 * std::numbers::pi;
  for (size_t i = 0; i < n; i += 2) {
    const double r = std::sqrt(-2.0 * std::log(Uniform(state)));
    const double phi = kTwoPi * Uniform(state);
    x[i] = scale * static_cast<float>(r * std::cos(phi));
    if (i + 1 < n) x[i + 1] = scale * static_cast<float>(r * std::sin(phi));
  }
}

void CopyScale(float a, size_t n, const float* x, float* y, int threads) {
  Split(n, threads,
        [&](size_t begin, size_t count) { CopyScaleChunk(a, count, x + begin, y + begin); });
}

void ScaleMul(float a, size_t n, const float* x, const float* z, float* y, int threads) {
  Split(n, threads, [&](size_t begin, size_t count) {
    ScaleMulChunk(a, count, x + begin, z + begin, y + begin);
  });
}

std::string CpuModelName() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  if (!(in >> a >> b >> c)) return "unknown";
  return a + " " + b + " " + c;
}

}  // namespace gelu::bench
