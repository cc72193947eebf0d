// fp32 array kernels, compiled once per SIMD target (Highway foreach_target) and chosen at run
// time. On AVX-512 most inputs take the table-driven float path (src/act/gelu_fast-inl.h); all
// other inputs and targets widen each float to double, evaluate src/act/math-inl.h and round
// once. Both are within the bounds of docs/ACCURACY.md; they may differ in the last bit, so a
// result can depend on the target, never on neighbouring elements.
// Single-threaded; src/api.cc validates arguments and splits work across threads.

#include <stddef.h>
#include <string.h>

#include "src/kernels.hpp"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels_f32.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "src/act/gelu_fast-inl.h"
#include "src/act/math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace gelu {
namespace HWY_NAMESPACE {
namespace {

using DD = hn::ScalableTag<double>;
using DF = hn::Rebind<float, DD>;  // as many floats as DD has doubles
using VD = hn::Vec<DD>;

// Rounds each double lane to float once. Highway's portable targets (SCALAR, EMU128) saturate
// out-of-range values to +-FLT_MAX in DemoteTo; a C++ cast keeps inf and overflow to inf.
HWY_INLINE hn::Vec<DF> DemoteToF32(DF df, VD v) {
#if HWY_TARGET == HWY_SCALAR || HWY_TARGET == HWY_EMU128
  const DD dd;
  HWY_ALIGN double wide[HWY_MAX_BYTES / sizeof(double)];
  HWY_ALIGN float narrow[HWY_MAX_BYTES / sizeof(double)];
  hn::Store(v, dd, wide);
  for (size_t i = 0; i < hn::Lanes(dd); ++i) narrow[i] = static_cast<float>(wide[i]);
  return hn::Load(df, narrow);
#else
  return hn::DemoteTo(df, v);
#endif
}

// Full vectors straight from memory; the tail through a zero-padded buffer, so the math sees
// only whole vectors. `body(i, count, x, dy, out)` works on one vector at x + i.
template <class Body>
HWY_INLINE void ForEachVector(size_t n, const float* x, const float* dy, float* out,
                              const Body& body) {
  const DD dd;
  const DF df;
  const size_t lanes = hn::Lanes(dd);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const VD vx = hn::PromoteTo(dd, hn::LoadU(df, x + i));
    const VD vdy = dy != nullptr ? hn::PromoteTo(dd, hn::LoadU(df, dy + i)) : hn::Zero(dd);
    hn::StoreU(DemoteToF32(df, body(vx, vdy)), df, out + i);
  }
  if (i < n) {
    const size_t rest = n - i;
    HWY_ALIGN float bx[HWY_MAX_BYTES / sizeof(double)] = {};
    HWY_ALIGN float bdy[HWY_MAX_BYTES / sizeof(double)] = {};
    HWY_ALIGN float bout[HWY_MAX_BYTES / sizeof(double)];
    memcpy(bx, x + i, rest * sizeof(float));
    if (dy != nullptr) memcpy(bdy, dy + i, rest * sizeof(float));
    const VD vx = hn::PromoteTo(dd, hn::Load(df, bx));
    const VD vdy = hn::PromoteTo(dd, hn::Load(df, bdy));
    hn::Store(DemoteToF32(df, body(vx, vdy)), df, bout);
    memcpy(out + i, bout, rest * sizeof(float));
  }
}

// NaN in gives NaN out, whatever the clamps inside the math did with it.
HWY_INLINE VD KeepNaN(VD x, VD result) { return hn::IfThenElse(hn::IsNaN(x), x, result); }

// Activations that are exact in float run on full float vectors; dy is null for forward.
template <class M>
void FloatLoop(size_t n, const float* x, const float* dy, float* out) {
  const hn::ScalableTag<float> df;
  const size_t lanes = hn::Lanes(df);
  auto body = [&](hn::Vec<decltype(df)> vx, hn::Vec<decltype(df)> vdy) {
    const auto r = dy == nullptr ? M::Forward(df, vx) : hn::Mul(vdy, M::Derivative(df, vx));
    return hn::IfThenElse(hn::IsNaN(vx), vx, r);
  };
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto vx = hn::LoadU(df, x + i);
    hn::StoreU(body(vx, dy == nullptr ? vx : hn::LoadU(df, dy + i)), df, out + i);
  }
  for (; i < n; ++i) {  // tail, one lane at a time
    const hn::CappedTag<float, 1> d1;
    const auto vx = hn::LoadU(d1, x + i);
    const auto vdy = dy == nullptr ? vx : hn::LoadU(d1, dy + i);
    const auto r = dy == nullptr ? M::Forward(d1, vx) : hn::Mul(vdy, M::Derivative(d1, vx));
    hn::StoreU(hn::IfThenElse(hn::IsNaN(vx), vx, r), d1, out + i);
  }
}

