// Fast fp32 path on AVX-512 targets for gelu, gelu_tanh, gelu_sigmoid, silu and elu, forward
// and backward, and for gaussian_gelu (z = (x - mu) / sigma; forward from the normal CDF,
// backward from a table of its derivative built per call, the parameter sums from a float
// e^(-z^2/2) in the same pass). For |x| < 3.875 (99.99% of N(0,1) inputs) it evaluates a
// degree-5 polynomial in d = x - k/4 per interval of width 1/4 in float, with the tables
// (src/act/gelu_tables.inc, from tools/fit_gelu_tables.py) held in registers and read by
// two-register permutes. The large terms F(c) + a0 d are added exactly (Fast2Sum or 2Sum) so
// the result is rounded once. Measured over all 2^32 inputs (docs/ACCURACY.md): gelu <= 0.880
// ULP forward, 1.031 backward (contract 4: next to the root of f'); the others <= 1.11 forward
// and 1.51 backward; gaussian_gelu forward 0.98 at (0, 1), <= 1.16 at the other parameters
// swept, backward: see GaussianBackwardOp. Lanes outside the range take the double-precision
// path of src/act/math-inl.h, gathered into full vectors (FastLoop); NaN stays on the table
// path, which returns it quieted.

#if defined(GELU_SRC_ACT_GELU_FAST_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef GELU_SRC_ACT_GELU_FAST_INL_H_
#undef GELU_SRC_ACT_GELU_FAST_INL_H_
#else
#define GELU_SRC_ACT_GELU_FAST_INL_H_
#endif

#include <stdint.h>
#include <string.h>

#include "hwy/cache_control.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace gelu {
namespace HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3

#include "src/act/gelu_tables.inc"

// The tables of activation kAct (activations.def id), if it has a fast path. kIdentityAbove0:
// F(x) = x for x > 0 (elu), the tables continue the negative branch smoothly past 0.
template <int kAct>
struct FastTableFor {
  static constexpr bool kHas = false;
};
#define GELU_FAST_TABLE(ID, NAME, IDENTITY_ABOVE_0)               \
  template <>                                                     \
  struct FastTableFor<ID> {                                       \
    static constexpr bool kHas = true;                            \
    static constexpr bool kIdentityAbove0 = IDENTITY_ABOVE_0;     \
    static constexpr const float (*kFwd)[32] = k##NAME##FwdTable; \
    static constexpr const float (*kBwd)[32] = k##NAME##BwdTable; \
  };
GELU_FAST_TABLE(0, Gelu, false)
GELU_FAST_TABLE(1, GeluTanh, false)
GELU_FAST_TABLE(2, GeluSigmoid, false)
GELU_FAST_TABLE(3, Silu, false)
GELU_FAST_TABLE(5, Elu, true)
#undef GELU_FAST_TABLE

// The rows of one table in registers. kExtraRows = 1 adds row kA0Lo, a0's rounding error
// (gaussian_gelu backward's per-call tables, whose root can sit anywhere in an interval).
template <int kExtraRows = 0>
class FastTablesN {
 public:
  explicit FastTablesN(const float (*table)[32]) {
    for (int r = 0; r < kRows; ++r) {
      lo_[r] = _mm512_load_ps(table[r]);
      hi_[r] = _mm512_load_ps(table[r] + 16);
      // Opaque from here: the compiler cannot fold the rows into memory operands of the
      // permutes (reloading them at every use) and must keep them in registers.
      asm("" : "+v"(lo_[r]), "+v"(hi_[r]));
    }
  }
  // Row r of the table at each lane's interval: the permute reads the low 5 bits of k.
  HWY_INLINE hn::Vec512<float> At(int r, __m512i idx) const {
    return hn::Vec512<float>{_mm512_permutex2var_ps(lo_[r], idx, hi_[r])};
  }
  static constexpr bool kHasA0Lo = kExtraRows > 0;
  static constexpr int kHi = kFastDegree + 1;  // rows a0..a[kFastDegree], then hi, lo
  static constexpr int kLo = kFastDegree + 2;
  static constexpr int kA0Lo = kFastDegree + 3;
  static constexpr int kRows = kFastDegree + 3 + kExtraRows;

 private:
  __m512 lo_[kRows];
  __m512 hi_[kRows];
};
using FastTables = FastTablesN<0>;

using DF16 = hn::Full512<float>;
using VF16 = hn::Vec512<float>;
constexpr float kFastLimit = 3.875f;  // |x| below this: 4x rounds to -15..15

// F(c + d) = hi + pp + tail: F(c) = hi + lo from the table, pp = a0 d rounded, and tail = the
// rounding error of pp + lo + d^2 (a1 + a2 d + ... + a5 d^4). Forward and backward differ only
// in how they add hi + pp exactly.
struct FastParts {
  VF16 hi;
  VF16 pp;
  VF16 tail;
};

