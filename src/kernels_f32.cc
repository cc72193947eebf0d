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

// ---- Gated activations: y = f(a) * b; backward da = dy * b * f'(a), db = dy * f(a). ----------

// Activations exact in float (relu): f(a) is exact, so each product is rounded once.
template <class M>
void GatedFloatLoop(size_t n, const float* a, const float* b, const float* dy, float* y_or_da,
                    float* db) {
  const hn::ScalableTag<float> df;
  const size_t lanes = hn::Lanes(df);
  auto one = [&](auto d, size_t i) {
    const auto va = hn::LoadU(d, a + i);
    const auto vb = hn::LoadU(d, b + i);
    const auto nan = hn::IsNaN(va);
    if (dy == nullptr) {
      hn::StoreU(hn::IfThenElse(nan, va, hn::Mul(M::Forward(d, va), vb)), d, y_or_da + i);
      return;
    }
    const auto vdy = hn::LoadU(d, dy + i);
    // fl(dy b) f'(a) with f' in {0, 1}: exact but for the one rounding of dy b.
    const auto da = hn::Mul(hn::Mul(vdy, vb), M::Derivative(d, va));
    const auto dbv = hn::Mul(M::Forward(d, va), vdy);
    hn::StoreU(hn::IfThenElse(nan, va, da), d, y_or_da + i);
    hn::StoreU(hn::IfThenElse(nan, va, dbv), d, db + i);
  };
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) one(df, i);
  for (; i < n; ++i) one(hn::CappedTag<float, 1>(), i);
}

// The double path of y = f(a) * g, one rounding: every lane on targets without tables, the
// lanes outside the tables' range on AVX-512.
template <class M>
void GatedForwardSlow(size_t n, const float* a, const float* g, float* y) {
  const DD dd;
  ForEachVector(n, a, g, y,
                [dd](VD va, VD vg) { return KeepNaN(va, hn::Mul(vg, M::Forward(dd, va))); });
}

template <int kAct>
void GatedForwardLoop(size_t n, const float* a, const float* b, float* y) {
  using M = Math<kAct>;
  if constexpr (requires { M::kExactInFloat; }) {
    return GatedFloatLoop<M>(n, a, b, nullptr, y, nullptr);
  }
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  using T = FastTableFor<kAct>;
  if constexpr (T::kHas) {
    FastLoop(n, a, b, y, T::kFwd, GatedOp<T::kIdentityAbove0>(), GatedForwardSlow<M>);
    return;
  }
#endif
  GatedForwardSlow<M>(n, a, b, y);
}

// The double path of the backward: f and f' from one evaluation (Math::ForwardDerivative, one
// normal CDF or sigmoid for both), da = (dy b) f'(a) and db = dy f(a) each rounded once.
template <class M>
void GatedBackwardSlow(size_t n, const float* a, const float* b, const float* dy, float* da,
                       float* db) {
  const DD dd;
  const DF df;
  const size_t lanes = hn::Lanes(dd);
  auto one = [&](VD va, VD vb, VD vdy, VD* vdb) {
    VD deriv;
    const VD f = M::ForwardDerivative(dd, va, &deriv);
    *vdb = KeepNaN(va, hn::Mul(vdy, f));
    return KeepNaN(va, hn::Mul(hn::Mul(vdy, vb), deriv));
  };
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    VD vdb;
    const VD vda =
        one(hn::PromoteTo(dd, hn::LoadU(df, a + i)), hn::PromoteTo(dd, hn::LoadU(df, b + i)),
            hn::PromoteTo(dd, hn::LoadU(df, dy + i)), &vdb);
    hn::StoreU(DemoteToF32(df, vda), df, da + i);
    hn::StoreU(DemoteToF32(df, vdb), df, db + i);
  }
  if (i < n) {
    const size_t rest = n - i;
    HWY_ALIGN float ba[HWY_MAX_BYTES / sizeof(double)] = {};
    HWY_ALIGN float bb[HWY_MAX_BYTES / sizeof(double)] = {};
    HWY_ALIGN float bdy[HWY_MAX_BYTES / sizeof(double)] = {};
    HWY_ALIGN float bda[HWY_MAX_BYTES / sizeof(double)];
    HWY_ALIGN float bdb[HWY_MAX_BYTES / sizeof(double)];
    memcpy(ba, a + i, rest * sizeof(float));
    memcpy(bb, b + i, rest * sizeof(float));
    memcpy(bdy, dy + i, rest * sizeof(float));
    VD vdb;
    const VD vda = one(hn::PromoteTo(dd, hn::Load(df, ba)), hn::PromoteTo(dd, hn::Load(df, bb)),
                       hn::PromoteTo(dd, hn::Load(df, bdy)), &vdb);
    hn::Store(DemoteToF32(df, vda), df, bda);
    hn::Store(DemoteToF32(df, vdb), df, bdb);
    memcpy(da + i, bda, rest * sizeof(float));
    memcpy(db + i, bdb, rest * sizeof(float));
  }
}

