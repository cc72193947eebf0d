// bench_gelu: Google Benchmark of every libgelu kernel (each row of src/act/activations.def plus
// gaussian_gelu) x {forward, backward} x n in {4K, 64K, 1M, 64M} x libgelu threads {1, 2}, on
// N(0,1) inputs with a fixed seed, plus exact gelu on 4*N(0,1) ("gelu_wide4") and the copy-scale
// kernel y = a*x as the bandwidth limit. Counters: items_per_second = elements/s, bytes_per_second.
// The 64M cases run a fixed, small number of iterations so a full run takes a few minutes.
#include <benchmark/benchmark.h>
#include <gelu/gelu.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "bench/common.h"

namespace gelu::bench {
namespace {

constexpr uint64_t kSeedX = 0x6E1u;  // inputs x
constexpr uint64_t kSeedDy = 0xD1u;  // upstream gradients dy
constexpr float kGaussMu = 0.25f;    // away from (0, 1) so no special case can kick in
constexpr float kGaussSigma = 1.5f;
constexpr size_t kSizes[] = {size_t{1} << 12, size_t{1} << 16, size_t{1} << 20, size_t{1} << 26};
constexpr int kThreads[] = {1, 2};
constexpr size_t kLarge = size_t{1} << 26;
constexpr benchmark::IterationCount kLargeIterations = 5;

// Inputs are made once per (seed, scale, n) and shared by all cases; outputs per n.
const float* Input(uint64_t seed, float scale, size_t n) {
  static std::map<std::pair<uint64_t, size_t>, FloatBuffer> cache;
  const uint64_t key = seed * 1000u + static_cast<uint64_t>(scale);
  auto it = cache.find({key, n});
  if (it == cache.end()) {
    FloatBuffer buf = AllocFloats(n);
    FillNormal(seed, scale, n, buf.get());
    it = cache.emplace(std::make_pair(key, n), std::move(buf)).first;
  }
  return it->second.get();
}

float* Output(size_t n) {
  static std::map<size_t, FloatBuffer> cache;
  auto it = cache.find(n);
  if (it == cache.end()) {
    FloatBuffer buf = AllocFloats(n);
    for (size_t i = 0; i < n; ++i) buf[i] = 0.0f;  // touch the pages outside the timing
    it = cache.emplace(n, std::move(buf)).first;
  }
  return it->second.get();
}

void Check(benchmark::State& state, gelu_status s) {
  if (s != GELU_OK) state.SkipWithError(gelu_status_string(s));
}

void SetCounters(benchmark::State& state, size_t n, size_t bytes_per_elem) {
  const auto elems = static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n);
  state.SetItemsProcessed(elems);
  state.SetBytesProcessed(elems * static_cast<int64_t>(bytes_per_elem));
}

void BmForward(benchmark::State& state, gelu_act act, float scale, size_t n, int threads) {
  gelu_set_num_threads(threads);
  const float* x = Input(kSeedX, scale, n);
  float* y = Output(n);
  for (auto _ : state) {
    Check(state, gelu_forward_f32(act, n, x, y));
    benchmark::DoNotOptimize(y);
    benchmark::ClobberMemory();
  }
  SetCounters(state, n, 8);
}

void BmBackward(benchmark::State& state, gelu_act act, float scale, size_t n, int threads) {
  gelu_set_num_threads(threads);
  const float* x = Input(kSeedX, scale, n);
  const float* dy = Input(kSeedDy, 1.0f, n);
  float* dx = Output(n);
  for (auto _ : state) {
    Check(state, gelu_backward_f32(act, n, x, dy, dx));
    benchmark::DoNotOptimize(dx);
    benchmark::ClobberMemory();
  }
  SetCounters(state, n, 12);
}

void BmGaussForward(benchmark::State& state, size_t n, int threads) {
  gelu_set_num_threads(threads);
  const float* x = Input(kSeedX, 1.0f, n);
  float* y = Output(n);
  for (auto _ : state) {
    Check(state, gelu_gaussian_forward_f32(kGaussMu, kGaussSigma, n, x, y));
    benchmark::DoNotOptimize(y);
    benchmark::ClobberMemory();
  }
  SetCounters(state, n, 8);
}

void BmGaussBackward(benchmark::State& state, size_t n, int threads) {
  gelu_set_num_threads(threads);
  const float* x = Input(kSeedX, 1.0f, n);
  const float* dy = Input(kSeedDy, 1.0f, n);
  float* dx = Output(n);
  float dmu = 0.0f;
  float dsigma = 0.0f;
  for (auto _ : state) {
    Check(state, gelu_gaussian_backward_f32(kGaussMu, kGaussSigma, n, x, dy, dx, &dmu, &dsigma));
    benchmark::DoNotOptimize(dx);
    benchmark::DoNotOptimize(dmu);
    benchmark::DoNotOptimize(dsigma);
    benchmark::ClobberMemory();
  }
  SetCounters(state, n, 12);
}

void BmCopyScale(benchmark::State& state, size_t n, int threads) {
  const float* x = Input(kSeedX, 1.0f, n);
  float* y = Output(n);
  for (auto _ : state) {
    CopyScale(1.0009765625f, n, x, y, threads);
    benchmark::DoNotOptimize(y);
    benchmark::ClobberMemory();
  }
  SetCounters(state, n, 8);
}

void BmScaleMul(benchmark::State& state, size_t n, int threads) {
  const float* x = Input(kSeedX, 1.0f, n);
  const float* z = Input(kSeedDy, 1.0f, n);
  float* y = Output(n);
  for (auto _ : state) {
    ScaleMul(1.0009765625f, n, x, z, y, threads);
    benchmark::DoNotOptimize(y);
    benchmark::ClobberMemory();
  }
  SetCounters(state, n, 12);
}

// Name: KERNEL/DIRECTION/n:N/t:THREADS (t = libgelu threads, not Google Benchmark threads).
std::string Name(const std::string& kernel, const char* dir, size_t n, int threads) {
  return kernel + "/" + dir + "/n:" + std::to_string(n) + "/t:" + std::to_string(threads);
}

void Finish(benchmark::internal::Benchmark* b, size_t n) {
  b->UseRealTime()->Unit(benchmark::kMicrosecond);
  if (n >= kLarge) b->Iterations(kLargeIterations);
}

void RegisterAll() {
  for (size_t n : kSizes) {
    for (int t : kThreads) {
      for (const Act& a : kActs) {
        const gelu_act act = a.act;
        Finish(benchmark::RegisterBenchmark(
                   Name(a.name, "forward", n, t).c_str(),
                   [=](benchmark::State& s) { BmForward(s, act, 1.0f, n, t); }),
               n);
        Finish(benchmark::RegisterBenchmark(
                   Name(a.name, "backward", n, t).c_str(),
                   [=](benchmark::State& s) { BmBackward(s, act, 1.0f, n, t); }),
               n);
      }
      Finish(benchmark::RegisterBenchmark(Name("gaussian_gelu", "forward", n, t).c_str(),
                                          [=](benchmark::State& s) { BmGaussForward(s, n, t); }),
             n);
      Finish(benchmark::RegisterBenchmark(Name("gaussian_gelu", "backward", n, t).c_str(),
                                          [=](benchmark::State& s) { BmGaussBackward(s, n, t); }),
             n);
      Finish(benchmark::RegisterBenchmark(
                 Name("gelu_wide4", "forward", n, t).c_str(),
                 [=](benchmark::State& s) { BmForward(s, GELU_ACT_GELU, 4.0f, n, t); }),
             n);
      Finish(benchmark::RegisterBenchmark(
                 Name("gelu_wide4", "backward", n, t).c_str(),
                 [=](benchmark::State& s) { BmBackward(s, GELU_ACT_GELU, 4.0f, n, t); }),
             n);
      Finish(benchmark::RegisterBenchmark(Name("copy_scale", "forward", n, t).c_str(),
                                          [=](benchmark::State& s) { BmCopyScale(s, n, t); }),
             n);
      Finish(benchmark::RegisterBenchmark(Name("scale_mul", "backward", n, t).c_str(),
                                          [=](benchmark::State& s) { BmScaleMul(s, n, t); }),
             n);
    }
  }
}

}  // namespace
}  // namespace gelu::bench

int main(int argc, char** argv) {
  gelu::bench::RegisterAll();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("gelu_simd_target", gelu_simd_target());
  benchmark::AddCustomContext("gelu_default_threads", std::to_string(gelu_get_num_threads()));
  benchmark::AddCustomContext("cpu_model", gelu::bench::CpuModelName());
  benchmark::AddCustomContext("loadavg_start", gelu::bench::LoadAverage());
  benchmark::RunSpecifiedBenchmarks();
  std::fprintf(stderr, "loadavg at end: %s\n", gelu::bench::LoadAverage().c_str());
  benchmark::Shutdown();
  return 0;
}