// a + b = s + err exactly (Knuth's 2Sum, any magnitudes; round to nearest).
HWY_INLINE VF16 TwoSum(VF16 a, VF16 b, VF16* err) {
  const VF16 s = hn::Add(a, b);
  const VF16 bb = hn::Sub(s, a);
  *err = hn::Add(hn::Sub(a, hn::Sub(s, bb)), hn::Sub(b, bb));
  return s;
}

// a + b = s + err exactly when |a| >= |b| or a = 0 (Dekker's Fast2Sum).
HWY_INLINE VF16 FastTwoSum(VF16 a, VF16 b, VF16* err) {
  const VF16 s = hn::Add(a, b);
  *err = hn::Add(hn::Sub(a, s), b);
  return s;
}

// k = round(4x) (ties to even) by the 1.5 * 2^23 trick: for |4x| < 2^22, 4x + 1.5 * 2^23 lies
// in [2^23, 2^24), where floats are the integers, so the fma rounds it to the integer k + 1.5 *
// 2^23 whose low mantissa bits are k in two's complement: the permute reads them directly (no
// round, no float-to-int conversion with its out-of-range fix-up). Lanes outside the fast range
// get some index in 0..31, harmless: their results are replaced. d = x - k/4 is exact (|d| <=
// 1/8, x and k/4 floats) and comes from one vreduceps (AVX512DQ: x - round(x 2^2) 2^-2, ties to
// even like the fma above), one instruction fewer than k = shifted - magic, d = x - k/4.
// With kCorrected, the argument is x + dx (|dx| about one float ULP of x, gaussian_gelu's z):
// d + dx is rounded to dd for the polynomial and its rounding error ed, at most 2^-27, enters as
// a0 ed. Adding dx itself as a0 dx would leave (F'(x) - a0) dx, which for Phi at z = -3.6 is
// 3e-7 of the result.
// With t's row kA0Lo, a0 is the float pair a0 + a0lo and a0lo d joins the tail.
template <bool kCorrected = false, class Tables = FastTables>
HWY_INLINE FastParts FastEval(const Tables& t, VF16 x, VF16 dx = VF16()) {
  const DF16 df;
  const hn::Full512<int32_t> di;
  const VF16 shifted = hn::MulAdd(x, hn::Set(df, 4.0f), hn::Set(df, 0x1.8p23f));
  constexpr int kReduceQuarters = (2 << 4) | 8;  // M = 2 fraction bits, nearest, no exception
  VF16 d{_mm512_reduce_ps(x.raw, kReduceQuarters)};
  VF16 ed;
  if constexpr (kCorrected) d = TwoSum(d, dx, &ed);  // d + dx = dd + ed exactly
  const __m512i idx = hn::BitCast(di, shifted).raw;
  VF16 s1 = t.At(kFastDegree, idx);
  for (int r = kFastDegree - 1; r >= 1; --r) s1 = hn::MulAdd(s1, d, t.At(r, idx));
  const VF16 a0 = t.At(0, idx);
  FastParts p;
  p.pp = hn::Mul(a0, d);
  VF16 pe = hn::MulSub(a0, d, p.pp);
  if constexpr (kCorrected) pe = hn::MulAdd(a0, ed, pe);
  p.hi = t.At(Tables::kHi, idx);
  VF16 small = hn::Add(pe, t.At(Tables::kLo, idx));
  if constexpr (Tables::kHasA0Lo) small = hn::MulAdd(t.At(Tables::kA0Lo, idx), d, small);
  p.tail = hn::MulAdd(hn::Mul(d, d), s1, small);
  return p;
}

// y = F(x) for |x| < kFastLimit. |hi| >= |a0 d| on every interval (at c = 0, hi = 0 and a0 d =
// x/2 is exact), so Fast2Sum gives hi + pp exactly as s + e; the rest is small and the sum is
// rounded once. y has the sign of x for every tabulated F, which also fixes x = -0.
HWY_INLINE VF16 FastForward(const FastTables& t, VF16 x) {
  const FastParts p = FastEval(t, x);
  VF16 e;
  const VF16 s = FastTwoSum(p.hi, p.pp, &e);
  return hn::CopySign(hn::Add(s, hn::Add(e, p.tail)), x);
}