// The fast float path where the activation has tables on this target, the double path for
// everything else and for the lanes the tables do not cover.
template <int kAct>
void ForwardLoop(size_t n, const float* x, float* y) {
  using M = Math<kAct>;
  if constexpr (requires { M::kExactInFloat; }) {
    return FloatLoop<M>(n, x, nullptr, y);
  }
  const DD dd;
  auto slow = [dd](size_t count, const float* xs, const float*, float* ys) {
    ForEachVector(count, xs, nullptr, ys,
                  [dd](VD vx, VD) { return KeepNaN(vx, M::Forward(dd, vx)); });
  };
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  using T = FastTableFor<kAct>;
  if constexpr (T::kHas) {
    FastLoop(n, x, nullptr, y, T::kFwd, ActOp<false, T::kIdentityAbove0>(), slow);
    return;
  }
#endif
  slow(n, x, nullptr, y);
}

template <int kAct>
void BackwardLoop(size_t n, const float* x, const float* dy, float* dx) {
  using M = Math<kAct>;
  if constexpr (requires { M::kExactInFloat; }) {
    return FloatLoop<M>(n, x, dy, dx);
  }
  const DD dd;
  auto slow = [dd](size_t count, const float* xs, const float* dys, float* dxs) {
    ForEachVector(count, xs, dys, dxs,
                  [dd](VD vx, VD vdy) { return KeepNaN(vx, hn::Mul(vdy, M::Derivative(dd, vx))); });
  };
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  using T = FastTableFor<kAct>;
  if constexpr (T::kHas) {
    FastLoop(n, x, dy, dx, T::kBwd, ActOp<true, T::kIdentityAbove0>(), slow);
    return;
  }
#endif
  slow(n, x, dy, dx);
}

}  // namespace

void ForwardF32(int act, size_t n, const float* x, float* y) {
  switch (act) {
#define X(ID, NAME, ENUM, DESC) \
  case ID:                      \
    return ForwardLoop<ID>(n, x, y);
#include "src/act/activations.def"
#undef X
    default:
      return;  // validated by the caller
  }
}

void BackwardF32(int act, size_t n, const float* x, const float* dy, float* dx) {
  switch (act) {
#define X(ID, NAME, ENUM, DESC) \
  case ID:                      \
    return BackwardLoop<ID>(n, x, dy, dx);
#include "src/act/activations.def"
#undef X
    default:
      return;
  }
}

// y = x * Phi((x - mu) / sigma). Where the CDF is 0 (z < -40) the product is a signed zero,
// also for x = -inf. On AVX-512 the lanes with |z| < 3.875 take the table path of Phi
// (GaussianForwardOp), when mu and 1 / sigma leave z room in float (GaussianOpBase::Fits); the
// others, and every lane elsewhere, the double path.
void GaussianForwardF32(double mu, double sigma, size_t n, const float* x, float* y) {
  const DD dd;
  const VD vmu = hn::Set(dd, mu);
  const double inv_sigma = 1.0 / sigma;
  const VD vinv_sigma = hn::Set(dd, inv_sigma);  // z by a multiply: no division per vector
  auto slow = [&](size_t count, const float* xs, const float*, float* ys) {
    ForEachVector(count, xs, nullptr, ys, [&](VD vx, VD) {
      const VD z = hn::Mul(hn::Sub(vx, vmu), vinv_sigma);
      const VD zc = hn::Max(hn::Min(z, hn::Set(dd, 40.0)), hn::Set(dd, -40.0));
      VD e;
      const VD cdf = NormalCdf(dd, zc, &e);
      const VD zero = hn::CopySign(hn::Zero(dd), vx);
      return KeepNaN(vx, hn::IfThenElse(hn::Lt(z, hn::Set(dd, -40.0)), zero, hn::Mul(vx, cdf)));
    });
  };
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  if (GaussianOpBase::Fits(mu, inv_sigma)) {
    const GaussianForwardOp op{GaussianOpBase::For(mu, inv_sigma)};
    FastLoop(n, x, nullptr, y, kNormalCdfTable, op, slow);
    return;
  }
#endif
  slow(n, x, nullptr, y);
}

