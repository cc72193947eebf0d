// libgelu's internal array kernels: single-threaded, arguments already validated, dispatched
// to the best SIMD target at run time (src/kernels_f32.cc). The C API in src/api.cc wraps them.
#ifndef GELU_SRC_KERNELS_HPP_
#define GELU_SRC_KERNELS_HPP_

#include <stddef.h>

namespace gelu {

void KernelForwardF32(int act, size_t n, const float* x, float* y);
void KernelBackwardF32(int act, size_t n, const float* x, const float* dy, float* dx);
void KernelGaussianForwardF32(double mu, double sigma, size_t n, const float* x, float* y);
// Adds the block's d/dmu and d/dsigma sums to sums[0] and sums[1].
void KernelGaussianBackwardF32(double mu, double sigma, size_t n, const float* x, const float* dy,
                               float* dx, double* sums);
// y = f(a) * b; da = dy * b * f'(a), db = dy * f(a). Contiguous runs of n; the outputs may be
// inputs as gelu_gated_*_f32 allows.
void KernelGatedForwardF32(int act, size_t n, const float* a, const float* b, float* y);
void KernelGatedBackwardF32(int act, size_t n, const float* a, const float* b, const float* dy,
                            float* da, float* db);
const char* KernelTargetName();
// Pins dispatch to the target named as KernelTargetName prints it; nullptr restores the
// automatic choice. False (and nothing changed) for a target this CPU or build lacks.
bool PinTarget(const char* name);

}  // namespace gelu

#endif  // GELU_SRC_KERNELS_HPP_