// v with +-inf replaced by +-FLT_MAX (NaN stays NaN), in one vrangeps (AVX512DQ: the smaller
// magnitude of v and FLT_MAX, with v's sign). The small correction term lo of a result
// g (s + lo) is multiplied by this: an infinite g times a lo of the other sign (or 0) would make
// g s + g lo = inf - inf = NaN, where the true product is +-inf. |lo| <= ulp(s), so FLT_MAX lo
// stays finite and g s alone gives the infinity. Cost: about 2% of gelu backward at 64K (CPU
// time, bench_gelu, against the commit before).
HWY_INLINE VF16 ClampToFinite(VF16 v) {
  constexpr int kMinAbsSignFromSrc1 = 0x02;
  return VF16{_mm512_range_ps(v.raw, _mm512_set1_ps(3.40282347e38f), kMinAbsSignFromSrc1)};
}

// dx = dy F'(x) for |x| < kFastLimit. Near a root of F' (gelu: x = -0.7518, in the interval at
// -3/4) hi and a0 d have similar size and opposite signs: 2Sum keeps their sum exact.
HWY_INLINE VF16 FastBackward(const FastTables& t, VF16 x, VF16 dy) {
  const FastParts p = FastEval(t, x);
  VF16 e;
  const VF16 s = TwoSum(p.hi, p.pp, &e);
  const VF16 g_lo = hn::Add(e, p.tail);
  return hn::MulAdd(dy, s, hn::Mul(ClampToFinite(dy), g_lo));
}

// Lanes outside the fast range, waiting for the double path: their x (and dy) and their index
// from the caller's base. The hot loop stops once it holds kLanes of them, so it never holds
// more than kLanes - 1 + 2 * kLanes.
struct FastQueue {
  static constexpr size_t kLanes = 16;
  alignas(64) float x[3 * kLanes];
  alignas(64) float dy[3 * kLanes];
  alignas(64) int32_t idx[3 * kLanes];
  size_t count = 0;
};

// The lanes the tables do not cover: x <= -kFastLimit where F is the identity above 0 (elu),
// |x| >= kFastLimit otherwise. NaN is not outside: the table path turns it into NaN (d = NaN
// reaches every sum), like the double path would.
template <bool kIdentityAbove0>
HWY_INLINE hn::Mask<DF16> FastOutside(VF16 x) {
  const DF16 df;
  if constexpr (kIdentityAbove0) return hn::Le(x, hn::Set(df, -kFastLimit));
  return hn::Ge(hn::Abs(x), hn::Set(df, kFastLimit));
}

// The same test for two vectors at once, true where a lane of either is outside (and possibly
// elsewhere): one vrangeps (AVX512DQ: per pair of lanes the smaller value, or the one larger in
// magnitude) and one compare for 32 lanes. vrangeps lets a quiet NaN give way to the other
// operand but turns a signalling NaN into a NaN result, which would hide the other lane: so a
// NaN result counts as outside here (unordered compare), and FastRun then tests each vector on
// its own with FastOutside.
template <bool kIdentityAbove0>
HWY_INLINE hn::Mask<DF16> FastOutside2(VF16 x0, VF16 x1) {
  constexpr int kRangeMin = 0x4;     // min, sign of the selected value
  constexpr int kRangeMaxAbs = 0xB;  // max |.|, sign cleared
  if constexpr (kIdentityAbove0) {
    const __m512 m = _mm512_range_ps(x0.raw, x1.raw, kRangeMin);
    return hn::Mask<DF16>{_mm512_cmp_ps_mask(m, _mm512_set1_ps(-kFastLimit), _CMP_NGT_UQ)};
  }
  const __m512 m = _mm512_range_ps(x0.raw, x1.raw, kRangeMaxAbs);
  return hn::Mask<DF16>{_mm512_cmp_ps_mask(m, _mm512_set1_ps(kFastLimit), _CMP_NLT_UQ)};
}

// What an op of FastRun has beyond Key/Outside/Eval; ops without it derive from this. kExtraRows:
// rows past lo in its table (FastTablesN). With kRedo, Eval also marks lanes whose table result
// is not good enough, which then go to the double path like the lanes outside the range.
struct FastOpBase {
  static constexpr int kExtraRows = 0;
  static constexpr bool kRedo = false;
  // What the op accumulates over the lanes its table path keeps (Eval adds to it), handed to
  // Finish once every lane is done.
  struct State {};
  HWY_INLINE State Init() const { return State{}; }
  HWY_INLINE void Finish(const State&) const {}
};

// FastOutside for z, with NaN outside too (|z| < kFastLimit fails).
HWY_INLINE hn::Mask<DF16> FastOutsideOrNaN(VF16 z) {
  return hn::Mask<DF16>{
      _mm512_cmp_ps_mask(hn::Abs(z).raw, _mm512_set1_ps(kFastLimit), _CMP_NLT_UQ)};
}

