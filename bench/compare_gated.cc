// compare_gated: the gated activation y = f(a) * b, forward + backward, on one fused [a | b]
// input of rows x 2 cols (GEGLU / SwiGLU layout), 1 thread, N(0,1) inputs. Side by side in
// interleaved rounds (median of each, in
// the thread's CPU time, so a shared machine does not count waiting): libgelu's fused calls
// (gelu_gated_forward_f32 + gelu_gated_backward_f32), the same work through libgelu's unfused calls
// row by row (with f(a) recomputed in the backward, or saved from the forward as autograd would),
// libtorch's composite (chunk, at::gelu, mul, autograd backward) when built with libtorch, and the
// memory traffic bound (bytes moved at copy-scale bandwidth). Prints each time and its ratio to
// fused.
#include <gelu/gelu.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "bench/common.h"

#ifdef GELU_BENCH_HAVE_TORCH
#include <ATen/Parallel.h>
#include <torch/torch.h>
#endif

namespace {

using gelu::bench::AllocFloats;
using gelu::bench::FloatBuffer;

void Check(gelu_status s, const char* what) {
  if (s != GELU_OK) {
    std::fprintf(stderr, "compare_gated: %s: %s\n", what, gelu_status_string(s));
    std::exit(1);
  }
}

struct Options {
  size_t rows = 512, cols = 2048;
  int rounds = 15;
  gelu_act act = GELU_ACT_GELU;
};

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "compare_gated: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--rows") {
      o.rows = std::stoul(value());
    } else if (arg == "--cols") {
      o.cols = std::stoul(value());
    } else if (arg == "--rounds") {
      o.rounds = std::stoi(value());
    } else if (arg == "--act") {
      const std::string name = value();
      if (gelu_act_from_name(name.c_str(), &o.act) != GELU_OK) {
        std::fprintf(stderr, "compare_gated: unknown --act %s\n", name.c_str());
        std::exit(2);
      }
    } else {
      std::fprintf(stderr,
                   "usage: compare_gated [--rows N] [--cols N] [--rounds N] [--act NAME]\n");
      std::exit(2);
    }
  }
  if (o.rows == 0 || o.cols == 0 || o.rounds < 1) {
    std::fprintf(stderr, "compare_gated: rows, cols and rounds must be positive\n");
    std::exit(2);
  }
  return o;
}

// This thread's CPU seconds: on a machine shared with other work, the time the variant ran,
// not the time it waited (every variant runs on the calling thread: libgelu and libtorch are
// set to 1 thread, and autograd runs CPU backward on the caller).
double ThreadSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Times {
  double wall, cpu;
};