// On AVX-512 the tables hold F or F', not both (16 registers each), so the backward runs three
// table-speed passes per chunk of 1024 floats in L1: g = fl(dy b), db = dy F(a) (GatedOp with
// dy in the gate's place), da = g F'(a) (the backward op). The order lets da be a, b or dy and db
// be b or dy. fl(dy b) adds at most half an ULP to da's bound.
template <int kAct>
void GatedBackwardSmooth(size_t n, const float* a, const float* b, const float* dy, float* da,
                         float* db) {
  using M = Math<kAct>;
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  using T = FastTableFor<kAct>;
  if constexpr (T::kHas) {
    const hn::ScalableTag<float> df;
    const size_t lanes = hn::Lanes(df);
    constexpr size_t kChunk = 1024;
    HWY_ALIGN float g[kChunk];
    auto slow_bwd = [](size_t count, const float* xs, const float* dys, float* dxs) {
      const DD dd;
      ForEachVector(count, xs, dys, dxs, [dd](VD vx, VD vdy) {
        return KeepNaN(vx, hn::Mul(vdy, M::Derivative(dd, vx)));
      });
    };
    for (size_t e = 0; e < n; e += kChunk) {
      const size_t len = HWY_MIN(kChunk, n - e);
      size_t k = 0;
      for (; k + lanes <= len; k += lanes) {
        hn::Store(hn::Mul(hn::LoadU(df, dy + e + k), hn::LoadU(df, b + e + k)), df, g + k);
      }
      for (; k < len; ++k) g[k] = dy[e + k] * b[e + k];
      FastLoop(len, a + e, dy + e, db + e, T::kFwd, GatedOp<T::kIdentityAbove0>(),
               GatedForwardSlow<M>);
      FastLoop(len, a + e, g, da + e, T::kBwd, ActOp<true, T::kIdentityAbove0>(), slow_bwd);
    }
    return;
  }
#endif
  GatedBackwardSlow<M>(n, a, b, dy, da, db);
}