// The table path of activation F (tables given to FastRun): forward F(x) or backward dy F'(x);
// kIdentityAbove0: F(x) = x for x > 0 (elu). The range test is on x itself.
template <bool kBackward, bool kIdentityAbove0>
struct ActOp : FastOpBase {
  static constexpr bool kHasDy = kBackward;
  HWY_INLINE float Pad() const { return 0.0f; }  // an input inside the range
  HWY_INLINE VF16 Key(VF16 x) const { return x; }
  HWY_INLINE hn::Mask<DF16> Outside(VF16 key) const { return FastOutside<kIdentityAbove0>(key); }
  HWY_INLINE hn::Mask<DF16> Outside2(VF16 k0, VF16 k1) const {
    return FastOutside2<kIdentityAbove0>(k0, k1);
  }
  HWY_INLINE VF16 Eval(const FastTables& t, VF16 x, VF16 dy, hn::Mask<DF16>*, State*) const {
    const DF16 df;
    if constexpr (kBackward) {
      const VF16 r = FastBackward(t, x, dy);
      if constexpr (kIdentityAbove0) return hn::IfThenElse(hn::Gt(x, hn::Zero(df)), dy, r);
      return r;
    } else {
      const VF16 r = FastForward(t, x);
      if constexpr (kIdentityAbove0) return hn::IfThenElse(hn::Gt(x, hn::Zero(df)), x, r);
      return r;
    }
  }
};

// The table path of a gated activation: y = F(x) * g with one rounding (g is the gate value b,
// or dy for the gated backward's db; it comes in dy's place). F(x) = s + lo exactly as in
// FastForward, then y = fma(g, s, g lo): the table's error (<= 0.38 ULP of F beyond its own
// rounding) plus one rounding. The sign of y is sign(x) xor sign(g): F has the sign of x, which
// also fixes x = -0 and g = -0. kIdentityAbove0: F(x) = x for x > 0 (elu).
template <bool kIdentityAbove0>
struct GatedOp : FastOpBase {
  static constexpr bool kHasDy = true;
  HWY_INLINE float Pad() const { return 0.0f; }
  HWY_INLINE VF16 Key(VF16 x) const { return x; }
  HWY_INLINE hn::Mask<DF16> Outside(VF16 key) const { return FastOutside<kIdentityAbove0>(key); }
  HWY_INLINE hn::Mask<DF16> Outside2(VF16 k0, VF16 k1) const {
    return FastOutside2<kIdentityAbove0>(k0, k1);
  }
  HWY_INLINE VF16 Eval(const FastTables& t, VF16 x, VF16 g, hn::Mask<DF16>*, State*) const {
    const DF16 df;
    const FastParts p = FastEval(t, x);
    VF16 e;
    const VF16 s = FastTwoSum(p.hi, p.pp, &e);
    const VF16 r = hn::CopySign(hn::MulAdd(g, s, hn::Mul(ClampToFinite(g), hn::Add(e, p.tail))),
                                hn::Xor(x, g));
    if constexpr (kIdentityAbove0) return hn::IfThenElse(hn::Gt(x, hn::Zero(df)), hn::Mul(x, g), r);
    return r;
  }
};

// z = (x - mu) / sigma as zh + zl (relative error about 2^-46): x - mu = ah + al exactly
// (2Sum), 1 / sigma = rh + rl, zh = ah rh and zl the rest.
HWY_INLINE VF16 GaussianZ(VF16 x, VF16 neg_mu, VF16 rh, VF16 rl, VF16* zl) {
  VF16 al;
  const VF16 ah = TwoSum(x, neg_mu, &al);
  const VF16 zh = hn::Mul(ah, rh);
  *zl = hn::Add(hn::MulSub(ah, rh, zh), hn::MulAdd(ah, rl, hn::Mul(al, rh)));
  return zh;
}

// What gaussian_gelu's ops share: the parameters of z = (x - mu) / sigma (-mu, and 1 / sigma as
// rh + rl), the padding (z = 0), and the range test on zh.
struct GaussianOpBase : FastOpBase {
  VF16 neg_mu;
  VF16 rh;
  VF16 rl;

  // Whether z has room in float: |mu| <= 2^60 and 1 / sigma in [2^-60, 2^60].
  static bool Fits(double mu, double inv_sigma) {
    return mu >= -0x1p60 && mu <= 0x1p60 && inv_sigma >= 0x1p-60 && inv_sigma <= 0x1p60;
  }
  static GaussianOpBase For(double mu, double inv_sigma) {
    const DF16 df;
    const auto rh = static_cast<float>(inv_sigma);
    return GaussianOpBase{{},
                          hn::Set(df, static_cast<float>(-mu)),
                          hn::Set(df, rh),
                          hn::Set(df, static_cast<float>(inv_sigma - static_cast<double>(rh)))};
  }

