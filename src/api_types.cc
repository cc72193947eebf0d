// libgelu's bf16, fp16 and fp64 entry points (include/gelu/gelu.h, "Further data types").
// bf16/fp16: stored small, computed by the fp32 kernels in 1024-element stack chunks, rounded back
// once to nearest even: every result within 1 ULP of the small type, >= 99.98% correctly rounded
// over all 65,536 inputs (tests/gelu_types/small_types_test, docs/ACCURACY.md). fp64: scalar long
// double evaluation rounded once to double, within 1.5 ULP (f64_test against MPFR); scalar and
// slow (x87 expl/erfcl: ~5 ns relu, ~30-50 elu, ~80-300 ns per element for the others).
#include <gelu/gelu.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "src/kernels.hpp"
#include "src/parallel.hpp"

using gelu::ForEachBlock;
using gelu::OverlapsPartly;
using gelu::ValidAct;
using gelu::ValidElementwise;

namespace {

// ---- bf16 / fp16 <-> fp32 ----------------------------------------------------------------
// Widening is exact. Narrowing rounds to nearest, ties to even; overflow gives inf, results
// below the small type's normal range become its subnormals, NaN stays NaN (made quiet).

inline float Bf16ToF32(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

inline uint16_t F32ToBf16(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  // Adding 0x7FFF plus the kept LSB rounds to nearest even; a carry into the exponent is the
  // correct result (up to inf). NaN is handled apart so a payload in the low bits cannot
  // round to inf.
  const uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
  const uint32_t quiet_nan = (u >> 16) | 0x0040u;
  const bool nan = (u & 0x7FFFFFFFu) > 0x7F800000u;
  return static_cast<uint16_t>(nan ? quiet_nan : rounded);
}

// Branch-free (every case computed, then selected with masks) so that mixed signs and
// magnitudes (relu's zeros) do not mispredict and the loops can vectorize.
inline uint32_t Select(bool c, uint32_t yes, uint32_t no) {
  const uint32_t m = 0u - static_cast<uint32_t>(c);
  return (yes & m) | (no & ~m);
}

inline float F16ToF32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t em = h & 0x7FFFu;
  const uint32_t exp = em >> 10;
  const uint32_t normal = (em << 13) + (112u << 23);  // rebias 15 -> 127
  const uint32_t inf_nan = (em << 13) | 0x7F800000u;  // payload kept
  // Zero or subnormal: mant * 2^-24, exact in float.
  const uint32_t sub = std::bit_cast<uint32_t>(static_cast<float>(em) * 0x1p-24f);
  const uint32_t bits = Select(exp == 0x1Fu, inf_nan, Select(exp == 0, sub, normal));
  return std::bit_cast<float>(sign | bits);
}

inline uint16_t F32ToF16(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  const uint32_t sign = (u >> 16) & 0x8000u;
  const uint32_t a = u & 0x7FFFFFFFu;
  const uint32_t nan = 0x7E00u | ((a >> 13) & 0x3FFu);  // quiet NaN, high payload kept
  // |f| < 2^-14 (fp16 subnormal or zero): adding 0.5 puts the fp16 subnormal grid (2^-24) at the
  // float's last mantissa bit, so the FPU's round-to-nearest-even does the rounding.
  const uint32_t sub = std::bit_cast<uint32_t>(std::bit_cast<float>(a) + 0.5f) - 0x3F000000u;
  // Normal: rebias and round the 13 dropped bits to nearest even; a carry out of the mantissa
  // bumps the exponent (up to 0x7C00 = inf for [65520, 65536)). Wraps, unused, for tiny a.
  const uint32_t normal = (a - (112u << 23) + 0xFFFu + ((a >> 13) & 1u)) >> 13;
  uint32_t h = Select(a < 0x38800000u, sub, normal);
  h = Select(a >= 0x47800000u, 0x7C00u, h);  // |f| >= 2^16 or inf: overflows
  h = Select(a > 0x7F800000u, nan, h);
  return static_cast<uint16_t>(sign | h);
}

// Elements per stack chunk: three 4 KiB float buffers.
constexpr size_t kChunk = 1024;

struct Bf16 {
  static float Widen(uint16_t h) { return Bf16ToF32(h); }
  static uint16_t Narrow(float f) { return F32ToBf16(f); }
};
struct F16 {
  static float Widen(uint16_t h) { return F16ToF32(h); }
  static uint16_t Narrow(float f) { return F32ToF16(f); }
};

template <class T>
void WidenChunk(size_t n, const uint16_t* in, float* out) {
  for (size_t i = 0; i < n; ++i) out[i] = T::Widen(in[i]);
}
template <class T>
void NarrowChunk(size_t n, const float* in, uint16_t* out) {
  for (size_t i = 0; i < n; ++i) out[i] = T::Narrow(in[i]);
}

template <class T>
gelu_status Forward16(gelu_act act, size_t n, const uint16_t* x, uint16_t* y) {
  if (!ValidElementwise<uint16_t>(act, n, x, nullptr, y, false)) return GELU_ERR_INVALID_ARGUMENT;
  if (n == 0) return GELU_OK;
  const int a = static_cast<int>(act);
  ForEachBlock(n, [&](size_t, size_t begin, size_t count) {
    float bx[kChunk];
    float by[kChunk];
    for (size_t i = begin; i < begin + count; i += kChunk) {
      const size_t len = std::min(kChunk, begin + count - i);
      WidenChunk<T>(len, x + i, bx);
      gelu::KernelForwardF32(a, len, bx, by);
      NarrowChunk<T>(len, by, y + i);
    }
  });
  return GELU_OK;
}

template <class T>
gelu_status Backward16(gelu_act act, size_t n, const uint16_t* x, const uint16_t* dy,
                       uint16_t* dx) {
  if (!ValidElementwise(act, n, x, dy, dx, true)) return GELU_ERR_INVALID_ARGUMENT;
  if (n == 0) return GELU_OK;
  const int a = static_cast<int>(act);
  ForEachBlock(n, [&](size_t, size_t begin, size_t count) {
    float bx[kChunk];
    float bdy[kChunk];
    for (size_t i = begin; i < begin + count; i += kChunk) {
      const size_t len = std::min(kChunk, begin + count - i);
      WidenChunk<T>(len, x + i, bx);
      WidenChunk<T>(len, dy + i, bdy);
      gelu::KernelBackwardF32(a, len, bx, bdy, bdy);  // the kernel allows dx == dy
      NarrowChunk<T>(len, bdy, dx + i);
    }
  });
  return GELU_OK;
}

// ---- fp64: scalar long double ----------------------------------------------------------
// x87 long double carries 11 bits more than double; each formula below loses at most a few
// long double ULPs except where noted, so the single final rounding dominates (<= 2 ULP
// measured against MPFR in tests/gelu_types). Arguments of exp/erfc that grow like x^2 are
// carried with their rounding error (ProdErr), which would otherwise cost ~1 ULP near underflow.

using LD = long double;
static_assert(std::numeric_limits<LD>::digits >= 64,
              "the fp64 path needs an extended long double (x87 80-bit or binary128)");

constexpr LD kSqrt1_2L = 0.707106781186547524400844362104849039L;
constexpr LD kSqrt1_2LoL = 1.8950325588932570797e-20L;  // 1/sqrt(2) - kSqrt1_2L
constexpr LD kTwoOverSqrtPiL = 1.12837916709551257389615890312154517L;
constexpr LD kInvSqrt2PiL = 0.398942280401432677939946059934381868L;
constexpr LD kSqrt2OverPiL = 0.797884560802865355879892119868763737L;
// The constants that scale arguments of exp carry their rounding error (hi + lo): 0.044715 and
// 1.702 are decimal, and at the underflow points (|2u| ~ 745) 2^-65 relative of the argument
// would cost ~2% misrounded results.
constexpr LD kSqrt2OverPiLoL = 2.6755888778602391460e-20L;  // sqrt(2/pi) - kSqrt2OverPiL
constexpr LD kTanhCubicL = 0.044715L;
constexpr LD kTanhCubicLoL = 5.1174342541315809285e-22L;  // 0.044715 - kTanhCubicL
constexpr LD kSigmoidScaleL = 1.702L;
constexpr LD kSigmoidScaleLoL = 2.3418766925686895775e-20L;  // 1.702 - kSigmoidScaleL

// The rounding error of the long double product p = fl(a b), exactly (Dekker's two-product
// with Veltkamp's split into two halves). glibc's fmal on x87 is software and ~100x slower.
inline LD ProdErr(LD a, LD b, LD p) {
  // 2^ceil(p/2) + 1: 2^32 + 1 for x87's 64-bit significand.
  constexpr LD kSplit =
      static_cast<LD>(uint64_t{1} << ((std::numeric_limits<LD>::digits + 1) / 2)) + 1.0L;
  const LD ca = kSplit * a;
  const LD ah = ca - (ca - a);
  const LD al = a - ah;
  const LD cb = kSplit * b;
  const LD bh = cb - (cb - b);
  const LD bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

// sigmoid(z + dz) for a small correction dz (|dz| << 1 ulp of z's scale), without cancellation.
LD SigmoidL(LD z, LD dz = 0.0L) {
  if (z >= 0) return 1.0L / (1.0L + std::exp(-z) * (1.0L - dz));
  const LD e = std::exp(z) * (1.0L + dz);
  return e / (1.0L + e);
}

// Phi(x) = erfc(-x/sqrt2)/2, with the rounding error d of t = -x/sqrt2 put back through
// erfc'(t) = -2/sqrt(pi) e^(-t^2): at x = -38, t^2 ~ 720 would otherwise amplify it 2^10-fold.
LD PhiL(LD x) {
  const LD t = -x * kSqrt1_2L;
  const LD d = ProdErr(-x, kSqrt1_2L, t) + (-x) * kSqrt1_2LoL;
  return 0.5L * (std::erfc(t) - d * kTwoOverSqrtPiL * std::exp(-t * t));
}

// exp(-x^2/2)/sqrt(2 pi) with x^2 = hi + lo exact (x is a double).
LD NormalPdfL(LD x) {
  const LD hi = x * x;
  const LD lo = ProdErr(x, x, hi);
  return kInvSqrt2PiL * std::exp(-0.5L * hi) * (1.0L - 0.5L * lo);
}

// v = 2 sqrt(2/pi) (x + 0.044715 x^3) as hi + lo, so 0.5 (1 + tanh(v/2)) = sigmoid(v).
void TanhArg2L(LD x, LD* hi, LD* lo) {
  const LD x2 = x * x;
  const LD x2lo = ProdErr(x, x, x2);
  // x + c x^3 = x w, w = 1 + c x^2 = w + wlo (the product's and the sum's errors kept).
  const LD pr = kTanhCubicL * x2;
  const LD prlo = ProdErr(kTanhCubicL, x2, pr) + kTanhCubicL * x2lo + kTanhCubicLoL * x2;
  const LD w = 1.0L + pr;
  const LD bb = w - 1.0L;
  const LD wlo = ((1.0L - (w - bb)) + (pr - bb)) + prlo;
  const LD k = 2.0L * kSqrt2OverPiL;
  const LD p = k * x;
  const LD plo = ProdErr(k, x, p) + 2.0L * kSqrt2OverPiLoL * x;
  *hi = p * w;
  *lo = ProdErr(p, w, *hi) + plo * w + p * wlo;
}

double ForwardF64(int act, double xd) {
  if (std::isnan(xd)) return xd + xd;  // quiet NaN
  const LD x = xd;
  switch (act) {
    case GELU_ACT_GELU:
      if (xd > 40.0) return xd;
      if (xd < -40.0) return -0.0;  // |x Phi(x)| < 1e-347
      return static_cast<double>(x * PhiL(x));
    case GELU_ACT_GELU_TANH: {
      if (xd > 40.0) return xd;
      if (xd < -40.0) return -0.0;  // sigmoid(v) < e^-1800
      LD v, vlo;
      TanhArg2L(x, &v, &vlo);
      return static_cast<double>(x * SigmoidL(v, vlo));
    }
    case GELU_ACT_GELU_SIGMOID: {
      if (xd > 800.0) return xd;
      if (xd < -800.0) return -0.0;
      const LD z = kSigmoidScaleL * x;
      return static_cast<double>(x *
                                 SigmoidL(z, ProdErr(kSigmoidScaleL, x, z) + kSigmoidScaleLoL * x));
    }
    case GELU_ACT_SILU:
      if (xd > 800.0) return xd;
      if (xd < -800.0) return -0.0;
      return static_cast<double>(x * SigmoidL(x));
    case GELU_ACT_RELU:
      return xd > 0.0 ? xd : 0.0;
    case GELU_ACT_ELU:
      return xd > 0.0 ? xd : static_cast<double>(std::expm1(x));
    default:
      return 0.0;
  }
}

// f'(x) in long double (without dy).
LD GradL(int act, double xd) {
  const LD x = xd;
  switch (act) {
    case GELU_ACT_GELU:
      if (xd > 40.0) return 1.0L;
      if (xd < -40.0) return 0.0L;  // |f'| < 1e-346: underflows after rounding anyway
      return PhiL(x) + x * NormalPdfL(x);
    case GELU_ACT_GELU_TANH: {
      if (xd > 40.0) return 1.0L;
      if (xd < -40.0) return 0.0L;
      LD v, vlo;
      TanhArg2L(x, &v, &vlo);
      const LD s = SigmoidL(v, vlo);
      const LD sm = SigmoidL(-v, -vlo);  // 1 - s without cancellation
      const LD dv = 2.0L * kSqrt2OverPiL * (1.0L + 3.0L * kTanhCubicL * x * x);
      return s + x * s * sm * dv;
    }
    case GELU_ACT_GELU_SIGMOID: {
      if (xd > 800.0) return 1.0L;
      if (xd < -800.0) return 0.0L;
      const LD z = kSigmoidScaleL * x;
      const LD zlo = ProdErr(kSigmoidScaleL, x, z) + kSigmoidScaleLoL * x;
      const LD s = SigmoidL(z, zlo);
      return s + x * kSigmoidScaleL * s * SigmoidL(-z, -zlo);
    }
    case GELU_ACT_SILU: {
      if (xd > 800.0) return 1.0L;
      if (xd < -800.0) return 0.0L;
      const LD s = SigmoidL(x);
      return s + x * s * SigmoidL(-x);
    }
    case GELU_ACT_RELU:
      return xd > 0.0 ? 1.0L : 0.0L;
    case GELU_ACT_ELU:
      return xd > 0.0 ? 1.0L : std::exp(x);
    default:
      return 0.0L;
  }
}

double BackwardF64(int act, double x, double dy) {
  if (std::isnan(x) || std::isnan(dy)) return x + dy;  // quiet NaN
  LD g;
  if (std::isinf(x)) {
    // The limits: f'(+inf) = 1 for all; f'(-inf) = 0 (relu, elu and every sigmoid form).
    g = x > 0.0 ? 1.0L : 0.0L;
  } else {
    g = GradL(act, x);
  }
  return static_cast<double>(static_cast<LD>(dy) * g);
}

}  // namespace

extern "C" {

gelu_status gelu_forward_bf16(gelu_act act, size_t n, const uint16_t* x, uint16_t* y) {
  return Forward16<Bf16>(act, n, x, y);
}
gelu_status gelu_backward_bf16(gelu_act act, size_t n, const uint16_t* x, const uint16_t* dy,
                               uint16_t* dx) {
  return Backward16<Bf16>(act, n, x, dy, dx);
}
gelu_status gelu_forward_f16(gelu_act act, size_t n, const uint16_t* x, uint16_t* y) {
  return Forward16<F16>(act, n, x, y);
}
gelu_status gelu_backward_f16(gelu_act act, size_t n, const uint16_t* x, const uint16_t* dy,
                              uint16_t* dx) {
  return Backward16<F16>(act, n, x, dy, dx);
}

gelu_status gelu_forward_f64(gelu_act act, size_t n, const double* x, double* y) {
  if (!ValidElementwise<double>(act, n, x, nullptr, y, false)) return GELU_ERR_INVALID_ARGUMENT;
  if (n == 0) return GELU_OK;
  const int a = static_cast<int>(act);
  ForEachBlock(n, [&](size_t, size_t begin, size_t count) {
    for (size_t i = begin; i < begin + count; ++i) y[i] = ForwardF64(a, x[i]);
  });
  return GELU_OK;
}

gelu_status gelu_backward_f64(gelu_act act, size_t n, const double* x, const double* dy,
                              double* dx) {
  if (!ValidElementwise(act, n, x, dy, dx, true)) return GELU_ERR_INVALID_ARGUMENT;
  if (n == 0) return GELU_OK;
  const int a = static_cast<int>(act);
  ForEachBlock(n, [&](size_t, size_t begin, size_t count) {
    for (size_t i = begin; i < begin + count; ++i) dx[i] = BackwardF64(a, x[i], dy[i]);
  });
  return GELU_OK;
}

}  // extern "C"
