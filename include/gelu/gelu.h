/* libgelu C API: GELU and related activations on float32 arrays, forward and backward.
   Exact GELU is within 1 ULP of x * Phi(x) for every float input (docs/ACCURACY.md);
   all entry points validate their arguments and never crash on bad input. */
#ifndef GELU_GELU_H_
#define GELU_GELU_H_

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define GELU_API
#else
#define GELU_API __attribute__((visibility("default")))
#endif

typedef enum gelu_act {
  GELU_ACT_GELU = 0,         /* x * Phi(x), exact */
  GELU_ACT_GELU_TANH = 1,    /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
  GELU_ACT_GELU_SIGMOID = 2, /* x * sigmoid(1.702 x) */
  GELU_ACT_SILU = 3,         /* x * sigmoid(x) */
  GELU_ACT_RELU = 4,         /* max(x, 0) */
  GELU_ACT_ELU = 5           /* x > 0 ? x : expm1(x)   (alpha = 1) */
} gelu_act;

#define GELU_ACT_COUNT 6

typedef enum gelu_status {
  GELU_OK = 0,
  GELU_ERR_INVALID_ARGUMENT = 1 /* unknown act, null pointer with n > 0, sigma <= 0 or not finite */
} gelu_status;

/* y = f(x). y may equal x (in place); other overlaps are not allowed. */
GELU_API gelu_status gelu_forward_f32(gelu_act act, size_t n, const float *x, float *y);
/* dx = dy * f'(x). dx may equal dy. */
GELU_API gelu_status gelu_backward_f32(gelu_act act, size_t n, const float *x, const float *dy,
                                       float *dx);
/* Generalized Gaussian GELU: y = x * Phi((x - mu) / sigma). */
GELU_API gelu_status gelu_gaussian_forward_f32(float mu, float sigma, size_t n, const float *x,
                                               float *y);
/* dx as above; *dmu and *dsigma receive the sums over all n of dy * dy/dmu and dy * dy/dsigma
   (accumulated in double). Either may be NULL when not wanted. */
GELU_API gelu_status gelu_gaussian_backward_f32(float mu, float sigma, size_t n, const float *x,
                                                const float *dy, float *dx, float *dmu,
                                                float *dsigma);

GELU_API const char *gelu_status_string(gelu_status s);
/* The activation's id as used everywhere ("gelu", "gelu_tanh", ...); NULL for an unknown act. */
GELU_API const char *gelu_act_name(gelu_act act);
/* Parses an id; returns GELU_ERR_INVALID_ARGUMENT (and leaves *act alone) for an unknown name. */
GELU_API gelu_status gelu_act_from_name(const char *name, gelu_act *act);
/* The instruction set chosen at run time, e.g. "AVX3". */
GELU_API const char *gelu_simd_target(void);
/* 1 = the caller's thread only; default: all cores. Values < 1 restore the default. */
GELU_API void gelu_set_num_threads(int n);
GELU_API int gelu_get_num_threads(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GELU_GELU_H_ */