  HWY_INLINE float Pad() const { return -hn::GetLane(neg_mu); }  // z = 0
  HWY_INLINE VF16 Key(VF16 x) const { return hn::Mul(hn::Add(x, neg_mu), rh); }
  HWY_INLINE hn::Mask<DF16> Outside2(VF16 z0, VF16 z1) const { return FastOutside2<false>(z0, z1); }
  // The table t at z = zh + zl (FastEval<true>), and zh, zl.
  template <class Tables>
  HWY_INLINE FastParts AtZ(const Tables& t, VF16 x, VF16* zh, VF16* zl) const {
    *zh = GaussianZ(x, neg_mu, rh, rl, zl);
    return FastEval<true>(t, *zh, *zl);
  }
  HWY_INLINE FastParts AtZ(const FastTables& t, VF16 x) const {
    VF16 zh;
    VF16 zl;
    return AtZ(t, x, &zh, &zl);
  }
};

// gaussian_gelu forward, y = x Phi(z), z = (x - mu) / sigma, from the tables of Phi. z must be
// known to better than float: an error of e in z moves Phi(z) by phi(z) e, up to 16 times e
// relative at z = -3.875. So x - mu is kept exactly as ah + al (2Sum), 1 / sigma as the float
// pair rh + rl, and z = zh + zl with zh = ah rh and zl the rest (relative error about 2^-46).
// Phi(zh + zl) = hi + pp + tail (FastEval<true>; Phi(c) = hi + lo >= |a0 d| on every interval,
// so Fast2Sum is exact), and y = x (s + rest) rounds once (the fma keeps x s exact). The lanes
// with |zh| >= kFastLimit go to the double path; Key() gives zh for that test.
struct GaussianForwardOp : GaussianOpBase {
  static constexpr bool kHasDy = false;

  HWY_INLINE hn::Mask<DF16> Outside(VF16 zh) const { return FastOutside<false>(zh); }
  HWY_INLINE VF16 Eval(const FastTables& t, VF16 x, VF16, hn::Mask<DF16>*, State*) const {
    const FastParts p = AtZ(t, x);
    VF16 e;
    const VF16 s = FastTwoSum(p.hi, p.pp, &e);
    const VF16 rest = hn::Add(e, p.tail);
    return hn::CopySign(hn::MulAdd(x, s, hn::Mul(x, rest)), x);  // also x = -0: -0
  }
};

// e^(-z^2/2) for |z| < kFastLimit, z = zh + zl, within about 1 ULP. -z^2/2 = u + ulo with
// u = -zh^2/2 rounded and ulo its exact error (fma) less zh zl; k = round(u / ln 2), and
// r = u - k ln 2 (ln 2 as a pair, k ln2_hi exact for |k| < 2^7) + ulo, |r| <= 0.35; e^r by its
// Taylor polynomial of degree 7 (truncation 2^-27.5 relative), scaled by 2^k (vscalefps).
// Highway's Exp (1 ULP) takes one float and handles the whole float range; this one folds ulo
// into the reduced argument and, for |z| < kFastLimit only, needs 17 vector uops against about 25.
HWY_INLINE VF16 ExpHalfSquare(VF16 zh, VF16 zl) {
  const DF16 df;
  const VF16 hz = hn::Mul(zh, hn::Set(df, -0.5f));
  const VF16 u = hn::Mul(hz, zh);
  const VF16 ulo = hn::NegMulAdd(zh, zl, hn::MulSub(hz, zh, u));
  const VF16 k = hn::Round(hn::Mul(u, hn::Set(df, 1.44269504f)));
  VF16 r = hn::NegMulAdd(k, hn::Set(df, 0.693145751953125f), u);  // ln 2, 16 bits
  r = hn::NegMulAdd(k, hn::Set(df, 1.42860677e-6f), r);           // the rest of ln 2
  r = hn::Add(r, ulo);
  VF16 p = hn::Set(df, 1.0f / 5040.0f);
  p = hn::MulAdd(p, r, hn::Set(df, 1.0f / 720.0f));
  p = hn::MulAdd(p, r, hn::Set(df, 1.0f / 120.0f));
  p = hn::MulAdd(p, r, hn::Set(df, 1.0f / 24.0f));
  p = hn::MulAdd(p, r, hn::Set(df, 1.0f / 6.0f));
  p = hn::MulAdd(p, r, hn::Set(df, 0.5f));
  p = hn::MulAdd(p, r, hn::Set(df, 1.0f));
  p = hn::MulAdd(p, r, hn::Set(df, 1.0f));
  return VF16{_mm512_scalef_ps(p.raw, k.raw)};
}

