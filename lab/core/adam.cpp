// Built with -O3 -fno-math-errno -ffp-contract=off (lab/CMakeLists.txt): GCC vectorizes the loop
// (sqrt without errno is the plain IEEE square root), and the AVX-512 / AVX2 copies round
// exactly like the SSE2 baseline (no contraction into FMA), so results do not depend on the CPU.
#include "lab/core/adam.hpp"

#include <cmath>

namespace gelu::lab {
namespace {

struct Coefficients {
  float b1, b2, c1, c2, inv_sqrt_bc2, step_size, eps;
};

#define GELU_LAB_ADAM_BODY                                               \
  for (std::size_t i = 0; i < n; ++i) {                                  \
    const float gi = g[i];                                               \
    const float mi = m[i] * k.b1 + gi * k.c1;                            \
    const float vi = v[i] * k.b2 + gi * gi * k.c2;                       \
    m[i] = mi;                                                           \
    v[i] = vi;                                                           \
    p[i] -= k.step_size * mi / (std::sqrt(vi) * k.inv_sqrt_bc2 + k.eps); \
  }

void Loop(const Coefficients& k, std::size_t n, const float* g, float* m, float* v, float* p) {
  GELU_LAB_ADAM_BODY
}

__attribute__((target("avx2"))) void LoopAvx2(const Coefficients& k, std::size_t n, const float* g,
                                              float* m, float* v, float* p) {
  GELU_LAB_ADAM_BODY
}

__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw"))) void LoopAvx512(
    const Coefficients& k, std::size_t n, const float* g, float* m, float* v, float* p) {
  GELU_LAB_ADAM_BODY
}
#undef GELU_LAB_ADAM_BODY

}  // namespace

void AdamStep(const AdamHyper& h, std::int64_t step, std::size_t n, const float* g, float* m,
              float* v, float* p) {
  static const CpuLevel level = DetectCpuLevel();
  AdamStep(h, step, n, g, m, v, p, level);
}

void AdamStep(const AdamHyper& h, std::int64_t step, std::size_t n, const float* g, float* m,
              float* v, float* p, CpuLevel level) {
  const auto loop = PickForCpu(level, &Loop, &LoopAvx2, &LoopAvx512);
  const double t = static_cast<double>(step);
  const Coefficients k{static_cast<float>(h.beta1),
                       static_cast<float>(h.beta2),
                       static_cast<float>(1.0 - h.beta1),
                       static_cast<float>(1.0 - h.beta2),
                       static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(h.beta2, t))),
                       static_cast<float>(h.lr / (1.0 - std::pow(h.beta1, t))),
                       static_cast<float>(h.eps)};
  loop(k, n, g, m, v, p);
}

}  // namespace gelu::lab