Times Measure(const std::function<void()>& fn) {
  const double c0 = ThreadSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {wall, ThreadSeconds() - c0};
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  const size_t rows = o.rows, cols = o.cols, n = rows * cols;
  gelu_set_num_threads(1);
  FloatBuffer x = AllocFloats(2 * n), dy = AllocFloats(n), y = AllocFloats(n),
              g = AllocFloats(2 * n), saved = AllocFloats(n), tmp = AllocFloats(cols),
              tmp2 = AllocFloats(cols), src4 = AllocFloats(4 * n), dst4 = AllocFloats(4 * n);
  gelu::bench::FillNormal(1, 1.0f, 2 * n, x.get());
  gelu::bench::FillNormal(2, 1.0f, n, dy.get());
  gelu::bench::FillNormal(3, 1.0f, 4 * n, src4.get());
  const float* a = x.get();
  const float* b = x.get() + cols;
  const size_t ld = 2 * cols;

  auto fused = [&] {
    Check(gelu_gated_forward_f32(o.act, rows, cols, a, ld, b, ld, y.get(), cols), "forward");
    Check(gelu_gated_backward_f32(o.act, rows, cols, a, ld, b, ld, dy.get(), cols, g.get(), ld,
                                  g.get() + cols, ld),
          "backward");
  };
  // Unfused, f(a) recomputed in the backward: 3 evaluations, row by row (in cache).
  auto unfused = [&] {
    for (size_t r = 0; r < rows; ++r) {
      Check(gelu_forward_f32(o.act, cols, a + r * ld, tmp.get()), "forward");
      for (size_t c = 0; c < cols; ++c) y[r * cols + c] = tmp[c] * b[r * ld + c];
    }
    for (size_t r = 0; r < rows; ++r) {
      const float* dyr = dy.get() + r * cols;
      Check(gelu_forward_f32(o.act, cols, a + r * ld, tmp.get()), "forward");
      for (size_t c = 0; c < cols; ++c) g[r * ld + cols + c] = tmp[c] * dyr[c];
      for (size_t c = 0; c < cols; ++c) tmp2[c] = dyr[c] * b[r * ld + c];
      Check(gelu_backward_f32(o.act, cols, a + r * ld, tmp2.get(), g.get() + r * ld), "backward");
    }
  };
  // Unfused, f(a) saved by the forward (one more matrix written and read): 2 evaluations.
  auto unfused_saved = [&] {
    for (size_t r = 0; r < rows; ++r) {
      float* h = saved.get() + r * cols;
      Check(gelu_forward_f32(o.act, cols, a + r * ld, h), "forward");
      for (size_t c = 0; c < cols; ++c) y[r * cols + c] = h[c] * b[r * ld + c];
    }
    for (size_t r = 0; r < rows; ++r) {
      const float* dyr = dy.get() + r * cols;
      const float* h = saved.get() + r * cols;
      for (size_t c = 0; c < cols; ++c) g[r * ld + cols + c] = h[c] * dyr[c];
      for (size_t c = 0; c < cols; ++c) tmp2[c] = dyr[c] * b[r * ld + c];
      Check(gelu_backward_f32(o.act, cols, a + r * ld, tmp2.get(), g.get() + r * ld), "backward");
    }
  };
  // The memory traffic of fused forward + backward: read a, b; write y; read a, b, dy; write
  // da, db = 8 streams of 4 bytes per element, timed as copy-scale over 4 n elements (8 bytes
  // each). At 512 x 2048 the 20 MiB mostly sit in a large L3; the bound is then L3's.
  auto bound = [&] { gelu::bench::CopyScale(1.0f, 4 * n, src4.get(), dst4.get(), 1); };

  struct Variant {
    const char* name;
    std::function<void()> fn;
    std::vector<double> wall, cpu;
  };
  std::vector<Variant> variants = {
      {"libgelu fused (gated_forward + gated_backward)", fused, {}, {}},
      {"libgelu unfused, f(a) recomputed, row by row", unfused, {}, {}},
      {"libgelu unfused, f(a) saved, row by row", unfused_saved, {}, {}}};
#ifdef GELU_BENCH_HAVE_TORCH
  at::set_num_threads(1);
  const torch::Tensor tx =
      torch::from_blob(x.get(), {static_cast<int64_t>(rows), static_cast<int64_t>(2 * cols)})
          .clone()
          .requires_grad_(true);
  const torch::Tensor tdy =
      torch::from_blob(dy.get(), {static_cast<int64_t>(rows), static_cast<int64_t>(cols)}).clone();
  const char* approx = o.act == GELU_ACT_GELU_TANH ? "tanh" : "none";
  const bool torch_has = o.act == GELU_ACT_GELU || o.act == GELU_ACT_GELU_TANH ||
                         o.act == GELU_ACT_SILU || o.act == GELU_ACT_RELU;
  if (torch_has) {
    variants.push_back({"libtorch composite (chunk, act, mul, autograd)",
                        [&, approx] {
                          tx.mutable_grad() = torch::Tensor();
                          const auto parts = tx.chunk(2, -1);
                          torch::Tensor act;
                          if (o.act == GELU_ACT_SILU) {
                            act = torch::silu(parts[0]);
                          } else if (o.act == GELU_ACT_RELU) {
                            act = torch::relu(parts[0]);
                          } else {
                            act = at::gelu(parts[0], approx);
                          }
                          (act * parts[1]).backward(tdy);
                        },
                        {},
                        {}});
  }
#endif
  variants.push_back(
      {"memory traffic bound (32 bytes/element at copy-scale speed)", bound, {}, {}});
  for (int round = 0; round < o.rounds + 1; ++round) {
    for (auto& v : variants) {
      const Times t = Measure(v.fn);
      if (round > 0) {  // round 0 warms up
        v.wall.push_back(t.wall);
        v.cpu.push_back(t.cpu);
      }
    }
  }
  std::printf("compare_gated: %s, %zu x %zu [a | b] -> %zu x %zu, forward + backward, 1 thread\n",
              gelu_act_name(o.act), rows, 2 * cols, rows, cols);
  std::printf("CPU: %s; libgelu target %s; %d rounds, median; load %s\n",
              gelu::bench::CpuModelName().c_str(), gelu_simd_target(), o.rounds,
              gelu::bench::LoadAverage().c_str());
  std::printf("  %-62s %9s %9s   %s\n", "", "CPU ms", "wall ms", "ratio of CPU times");
  const double base = Median(variants[0].cpu);
  for (size_t i = 0; i < variants.size(); ++i) {
    const double t = Median(variants[i].cpu);
    std::printf("  %-62s %9.3f %9.3f", variants[i].name, 1e3 * t, 1e3 * Median(variants[i].wall));
    if (i == 0) {
      std::printf("\n");
    } else if (i + 1 < variants.size()) {
      std::printf("   fused is %5.2fx faster\n", t / base);
    } else {
      std::printf("   fused runs at %4.2fx of the bound\n", t / base);
    }
  }
  return 0;
}
