/* libgelu C API: GELU and related activations on float32 arrays, forward and backward.
   Exact GELU is within 1 ULP of x * Phi(x) for every float input (docs/ACCURACY.md);
   all entry points validate their arguments and never crash on bad input. */
#ifndef GELU_GELU_H_
#define GELU_GELU_H_

#include <stddef.h>
#include <stdint.h>

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
/* Pins the instruction set ("AVX3", "AVX2", "SSE4", "SCALAR", as gelu_simd_target prints them;
   the portable fallback prints "EMU128" on some builds); NULL restores the automatic choice (the
   best this CPU has). A name this CPU or this build lacks, or an unknown one:
   GELU_ERR_INVALID_ARGUMENT and nothing changes. The environment variable GELU_SIMD_TARGET does
   the same when libgelu is loaded (an unusable value is reported on stderr and ignored). Only
   libgelu's dispatch is affected, not other users of Highway in the process. Process-wide:
   set it before calls run on other threads. */
GELU_API gelu_status gelu_set_simd_target(const char *name);
/* 1 = the caller's thread only; default: all cores. Values < 1 restore the default. */
GELU_API void gelu_set_num_threads(int n);
GELU_API int gelu_get_num_threads(void);

/* ---- Further data types (bf16, fp16, fp64) -------------------------------------------------
   Same argument rules as the f32 entry points: unknown act, a null pointer with n > 0, or a
   partial overlap give GELU_ERR_INVALID_ARGUMENT; y may equal x, dx may equal dy.
   bf16 (bfloat16) and f16 (IEEE binary16) are passed as their bit patterns in uint16_t; they are
   widened to float, evaluated by the f32 kernels and rounded once to nearest even, so every
   result is within 1 ULP of the small type (NaN stays NaN, overflow gives inf, subnormals kept).
   f64 is evaluated in scalar long double and rounded once: within 2 ULP of double
   (docs/ACCURACY.md). */
GELU_API gelu_status gelu_forward_bf16(gelu_act act, size_t n, const uint16_t *x, uint16_t *y);
GELU_API gelu_status gelu_backward_bf16(gelu_act act, size_t n, const uint16_t *x,
                                        const uint16_t *dy, uint16_t *dx);
GELU_API gelu_status gelu_forward_f16(gelu_act act, size_t n, const uint16_t *x, uint16_t *y);
GELU_API gelu_status gelu_backward_f16(gelu_act act, size_t n, const uint16_t *x,
                                       const uint16_t *dy, uint16_t *dx);
GELU_API gelu_status gelu_forward_f64(gelu_act act, size_t n, const double *x, double *y);
GELU_API gelu_status gelu_backward_f64(gelu_act act, size_t n, const double *x, const double *dy,
                                       double *dx);

/* ---- Fused bias + activation (fp32) --------------------------------------------------------
   x, y, dy, dx are row-major rows x cols; bias and dbias have cols elements.
   y[r*cols + c] = f(fl(x[r*cols + c] + bias[c])): the sum is rounded to float first, so results
   are bitwise those of a separate bias-add followed by gelu_forward_f32. y may equal x.
   Backward: dx = dy * f'(fl(x + bias)) (dx may equal dy or x) and, unless dbias is NULL,
   dbias[c] = sum over rows of dx[r*cols + c], accumulated in double, the same bits for every
   thread count (rows = 0 gives dbias = 0). GELU_ERR_INVALID_ARGUMENT: unknown act, rows * cols
   overflowing, a null pointer (dbias excepted) with rows * cols > 0, a partial overlap of x or
   dy with the output, bias overlapping the output, dbias overlapping dx. */
GELU_API gelu_status gelu_bias_forward_f32(gelu_act act, size_t rows, size_t cols, const float *x,
                                           const float *bias, float *y);
GELU_API gelu_status gelu_bias_backward_f32(gelu_act act, size_t rows, size_t cols, const float *x,
                                            const float *bias, const float *dy, float *dx,
                                            float *dbias);

/* ---- Gated activations (GEGLU, SwiGLU), fp32 -------------------------------------------------
   y[r*ldy + c] = f(a[r*lda + c]) * b[r*ldb + c] for r < rows, c < cols; strides in elements, so
   one fused [a | b] projection (b = a + cols, lda = ldb = 2*cols) and two separate projections
   both work without a copy. y is rounded once from f(a) * b (within 2 ULP of the exact product).
   Backward: da = dy * b * f'(a), db = dy * f(a) (db within 2 ULP; da within 5 ULP where
   |f'(a)| >= 2^-10, absolute near a root of f'). da and db may be interleaved in one [da | db]
   buffer (da = g, db = g + cols, ldda = lddb = 2*cols).
   In place: y may be a or b, da may be a, b or dy, db may be b or dy (same pointer and stride).
   GELU_ERR_INVALID_ARGUMENT: unknown act; with rows * cols > 0, a null pointer, a stride below
   cols, (rows - 1) * stride + cols floats not addressable, an output sharing an element with an
   input (other than in place as above) or with the other output. rows or cols = 0: GELU_OK. */
GELU_API gelu_status gelu_gated_forward_f32(gelu_act act, size_t rows, size_t cols, const float *a,
                                            size_t lda, const float *b, size_t ldb, float *y,
                                            size_t ldy);
GELU_API gelu_status gelu_gated_backward_f32(gelu_act act, size_t rows, size_t cols,
                                             const float *a, size_t lda, const float *b,
                                             size_t ldb, const float *dy, size_t lddy, float *da,
                                             size_t ldda, float *db, size_t lddb);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GELU_GELU_H_ */