// gaussian_gelu backward: dx = dy f'(x) with f'(x) = Phi(z) + (x / sigma) phi(z), which as a
// function of z is G'(z) + m phi(z) (G = gelu, m = mu / sigma). Its table (9 rows, built per
// call by BuildGaussianBackwardTable) is that sum of gelu's F' and phi, so FastEval<true> at
// z = zh + zl gives f' as hi + pp + tail like FastBackward. f' has one root, which moves with m
// and can fall anywhere in an interval: there the rounding of the float coefficients (a0's is
// kept as the extra row) and of the tail leave an absolute error of up to about 2^-30, which
// on 4M sampled z per (mu, sigma) at 11 settings, |m| <= 64, was <= 2.1 ULP where
// 2^-8 <= |f'| < 2^-6 but up to 7.9 ULP below 2^-8. So the lanes with |f'| < redo_below
// (2^-8 max(1, |m|)) take the double path (kRedo), as do the lanes with |zh| >= kFastLimit or
// NaN; docs/ACCURACY.md has the exhaustive sweeps. The same pass sums dy x e and dy x e (x - mu),
// e = e^(-z^2/2) (ExpHalfSquare), in double over the lanes it keeps (State); the double path
// adds the other lanes' shares, and Finish scales by -1 / (sigma sqrt(2 pi)) (and 1 / sigma)
// into sums[0] (d/dmu) and sums[1] (d/dsigma).
struct GaussianBackwardOp : GaussianOpBase {
  static constexpr bool kHasDy = true;
  static constexpr int kExtraRows = 1;
  static constexpr bool kRedo = true;
  using DD8 = hn::Full512<double>;
  using VD8 = hn::Vec512<double>;
  struct State {
    VD8 sum[2];   // dy x e, lower and upper 8 lanes (independent chains of adds)
    VD8 sumz[2];  // dy x e (x - mu)
  };
  VF16 redo_below;
  double mu;
  double inv_sigma;
  double* sums;  // Finish adds d/dmu and d/dsigma here

  HWY_INLINE hn::Mask<DF16> Outside(VF16 zh) const { return FastOutsideOrNaN(zh); }
  template <class Tables>
  HWY_INLINE VF16 Eval(const Tables& t, VF16 x, VF16 dy, hn::Mask<DF16>* redo, State* st) const {
    const DD8 dd;
    const hn::Half<DF16> dh;
    VF16 zh;
    VF16 zl;
    const FastParts p = AtZ(t, x, &zh, &zl);
    VF16 err;
    const VF16 s = TwoSum(p.hi, p.pp, &err);
    const VF16 g_lo = hn::Add(err, p.tail);
    // The test is on f' = s + g_lo itself: s alone can be 10 times f' where the tail cancels it.
    *redo = hn::Lt(hn::Abs(hn::Add(s, g_lo)), redo_below);
    // The sums of the lanes that stay here (|zh| < kFastLimit, not NaN, not redone); the double
    // path adds the others'.
    const auto keep = static_cast<__mmask16>(~hn::Or(Outside(zh), *redo).raw);
    const VF16 parts[3] = {x, dy, ExpHalfSquare(zh, zl)};
    for (int h = 0; h < 2; ++h) {
      VD8 v[3];
      for (int j = 0; j < 3; ++j) {
        v[j] =
            hn::PromoteTo(dd, h == 0 ? hn::LowerHalf(dh, parts[j]) : hn::UpperHalf(dh, parts[j]));
      }
      const VD8 prod = hn::Mul(hn::Mul(v[0], v[1]), v[2]);
      const auto m = static_cast<__mmask8>(h == 0 ? keep : keep >> 8);
      st->sum[h].raw = _mm512_mask_add_pd(st->sum[h].raw, m, st->sum[h].raw, prod.raw);
      st->sumz[h].raw =
          _mm512_mask3_fmadd_pd(prod.raw, hn::Sub(v[0], hn::Set(dd, mu)).raw, st->sumz[h].raw, m);
    }
    return hn::MulAdd(dy, s, hn::Mul(dy, g_lo));
  }
  HWY_INLINE State Init() const {
    const DD8 dd;
    return State{{hn::Zero(dd), hn::Zero(dd)}, {hn::Zero(dd), hn::Zero(dd)}};
  }
  // d/dmu = -sum dy x phi(z) / sigma, d/dsigma = -sum dy x phi(z) z / sigma.
  HWY_INLINE void Finish(const State& st) const {
    const DD8 dd;
    const double scale = -0.39894228040143267794 * inv_sigma;
    sums[0] += scale * hn::GetLane(hn::SumOfLanes(dd, hn::Add(st.sum[0], st.sum[1])));
    sums[1] += scale * inv_sigma * hn::GetLane(hn::SumOfLanes(dd, hn::Add(st.sumz[0], st.sumz[1])));
  }
};

