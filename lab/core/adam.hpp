// Adam (Kingma & Ba) as one pass over each parameter: the update of torch::optim::Adam (libtorch
// 1.13: eps added to sqrt(v_hat), no weight decay, no amsgrad) with its seven tensor operations
// per parameter fused into one loop. Torch-free, so the loop is plain C++ the compiler vectorizes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lab/core/cpu_level.hpp"

namespace gelu::lab {

struct AdamHyper {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
};

// One step (number step >= 1, for the bias corrections) on n floats: m and v are the first and
// second moment buffers, updated in place with g; p -= lr / (1 - beta1^step) * m /
// (sqrt(v) / sqrt(1 - beta2^step) + eps).
void AdamStep(const AdamHyper& h, std::int64_t step, std::size_t n, const float* g, float* m,
              float* v, float* p);
// The same with the loop built for `level` (<= DetectCpuLevel()); every level rounds alike.
void AdamStep(const AdamHyper& h, std::int64_t step, std::size_t n, const float* g, float* m,
              float* v, float* p, CpuLevel level);

}  // namespace gelu::lab
