// gelu_demo: each activation at a few telling inputs, libgelu beside a naive float
// implementation and the exact value, with the error in float ULPs; then throughput.
// The naive column is what most code does: 0.5f*x*(1+erff(x/sqrt2)) loses everything below
// x = -5 because 1 + erf cancels.
#include <gelu/gelu.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "tools/reference/reference.h"

namespace {

float Naive(gelu_act act, float x) {
  switch (act) {
    case GELU_ACT_GELU:
      return 0.5f * x * (1.0f + std::erf(x * 0.70710678f));
    case GELU_ACT_GELU_TANH:
      return 0.5f * x * (1.0f + std::tanh(0.7978845608f * (x + 0.044715f * x * x * x)));
    case GELU_ACT_GELU_SIGMOID:
      return x / (1.0f + std::exp(-1.702f * x));
    case GELU_ACT_SILU:
      return x / (1.0f + std::exp(-x));
    case GELU_ACT_RELU:
      return std::max(x, 0.0f);
    case GELU_ACT_ELU:
      return x > 0.0f ? x : std::expm1(x);
  }
  return 0.0f;
}

template <class Fn>
double GelemPerSecond(size_t n, const Fn& fn) {
  std::vector<double> rates;
  for (int rep = 0; rep < 7; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    rates.push_back(static_cast<double>(n) / dt.count() * 1e-9);
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

}  // namespace

int main() {
  std::printf("libgelu on %s\n\n", gelu_simd_target());
  const float inputs[] = {-10.0f, -6.0f, -1.0f, 0.5f, 3.0f};
  std::printf("%-13s %6s  %-15s %-15s %-15s %9s %9s\n", "activation", "x", "exact", "libgelu",
              "naive float", "ulp ours", "ulp naive");
  for (int a = 0; a < GELU_ACT_COUNT; ++a) {
    const auto act = static_cast<gelu_act>(a);
    const gelu::ref::Fn fn{act, false, 0.0, 1.0};
    for (const float x : inputs) {
      float y = 0.0f;
      if (gelu_forward_f32(act, 1, &x, &y) != GELU_OK) return 1;
      const double exact = gelu::ref::Eval(fn, gelu::ref::Dir::kForward, x);
      const float naive = Naive(act, x);
      std::printf("%-13s %6g  %-15.8g %-15.8g %-15.8g %9.3g %9.3g\n", gelu_act_name(act),
                  static_cast<double>(x), exact, static_cast<double>(y), static_cast<double>(naive),
                  gelu::ref::UlpError(y, exact), gelu::ref::UlpError(naive, exact));
    }
  }

  const size_t n = size_t{1} << 20;
  std::vector<float> x(n), y(n);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& v : x) v = normal(rng);
  std::printf("\nthroughput, n = %zu floats from N(0,1), Gelem/s (median of 7)\n", n);
  std::printf("%-13s %10s %12s %10s\n", "activation", "naive", "libgelu 1T", "libgelu");
  const int all = gelu_get_num_threads();
  for (int a = 0; a < GELU_ACT_COUNT; ++a) {
    const auto act = static_cast<gelu_act>(a);
    const double naive = GelemPerSecond(n, [&] {
      for (size_t i = 0; i < n; ++i) y[i] = Naive(act, x[i]);
    });
    gelu_set_num_threads(1);
    const double one = GelemPerSecond(n, [&] { gelu_forward_f32(act, n, x.data(), y.data()); });
    gelu_set_num_threads(all);
    const double many = GelemPerSecond(n, [&] { gelu_forward_f32(act, n, x.data(), y.data()); });
    std::printf("%-13s %10.3f %12.3f %10.3f  (%d threads)\n", gelu_act_name(act), naive, one, many,
                all);
  }
  return 0;
}