// dx = dy * (Phi(z) + x phi(z) / sigma); sums[0] += dy * (-x phi(z) / sigma) (d/dmu),
// sums[1] += dy * (-x phi(z) z / sigma) (d/dsigma). The sums are taken in a fixed order, so
// they depend only on n, the data and the target. On AVX-512, when |mu / sigma| <= 64 and mu
// and 1 / sigma leave z room in float, most lanes take the table path (GaussianBackwardOp, dx
// and their shares of the sums); the others, and every lane elsewhere, the double path.
void GaussianBackwardF32(double mu, double sigma, size_t n, const float* x, const float* dy,
                         float* dx, double* sums) {
  const DD dd;
  const VD vmu = hn::Set(dd, mu);
  const double inv_sigma = 1.0 / sigma;
  const VD vinv_sigma = hn::Set(dd, inv_sigma);  // z by a multiply: no division per vector
  const VD inv_sqrt_2pi_sigma = hn::Set(dd, 0.39894228040143267794 / sigma);
  // The double path of lanes at xs (dys, dxs), adding their shares of the sums.
  auto slow = [&](size_t count, const float* xs, const float* dys, float* dxs) {
    VD acc_mu = hn::Zero(dd);
    VD acc_sigma = hn::Zero(dd);
    ForEachVector(count, xs, dys, dxs, [&](VD vx, VD vdy) {
      const VD z = hn::Mul(hn::Sub(vx, vmu), vinv_sigma);
      const VD zc = hn::Max(hn::Min(z, hn::Set(dd, 40.0)), hn::Set(dd, -40.0));
      VD e;
      const VD cdf = NormalCdf(dd, zc, &e);
      // phi(z) is 0 for |z| >= 40; x is zeroed there too so that x = +-inf gives 0, not NaN.
      // NaN x keeps NaN (the comparison is false), which then reaches the sums.
      const VD xt = hn::IfThenElse(hn::Ge(hn::Abs(z), hn::Set(dd, 40.0)), hn::Zero(dd), vx);
      const VD g = hn::Mul(hn::Mul(xt, e), inv_sqrt_2pi_sigma);  // x phi(z) / sigma
      const VD dyg = hn::Mul(vdy, g);
      acc_mu = hn::Sub(acc_mu, dyg);
      acc_sigma = hn::NegMulAdd(dyg, zc, acc_sigma);
      return KeepNaN(vx, hn::Mul(vdy, hn::Add(cdf, g)));
    });
    sums[0] += hn::GetLane(hn::SumOfLanes(dd, acc_mu));
    sums[1] += hn::GetLane(hn::SumOfLanes(dd, acc_sigma));
  };
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  const double m = mu * inv_sigma;
  if (GaussianOpBase::Fits(mu, inv_sigma) && m >= -64.0 && m <= 64.0) {
    const DF16 df;
    HWY_ALIGN float table[FastTablesN<1>::kRows][32];
    BuildGaussianBackwardTable(m, table);
    const GaussianBackwardOp op{
        GaussianOpBase::For(mu, inv_sigma),
        hn::Set(df, static_cast<float>(0x1p-8 * HWY_MAX(1.0, m < 0 ? -m : m))), mu, inv_sigma,
        sums};
    FastLoop(n, x, dy, dx, table, op, slow);
    return;
  }
#endif
  slow(n, x, dy, dx);
}

const char* TargetName() { return hwy::TargetName(HWY_TARGET); }

}  // namespace HWY_NAMESPACE
}  // namespace gelu
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace gelu {
HWY_EXPORT(ForwardF32);
HWY_EXPORT(BackwardF32);
HWY_EXPORT(GaussianForwardF32);
HWY_EXPORT(GaussianBackwardF32);
HWY_EXPORT(TargetName);

void KernelForwardF32(int act, size_t n, const float* x, float* y) {
  HWY_DYNAMIC_DISPATCH(ForwardF32)(act, n, x, y);
}
void KernelBackwardF32(int act, size_t n, const float* x, const float* dy, float* dx) {
  HWY_DYNAMIC_DISPATCH(BackwardF32)(act, n, x, dy, dx);
}
void KernelGaussianForwardF32(double mu, double sigma, size_t n, const float* x, float* y) {
  HWY_DYNAMIC_DISPATCH(GaussianForwardF32)(mu, sigma, n, x, y);
}
void KernelGaussianBackwardF32(double mu, double sigma, size_t n, const float* x, const float* dy,
                               float* dx, double* sums) {
  HWY_DYNAMIC_DISPATCH(GaussianBackwardF32)(mu, sigma, n, x, dy, dx, sums);
}
const char* KernelTargetName() { return HWY_DYNAMIC_DISPATCH(TargetName)(); }
}  // namespace gelu
#endif  // HWY_ONCE