// gaussian_gelu backward's table for m = mu / sigma: rows a0..a5, hi, lo of G'(z) + m phi(z),
// summed in double from the unrounded tables and rounded to float, then a0's rounding error.
HWY_INLINE void BuildGaussianBackwardTable(double m, float (*out)[32]) {
  const hn::Full512<double> dd;
  const hn::Rebind<float, decltype(dd)> df8;
  const auto vm = hn::Set(dd, m);
  constexpr int kF = kFastDegree + 1;  // row of F(c) in the double tables
  using T = FastTablesN<1>;
  for (size_t c = 0; c < 32; c += hn::Lanes(dd)) {
    for (int j = 0; j <= kF; ++j) {
      const auto a = hn::MulAdd(vm, hn::Load(dd, kNormalPdfTableF64[j] + c),
                                hn::Load(dd, kGeluBwdTableF64[j] + c));
      const auto hi = hn::DemoteTo(df8, a);
      const auto lo = hn::DemoteTo(df8, hn::Sub(a, hn::PromoteTo(dd, hi)));
      hn::StoreU(hi, df8, out[j == kF ? T::kHi : j] + c);
      if (j == 0) hn::StoreU(lo, df8, out[T::kA0Lo] + c);
      if (j == kF) hn::StoreU(lo, df8, out[T::kLo] + c);
    }
  }
}

// The hot loop over `vectors` full vectors at x (dy, out): op's table path for every lane, and
// the lanes it does not cover (op.Outside of op.Key(x)) queued with index `offset` + their
// position. Returns the number of vectors done: all, or fewer once the queue holds kLanes lanes.
// dy is read only where Op::kHasDy. Two vectors per step share one range test (op.Outside2).
//
// Out of line on purpose, with nothing called inside: its only vector state is the 16 table
// registers and the constants, so the compiler keeps them all in registers. Inlined into the
// callers (with the double path next to it), GCC 12 kept one activation's tables in registers
// and read the others' from memory at every permute, which cost 7-15% (docs/PERFORMANCE.md).
template <class Op>
HWY_NOINLINE size_t FastRun(const float (*table)[32], const Op op, size_t vectors, const float* x,
                            const float* dy, float* out, size_t offset, FastQueue* q,
                            typename Op::State* state) {
  const DF16 df;
  const hn::RebindToSigned<DF16> di;
  constexpr size_t kLanes = FastQueue::kLanes;
  const FastTablesN<Op::kExtraRows> t(table);
  typename Op::State st = *state;  // a local, kept in registers
  // Queues the lanes of the vector at i that the double path must do (before out is written:
  // out may be x); redo: the lanes Eval marked.
  auto enqueue = [&](size_t i, VF16 vx, VF16 vdy, hn::Mask<DF16> redo) {
    auto outside = op.Outside(op.Key(vx));
    if constexpr (Op::kRedo) outside = hn::Or(outside, redo);
    const size_t count = hn::CompressStore(vx, outside, df, q->x + q->count);
    if constexpr (Op::kHasDy) hn::CompressStore(vdy, outside, df, q->dy + q->count);
    const auto idx = hn::Add(hn::Iota(di, 0), hn::Set(di, static_cast<int32_t>(offset + i)));
    hn::CompressStore(idx, hn::RebindMask(di, outside), di, q->idx + q->count);
    q->count += count;
  };
  auto load_dy = [&](size_t i, VF16 vx) {
    if constexpr (Op::kHasDy) return hn::LoadU(df, dy + i);
    return vx;
  };
  // Software prefetch 4 KiB ahead: on arrays beyond the caches it lifted gelu at 64M floats
  // from 2.73 to 3.06 Gelem/s forward and 2.18 to 2.40 backward on 2 threads
  // (docs/PERFORMANCE.md); in cache it costs nothing measurable. The address may lie past the
  // array's end: a prefetch never faults.
  constexpr size_t kPrefetchAhead = 1024;  // floats
  size_t v = 0;
  for (; v + 2 <= vectors; v += 2) {
    const size_t i = v * kLanes;
    hwy::Prefetch(x + i + kPrefetchAhead);
    hwy::Prefetch(x + i + kLanes + kPrefetchAhead);
    if constexpr (Op::kHasDy) {
      hwy::Prefetch(dy + i + kPrefetchAhead);
      hwy::Prefetch(dy + i + kLanes + kPrefetchAhead);
    }
    const VF16 vx0 = hn::LoadU(df, x + i);
    const VF16 vx1 = hn::LoadU(df, x + i + kLanes);
    const VF16 vdy0 = load_dy(i, vx0);
    const VF16 vdy1 = load_dy(i + kLanes, vx1);
    hn::Mask<DF16> redo0 = hn::FirstN(df, 0);  // set by Eval where Op::kRedo
    hn::Mask<DF16> redo1 = hn::FirstN(df, 0);
    const VF16 r0 = op.Eval(t, vx0, vdy0, &redo0, &st);
    const VF16 r1 = op.Eval(t, vx1, vdy1, &redo1, &st);
    auto any = op.Outside2(op.Key(vx0), op.Key(vx1));
    if constexpr (Op::kRedo) any = hn::Or(any, hn::Or(redo0, redo1));
    if (HWY_UNLIKELY(!hn::AllFalse(df, any))) {
      enqueue(i, vx0, vdy0, redo0);
      enqueue(i + kLanes, vx1, vdy1, redo1);
      hn::StoreU(r0, df, out + i);
      hn::StoreU(r1, df, out + i + kLanes);
      if (q->count >= kLanes) {
        *state = st;
        return v + 2;
      }
      continue;
    }
    hn::StoreU(r0, df, out + i);
    hn::StoreU(r1, df, out + i + kLanes);
  }
  if (v < vectors) {
    const size_t i = v * kLanes;
    const VF16 vx = hn::LoadU(df, x + i);
    const VF16 vdy = load_dy(i, vx);
    hn::Mask<DF16> redo = hn::FirstN(df, 0);
    const VF16 r = op.Eval(t, vx, vdy, &redo, &st);
    enqueue(i, vx, vdy, redo);
    hn::StoreU(r, df, out + i);
  }
  *state = st;
  return vectors;
}

