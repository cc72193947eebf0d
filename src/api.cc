// libgelu's C API (include/gelu/gelu.h): argument checks, the activation names, and the split
// of large arrays across threads. Work is cut into fixed blocks, so results (the Gaussian
// parameter sums included) are bitwise the same for every thread count.

#include <gelu/gelu.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "src/kernels.hpp"
#include "src/parallel.hpp"

using gelu::ForEachBlock;
using gelu::OverlapsPartly;
using gelu::ValidAct;
using gelu::ValidElementwise;

namespace {

constexpr const char* kActNames[] = {
#define X(ID, NAME, ENUM, DESC) #NAME,
#include "src/act/activations.def"
#undef X
};
static_assert(sizeof(kActNames) / sizeof(kActNames[0]) == GELU_ACT_COUNT,
              "activations.def and GELU_ACT_COUNT disagree");

bool ValidGaussian(float mu, float sigma) {
  return std::isfinite(mu) && std::isfinite(sigma) && sigma > 0.0f;
}

}  // namespace

extern "C" {

gelu_status gelu_forward_f32(gelu_act act, size_t n, const float* x, float* y) {
  if (!ValidElementwise<float>(act, n, x, nullptr, y, false)) return GELU_ERR_INVALID_ARGUMENT;
  const int a = static_cast<int>(act);
  ForEachBlock(n, [&](size_t, size_t begin, size_t count) {
    gelu::KernelForwardF32(a, count, x + begin, y + begin);
  });
  return GELU_OK;
}

gelu_status gelu_backward_f32(gelu_act act, size_t n, const float* x, const float* dy, float* dx) {
  if (!ValidElementwise(act, n, x, dy, dx, true)) return GELU_ERR_INVALID_ARGUMENT;
  const int a = static_cast<int>(act);
  ForEachBlock(n, [&](size_t, size_t begin, size_t count) {
    gelu::KernelBackwardF32(a, count, x + begin, dy + begin, dx + begin);
  });
  return GELU_OK;
}

gelu_status gelu_gaussian_forward_f32(float mu, float sigma, size_t n, const float* x, float* y) {
  if (!ValidGaussian(mu, sigma)) return GELU_ERR_INVALID_ARGUMENT;
  if (n == 0) return GELU_OK;
  if (x == nullptr || y == nullptr || OverlapsPartly(x, y, n)) return GELU_ERR_INVALID_ARGUMENT;
  ForEachBlock(n, [&](size_t, size_t begin, size_t count) {
    gelu::KernelGaussianForwardF32(static_cast<double>(mu), static_cast<double>(sigma), count,
                                   x + begin, y + begin);
  });
  return GELU_OK;
}

gelu_status gelu_gaussian_backward_f32(float mu, float sigma, size_t n, const float* x,
                                       const float* dy, float* dx, float* dmu, float* dsigma) {
  if (!ValidGaussian(mu, sigma)) return GELU_ERR_INVALID_ARGUMENT;
  if (n > 0 && (x == nullptr || dy == nullptr || dx == nullptr || OverlapsPartly(x, dx, n) ||
                OverlapsPartly(dy, dx, n))) {
    return GELU_ERR_INVALID_ARGUMENT;
  }
  const size_t blocks = gelu::BlockCount(n);
  std::vector<double> partial(2 * blocks, 0.0);
  ForEachBlock(n, [&](size_t b, size_t begin, size_t count) {
    gelu::KernelGaussianBackwardF32(static_cast<double>(mu), static_cast<double>(sigma), count,
                                    x + begin, dy + begin, dx + begin, &partial[2 * b]);
  });
  // Blocks are combined in order: the sums do not depend on the thread count.
  double sum_mu = 0.0;
  double sum_sigma = 0.0;
  for (size_t b = 0; b < blocks; ++b) {
    sum_mu += partial[2 * b];
    sum_sigma += partial[2 * b + 1];
  }
  if (dmu != nullptr) *dmu = static_cast<float>(sum_mu);
  if (dsigma != nullptr) *dsigma = static_cast<float>(sum_sigma);
  return GELU_OK;
}

const char* gelu_status_string(gelu_status s) {
  switch (s) {
    case GELU_OK:
      return "ok";
    case GELU_ERR_INVALID_ARGUMENT:
      return "invalid argument (unknown activation, null or overlapping pointer with n > 0, "
             "or mu not finite / sigma not finite and positive)";
  }
  return "unknown gelu_status";
}

const char* gelu_act_name(gelu_act act) {
  return ValidAct(act) ? kActNames[static_cast<int>(act)] : nullptr;
}

gelu_status gelu_act_from_name(const char* name, gelu_act* act) {
  if (name == nullptr || act == nullptr) return GELU_ERR_INVALID_ARGUMENT;
  for (int i = 0; i < GELU_ACT_COUNT; ++i) {
    if (std::strcmp(name, kActNames[i]) == 0) {
      *act = static_cast<gelu_act>(i);
      return GELU_OK;
    }
  }
  return GELU_ERR_INVALID_ARGUMENT;
}

const char* gelu_simd_target(void) { return gelu::KernelTargetName(); }

gelu_status gelu_set_simd_target(const char* name) {
  return gelu::PinTarget(name) ? GELU_OK : GELU_ERR_INVALID_ARGUMENT;
}

void gelu_set_num_threads(int n) { gelu::SetThreads(n); }

int gelu_get_num_threads(void) { return gelu::Threads(); }

}  // extern "C"
