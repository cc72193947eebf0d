#include "lab/core/adam.hpp"

#include <cmath>

namespace gelu::lab {

void AdamStep(const AdamHyper& h, std::int64_t step, std::size_t n, const float* g, float* m,
              float* v, float* p) {
  const double t = static_cast<double>(step);
  const auto b1 = static_cast<float>(h.beta1);
  const auto b2 = static_cast<float>(h.beta2);
  const auto c1 = static_cast<float>(1.0 - h.beta1);
  const auto c2 = static_cast<float>(1.0 - h.beta2);
  const auto inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(h.beta2, t)));
  const auto step_size = static_cast<float>(h.lr / (1.0 - std::pow(h.beta1, t)));
  const auto eps = static_cast<float>(h.eps);
  for (std::size_t i = 0; i < n; ++i) {  // vectorized: this file has -fno-math-errno
    const float gi = g[i];
    const float mi = m[i] * b1 + gi * c1;
    const float vi = v[i] * b2 + gi * gi * c2;
    m[i] = mi;
    v[i] = vi;
    p[i] -= step_size * mi / (std::sqrt(vi) * inv_sqrt_bc2 + eps);
  }
}

}  // namespace gelu::lab