// Each lane inside the fast range gets op's table path, each lane outside gets
// `slow(count, x, dy, out)` (the double path), so a result depends on its own input only, not
// on its neighbours or its position. Outside lanes are not computed where they stand: FastRun
// queues them, and the double path runs on full vectors of queued lanes, whose results are then
// written to their places. So data with many tail values (wide inputs, trained networks'
// pre-activations) pays the double path per tail element, not per vector that holds one. The
// tail of the array goes through a vector padded with op.Pad(), an input inside the range, so no
// lane past n is ever queued. dy is null for forward.
template <class Op, class Slow>
HWY_INLINE void FastLoop(size_t n, const float* x, const float* dy, float* out,
                         const float (*table)[32], const Op& op, const Slow& slow) {
  constexpr size_t kLanes = FastQueue::kLanes;
  FastQueue q;
  alignas(64) float qout[2 * kLanes];
  size_t base = 0;  // queued indices are offsets from out + base
  auto flush = [&](size_t count) {
    slow(count, q.x, dy != nullptr ? q.dy : nullptr, qout);
    for (size_t j = 0; j < count; ++j) out[base + static_cast<size_t>(q.idx[j])] = qout[j];
    q.count -= count;
    memmove(q.x, q.x + count, q.count * sizeof(float));
    memmove(q.dy, q.dy + count, q.count * sizeof(float));
    memmove(q.idx, q.idx + count, q.count * sizeof(int32_t));
  };
  typename Op::State state = op.Init();
  auto run = [&](size_t vectors, const float* px, const float* pdy, float* pout, size_t i) {
    return FastRun(table, op, vectors, px, pdy, pout, i - base, &q, &state);
  };
  constexpr size_t kRebase = size_t{1} << 30;  // keep offsets in int32 on huge arrays
  size_t i = 0;
  for (;;) {
    const size_t vectors = HWY_MIN((n - i) / kLanes, (kRebase - (i - base)) / kLanes);
    i += kLanes * run(vectors, x + i, dy != nullptr ? dy + i : nullptr, out + i, i);
    if (q.count >= kLanes) {
      while (q.count >= kLanes) flush(kLanes);
    } else if (i + kLanes <= n) {  // rebase
      if (q.count > 0) flush(q.count);
      base = i;
    } else {
      break;
    }
  }
  if (i < n) {
    alignas(64) float bx[kLanes];
    alignas(64) float bdy[kLanes] = {};
    alignas(64) float bout[kLanes];
    for (float& b : bx) b = op.Pad();
    memcpy(bx, x + i, (n - i) * sizeof(float));
    if (dy != nullptr) memcpy(bdy, dy + i, (n - i) * sizeof(float));
    run(1, bx, bdy, bout, i);
    memcpy(out + i, bout, (n - i) * sizeof(float));
  }
  // Only now: the queued tail lanes must overwrite what the memcpy just wrote.
  while (q.count > 0) flush(q.count < kLanes ? q.count : kLanes);
  op.Finish(state);
}

#endif  // HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3

}  // namespace HWY_NAMESPACE
}  // namespace gelu
HWY_AFTER_NAMESPACE();

#endif  // GELU_SRC_ACT_GELU_FAST_INL_H_
