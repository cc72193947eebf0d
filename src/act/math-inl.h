// Per-activation math on Highway double vectors: f(x) and f'(x) for every activation in
// activations.def, and the normal CDF/PDF. The fp32 kernels' double path: every input on
// targets without the AVX-512 fast path, and the lanes outside its range, are widened to double,
// evaluated here and rounded once (exact gelu swept on AVX2: 0.50 ULP forward, 0.58 backward;
// docs/ACCURACY.md).
// Included once per SIMD target by src/kernels_f32.cc (Highway's per-target toggle guard).

#if defined(GELU_SRC_ACT_MATH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef GELU_SRC_ACT_MATH_INL_H_
#undef GELU_SRC_ACT_MATH_INL_H_
#else
#define GELU_SRC_ACT_MATH_INL_H_
#endif

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace gelu {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// erfcx(z) * (1 + z) = P(t), t = (z - 3) / (z + 3), for all z >= 0 (tools/fit_erfcx.py, degree
// 14; max relative error 7.6e-11, 1/800 of a float ULP). One polynomial, no branches: the map
// t covers [0, inf) and P is smooth on [-1, 1].
template <class D, class V = hn::Vec<D>>
HWY_INLINE V ErfcxTimes1pz(D d, V t) {
  V p = hn::Set(d, 2.6584930318684893e-07);
  p = hn::MulAdd(p, t, hn::Set(d, -4.893430673953023e-06));
  p = hn::MulAdd(p, t, hn::Set(d, -1.4461590967090175e-06));
  p = hn::MulAdd(p, t, hn::Set(d, 5.075884016690671e-05));
  p = hn::MulAdd(p, t, hn::Set(d, -2.0625683650772623e-05));
  p = hn::MulAdd(p, t, hn::Set(d, -0.00036345747367565184));
  p = hn::MulAdd(p, t, hn::Set(d, 0.0006458487823150814));
  p = hn::MulAdd(p, t, hn::Set(d, 0.0016170591308569298));
  p = hn::MulAdd(p, t, hn::Set(d, -0.009750697029004184));
  p = hn::MulAdd(p, t, hn::Set(d, 0.021958074270664225));
  p = hn::MulAdd(p, t, hn::Set(d, -0.0238039123692631));
  p = hn::MulAdd(p, t, hn::Set(d, -0.010235417278614004));
  p = hn::MulAdd(p, t, hn::Set(d, 0.09902075365938731));
  p = hn::MulAdd(p, t, hn::Set(d, -0.23092733232740859));
  return hn::MulAdd(p, t, hn::Set(d, 0.7160046047255599));
}

// Normal CDF Phi(v) and exp(-v^2 / 2) (so phi(v) = that / sqrt(2 pi)).
// Phi(v) = erfc(-v / sqrt 2) / 2 is evaluated as erfc of |v| / sqrt 2, which is relative-
// accurate however small it gets: no 1 + erf cancellation below v = -5, the bug of the
// well-known implementations. erfc(z) = exp(-z^2) erfcx(z); exp(-v^2/2) is exact to 1 double
// ULP because v^2 of a widened float is exact. Valid for all v; |v| > 44 gives 0 or 1.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V NormalCdf(D d, V v, V* gauss) {
  const V one = hn::Set(d, 1.0);
  const V three = hn::Set(d, 3.0);
  // Clamped so t stays finite for infinite v; exp(-v^2/2) is already 0 there.
  const V z = hn::Min(hn::Mul(hn::Abs(v), hn::Set(d, 0.70710678118654752440)), hn::Set(d, 40.0));
  const V e = hn::Exp(d, hn::Mul(hn::Mul(v, v), hn::Set(d, -0.5)));
  // One division gives both 1/(z+3) (for t) and 1/(1+z).
  const V zp3 = hn::Add(z, three);
  const V zp1 = hn::Add(z, one);
  const V r = hn::Div(one, hn::Mul(zp3, zp1));
  const V t = hn::Mul(hn::Mul(hn::Sub(z, three), zp1), r);
  const V half_erfc =
      hn::Mul(hn::Mul(e, ErfcxTimes1pz(d, t)), hn::Mul(zp3, hn::Mul(r, hn::Set(d, 0.5))));
  *gauss = e;
  return hn::IfThenElse(hn::Lt(v, hn::Zero(d)), half_erfc, hn::Sub(one, half_erfc));
}

// Logistic sigmoid 1 / (1 + exp(-v)) and exp(-v) (1 - sigmoid = exp(-v) * sigmoid).
// The argument of exp is clamped to 700 (Highway's Exp is valid up to 706); below v = -700
// the sigmoid is < 1e-304, which no float result can see.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Sigmoid(D d, V v, V* exp_neg) {
  const V e = hn::Exp(d, hn::Min(hn::Neg(v), hn::Set(d, 700.0)));
  *exp_neg = e;
  return hn::Div(hn::Set(d, 1.0), hn::Add(hn::Set(d, 1.0), e));
}