template <int kAct>
void GatedBackwardLoop(size_t n, const float* a, const float* b, const float* dy, float* da,
                       float* db) {
  using M = Math<kAct>;
  if constexpr (requires { M::kExactInFloat; }) {
    GatedFloatLoop<M>(n, a, b, dy, da, db);
  } else {
    GatedBackwardSmooth<kAct>(n, a, b, dy, da, db);
  }
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

void GatedForwardF32(int act, size_t n, const float* a, const float* b, float* y) {
  switch (act) {
#define X(ID, NAME, ENUM, DESC) \
  case ID:                      \
    return GatedForwardLoop<ID>(n, a, b, y);
#include "src/act/activations.def"
#undef X
    default:
      return;
  }
}

void GatedBackwardF32(int act, size_t n, const float* a, const float* b, const float* dy, float* da,
                      float* db) {
  switch (act) {
#define X(ID, NAME, ENUM, DESC) \
  case ID:                      \
    return GatedBackwardLoop<ID>(n, a, b, dy, da, db);
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
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "src/dispatch.hpp"

namespace gelu {

std::atomic<int> g_pinned_index{-1};

// The HWY_EXPORT table index of the target named `name` ("AVX3", "AVX2", "SSE4", "SCALAR" or
// "EMU128" for the portable fallback, as hwy::TargetName prints them), or -1 when this CPU lacks
// it or libgelu has no code for it. The fallback is the table's last entry; the others sit at
// the bit HWY_CHOSEN_TARGET_SHIFT gives them, as in Highway's own ChosenTarget.
int TargetIndex(const char* name) {
  for (const int64_t t : hwy::SupportedAndGeneratedTargets()) {
    if (std::strcmp(hwy::TargetName(t), name) != 0) continue;
    int64_t mask = HWY_CHOSEN_TARGET_SHIFT(t);
    if (mask == 0) mask = HWY_CHOSEN_TARGET_MASK_SCALAR;  // SCALAR / EMU128
    mask &= HWY_CHOSEN_TARGET_MASK_TARGETS;
    if (mask == 0) return -1;
    return static_cast<int>(hwy::Num0BitsBelowLS1Bit_Nonzero64(static_cast<uint64_t>(mask)));
  }
  return -1;
}

bool PinTarget(const char* name) {
  if (name == nullptr) {
    g_pinned_index.store(-1);
    return true;
  }
  const int index = TargetIndex(name);
  if (index < 0) return false;
  g_pinned_index.store(index);
  return true;
}

std::string AvailableTargets() {
  std::string s;
  for (const int64_t t : hwy::SupportedAndGeneratedTargets()) {
    s += s.empty() ? "" : ", ";
    s += hwy::TargetName(t);
  }
  return s;
}

namespace {
// GELU_SIMD_TARGET at load time: a name pins it; an unknown or unavailable one is reported on
// stderr and the automatic choice stays (a library must not exit its host program).
const bool kEnvTargetApplied = [] {
  const char* env = std::getenv("GELU_SIMD_TARGET");
  if (env == nullptr || *env == '\0') return false;
  if (PinTarget(env)) return true;
  std::fprintf(stderr,
               "libgelu: GELU_SIMD_TARGET=%s is not a target this CPU and build have (have: %s); "
               "using the automatic choice\n",
               env, AvailableTargets().c_str());
  return false;
}();
}  // namespace

HWY_EXPORT(ForwardF32);
HWY_EXPORT(BackwardF32);
HWY_EXPORT(GaussianForwardF32);
HWY_EXPORT(GaussianBackwardF32);
HWY_EXPORT(GatedForwardF32);
HWY_EXPORT(GatedBackwardF32);
HWY_EXPORT(TargetName);

void KernelForwardF32(int act, size_t n, const float* x, float* y) {
  GELU_DISPATCH(ForwardF32)(act, n, x, y);
}
void KernelBackwardF32(int act, size_t n, const float* x, const float* dy, float* dx) {
  GELU_DISPATCH(BackwardF32)(act, n, x, dy, dx);
}
void KernelGaussianForwardF32(double mu, double sigma, size_t n, const float* x, float* y) {
  GELU_DISPATCH(GaussianForwardF32)(mu, sigma, n, x, y);
}
void KernelGaussianBackwardF32(double mu, double sigma, size_t n, const float* x, const float* dy,
                               float* dx, double* sums) {
  GELU_DISPATCH(GaussianBackwardF32)(mu, sigma, n, x, dy, dx, sums);
}
void KernelGatedForwardF32(int act, size_t n, const float* a, const float* b, float* y) {
  GELU_DISPATCH(GatedForwardF32)(act, n, a, b, y);
}
void KernelGatedBackwardF32(int act, size_t n, const float* a, const float* b, const float* dy,
                            float* da, float* db) {
  GELU_DISPATCH(GatedBackwardF32)(act, n, a, b, dy, da, db);
}
const char* KernelTargetName() { return GELU_DISPATCH(TargetName)(); }
}  // namespace gelu
#endif  // HWY_ONCE
