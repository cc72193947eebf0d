// bench_bias: fused bias + activation (gelu_bias_forward_f32 / gelu_bias_backward_f32) against
// the unfused sequence it replaces (a bias-add loop, then gelu_forward_f32 / gelu_backward_f32,
// then a column-sum loop for dbias), on rows x cols in {512 x 4096, 64 x 1024}, 1 libgelu
// thread, N(0,1) inputs with a fixed seed. Counter items_per_second = elements/s; the ratio of
// the unfused to the fused time is the speed-up of the fusion.
#include <benchmark/benchmark.h>
#include <gelu/gelu.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

struct Act {
  const char* name;
  gelu_act act;
};
constexpr Act kActs[] = {{"gelu", GELU_ACT_GELU}, {"relu", GELU_ACT_RELU}};

struct Data {
  size_t rows, cols;
  std::vector<float> x, bias, dy, y, dx, dbias;
  std::vector<double> acc;
};

std::vector<float> Normal(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& e : v) e = d(rng);
  return v;
}

Data Make(size_t rows, size_t cols) {
  const size_t n = rows * cols;
  return Data{rows,
              cols,
              Normal(n, 1),
              Normal(cols, 2),
              Normal(n, 3),
              std::vector<float>(n),
              std::vector<float>(n),
              std::vector<float>(cols),
              std::vector<double>(cols)};
}

void Check(gelu_status s) {
  if (s != GELU_OK) {
    std::fprintf(stderr, "bench_bias: %s\n", gelu_status_string(s));
    std::exit(1);
  }
}

// y = x + bias row by row (the separate bias-add of an unfused framework).
void AddBias(const Data& d, float* out) {
  for (size_t r = 0; r < d.rows; ++r) {
    const float* xr = d.x.data() + r * d.cols;
    float* orow = out + r * d.cols;
    for (size_t c = 0; c < d.cols; ++c) orow[c] = xr[c] + d.bias[c];
  }
}

void BM_ForwardFused(benchmark::State& state, Act act, size_t rows, size_t cols) {
  Data d = Make(rows, cols);
  for (auto _ : state) {
    Check(gelu_bias_forward_f32(act.act, rows, cols, d.x.data(), d.bias.data(), d.y.data()));
    benchmark::DoNotOptimize(d.y.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(rows * cols));
}

void BM_ForwardSeparate(benchmark::State& state, Act act, size_t rows, size_t cols) {
  Data d = Make(rows, cols);
  for (auto _ : state) {
    AddBias(d, d.y.data());
    Check(gelu_forward_f32(act.act, rows * cols, d.y.data(), d.y.data()));
    benchmark::DoNotOptimize(d.y.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(rows * cols));
}

void BM_BackwardFused(benchmark::State& state, Act act, size_t rows, size_t cols) {
  Data d = Make(rows, cols);
  for (auto _ : state) {
    Check(gelu_bias_backward_f32(act.act, rows, cols, d.x.data(), d.bias.data(), d.dy.data(),
                                 d.dx.data(), d.dbias.data()));
    benchmark::DoNotOptimize(d.dbias.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(rows * cols));
}

// Bias-add into dx, backward in place, then the column sums of dx in double.
void BM_BackwardSeparate(benchmark::State& state, Act act, size_t rows, size_t cols) {
  Data d = Make(rows, cols);
  for (auto _ : state) {
    AddBias(d, d.dx.data());
    Check(gelu_backward_f32(act.act, rows * cols, d.dx.data(), d.dy.data(), d.dx.data()));
    std::fill(d.acc.begin(), d.acc.end(), 0.0);
    for (size_t r = 0; r < rows; ++r) {
      const float* g = d.dx.data() + r * cols;
      for (size_t c = 0; c < cols; ++c) d.acc[c] += static_cast<double>(g[c]);
    }
    for (size_t c = 0; c < cols; ++c) d.dbias[c] = static_cast<float>(d.acc[c]);
    benchmark::DoNotOptimize(d.dbias.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(rows * cols));
}

void Register() {
  const size_t shapes[][2] = {{512, 4096}, {64, 1024}};
  for (const Act& a : kActs) {
    for (const auto& sh : shapes) {
      const std::string suffix = std::string("/") + a.name + "/" + std::to_string(sh[0]) + "x" +
                                 std::to_string(sh[1]) + "/t:1";
      benchmark::RegisterBenchmark(("forward_fused" + suffix).c_str(), BM_ForwardFused, a, sh[0],
                                   sh[1]);
      benchmark::RegisterBenchmark(("forward_separate" + suffix).c_str(), BM_ForwardSeparate, a,
                                   sh[0], sh[1]);
      benchmark::RegisterBenchmark(("backward_fused" + suffix).c_str(), BM_BackwardFused, a, sh[0],
                                   sh[1]);
      benchmark::RegisterBenchmark(("backward_separate" + suffix).c_str(), BM_BackwardSeparate, a,
                                   sh[0], sh[1]);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  gelu_set_num_threads(1);
  Register();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  std::printf("libgelu SIMD target: %s, 1 thread\n", gelu_simd_target());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