// Each activation: Forward(d, x) = f(x), Derivative(d, x) = f'(x), on finite or infinite x.
// NaN inputs are fixed up by the caller (NaN in gives NaN out).

// x * Phi(x). Below x = -40 the product underflows every float: -0 (also for -inf).
struct Gelu {
  template <class D, class V = hn::Vec<D>>
  static HWY_INLINE V Forward(D d, V x) {
    V e;
    const V cdf = NormalCdf(d, x, &e);
    return hn::IfThenElse(hn::Lt(x, hn::Set(d, -40.0)), hn::Set(d, -0.0), hn::Mul(x, cdf));
  }
  // Phi(x) + x phi(x). Near the root x = -0.7518 the two terms cancel; the absolute error
  // there is about 1e-11 (docs/ACCURACY.md).
  template <class D, class V = hn::Vec<D>>
  static HWY_INLINE V Derivative(D d, V x) {
    const V xc = hn::Max(hn::Min(x, hn::Set(d, 40.0)), hn::Set(d, -40.0));
    V e;
    const V cdf = NormalCdf(d, xc, &e);
    return hn::MulAdd(hn::Mul(xc, e), hn::Set(d, 0.39894228040143267794), cdf);
  }
  // Both from one normal CDF (gated backward): f(x), and f'(x) in *deriv. Phi(40) is 1 in
  // double, so the clamp leaves f = x for x > 40 (inf included).
  template <class D, class V = hn::Vec<D>>
  static HWY_INLINE V ForwardDerivative(D d, V x, V* deriv) {
    const V xc = hn::Max(hn::Min(x, hn::Set(d, 40.0)), hn::Set(d, -40.0));
    V e;
    const V cdf = NormalCdf(d, xc, &e);
    *deriv = hn::MulAdd(hn::Mul(xc, e), hn::Set(d, 0.39894228040143267794), cdf);
    return hn::IfThenElse(hn::Lt(x, hn::Set(d, -40.0)), hn::Set(d, -0.0), hn::Mul(x, cdf));
  }
};

// 0.5 x (1 + tanh(u)) = x * sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3): the sigmoid form
// keeps the negative tail relative-accurate where 1 + tanh(u) would cancel.
struct GeluTanh {
  static constexpr double kC = 0.79788456080286535588;  // sqrt(2/pi)
  static constexpr double kA = 0.044715;
  template <class D, class V = hn::Vec<D>>
  static HWY_INLINE V TwoU(D d, V xc) {
    const V inner = hn::MulAdd(hn::Mul(hn::Mul(xc, xc), hn::Set(d, kA)), xc, xc);
    return hn::Mul(inner, hn::Set(d, 2.0 * kC));
  }
  template <class D, class V = hn::Vec<D>>
  static HWY_INLINE V Forward(D d, V x) {
    // At |x| = 50, sigmoid(2u) is 0 or 1 in double; the clamp keeps x^3 finite.
    const V xc = hn::Max(hn::Min(x, hn::Set(d, 50.0)), hn::Set(d, -50.0));
    V e;
    const V s = Sigmoid(d, TwoU(d, xc), &e);
    return hn::IfThenElse(hn::Lt(x, hn::Set(d, -50.0)), hn::Set(d, -0.0), hn::Mul(x, s));
  }
  // s + 2 x s (1 - s) sqrt(2/pi) (1 + 3 * 0.044715 x^2), s = sigmoid(2u).
  template <class D, class V = hn::Vec<D>>
  static HWY_INLINE V Derivative(D d, V x) {
    const V xc = hn::Max(hn::Min(x, hn::Set(d, 50.0)), hn::Set(d, -50.0));
    V e;
    const V s = Sigmoid(d, TwoU(d, xc), &e);
    const V one_minus_s = hn::Mul(e, s);
    const V du = hn::MulAdd(hn::Mul(xc, xc), hn::Set(d, 3.0 * kA * 2.0 * kC), hn::Set(d, 2.0 * kC));
    return hn::MulAdd(hn::Mul(hn::Mul(xc, s), one_minus_s), du, s);
  }
  template <class D, class V = hn::Vec<D>>
  static HWY_INLINE V ForwardDerivative(D d, V x, V* deriv) {
    const V xc = hn::Max(hn::Min(x, hn::Set(d, 50.0)), hn::Set(d, -50.0));
    V e;
    const V s = Sigmoid(d, TwoU(d, xc), &e);
    const V one_minus_s = hn::Mul(e, s);
    const V du = hn::MulAdd(hn::Mul(xc, xc), hn::Set(d, 3.0 * kA * 2.0 * kC), hn::Set(d, 2.0 * kC));
    *deriv = hn::MulAdd(hn::Mul(hn::Mul(xc, s), one_minus_s), du, s);
    return hn::IfThenElse(hn::Lt(x, hn::Set(d, -50.0)), hn::Set(d, -0.0), hn::Mul(x, s));
  }
};

// x * sigmoid(k x): k = 1.702 (the paper's sigmoid approximation) or k = 1 (SiLU).
template <int kMilli>
struct XSigmoid {
  static constexpr double kK = kMilli / 1000.0;
  // Beyond |x| = kLimit the result underflows (negative side) or equals x (positive side).
  static constexpr double kLimit = 400.0 / kK;
  template <class D, class V = hn::Vec<D>>
  static HWY_INLINE V Forward(D d, V x) {
    V e;
    const V s = Sigmoid(d, hn::Mul(x, hn::Set(d, kK)), &e);
    return hn::IfThenElse(hn::Lt(x, hn::Set(d, -kLimit)), hn::Set(d, -0.0), hn::Mul(x, s));
  }
  // s + k x s (1 - s).
  template <class D, class V = hn::Vec<D>>
  static HWY_INLINE V Derivative(D d, V x) {
    const V xc = hn::Max(hn::Min(x, hn::Set(d, kLimit)), hn::Set(d, -kLimit));
    V e;
    const V s = Sigmoid(d, hn::Mul(xc, hn::Set(d, kK)), &e);
    return hn::MulAdd(hn::Mul(hn::Mul(xc, hn::Set(d, kK)), s), hn::Mul(e, s), s);
  }
  // Both from one sigmoid; sigmoid(k kLimit) is 1 in double, so the clamp leaves f = x above.
  template <class D, class V = hn::Vec<D>>
  static HWY_INLINE V ForwardDerivative(D d, V x, V* deriv) {
    const V xc = hn::Max(hn::Min(x, hn::Set(d, kLimit)), hn::Set(d, -kLimit));
    V e;
    const V s = Sigmoid(d, hn::Mul(xc, hn::Set(d, kK)), &e);
    *deriv = hn::MulAdd(hn::Mul(hn::Mul(xc, hn::Set(d, kK)), s), hn::Mul(e, s), s);
    return hn::IfThenElse(hn::Lt(x, hn::Set(d, -kLimit)), hn::Set(d, -0.0), hn::Mul(x, s));
  }
};
using GeluSigmoid = XSigmoid<1702>;
using Silu = XSigmoid<1000>;

// max(x, 0); relu(-0) = +0, f'(0) = 0. Exact in float: the kernels skip the widening.
struct Relu {
  static constexpr bool kExactInFloat = true;
  template <class D, class V = hn::Vec<D>>
  static HWY_INLINE V Forward(D d, V x) {
    return hn::IfThenElseZero(hn::Gt(x, hn::Zero(d)), x);
  }
  template <class D, class V = hn::Vec<D>>
  static HWY_INLINE V Derivative(D d, V x) {
    return hn::IfThenElseZero(hn::Gt(x, hn::Zero(d)), hn::Set(d, hn::TFromD<D>{1}));
  }
};

// x > 0 ? x : expm1(x), alpha = 1; f'(x) = x > 0 ? 1 : exp(x) (continuous at 0).
struct Elu {
  template <class D, class V = hn::Vec<D>>
  static HWY_INLINE V Forward(D d, V x) {
    const V xn = hn::Max(hn::Min(x, hn::Zero(d)), hn::Set(d, -800.0));
    // Min(-0, 0) may be +0: the sign of x restores elu(-0) = -0.
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), x, hn::CopySign(hn::Expm1(d, xn), x));
  }
  template <class D, class V = hn::Vec<D>>
  static HWY_INLINE V Derivative(D d, V x) {
    const V xn = hn::Max(hn::Min(x, hn::Zero(d)), hn::Set(d, -800.0));
    return hn::IfThenElse(hn::Gt(x, hn::Zero(d)), hn::Set(d, 1.0), hn::Exp(d, xn));
  }
  template <class D, class V = hn::Vec<D>>
  static HWY_INLINE V ForwardDerivative(D d, V x, V* deriv) {
    *deriv = Derivative(d, x);
    return Forward(d, x);
  }
};

// The math of each activations.def row, looked up by its C enum value.
template <int kAct>
struct Math;
template <>
struct Math<0> : Gelu {};
template <>
struct Math<1> : GeluTanh {};
template <>
struct Math<2> : GeluSigmoid {};
template <>
struct Math<3> : Silu {};
template <>
struct Math<4> : Relu {};
template <>
struct Math<5> : Elu {};

}  // namespace HWY_NAMESPACE
}  // namespace gelu
HWY_AFTER_NAMESPACE();

#endif  // GELU_SRC_ACT_MATH_INL_H_
