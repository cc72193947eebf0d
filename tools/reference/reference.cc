// Double-precision references (long double in the tails, where rounding the argument of exp or
// erfc would cost more than 1e-14 relative) and the ULP error of DESIGN.md "Accuracy".
#include "tools/reference/reference.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

namespace gelu::ref {
namespace {

using LD = long double;

constexpr double kSqrt1_2 = 0.70710678118654752440;    // 1/sqrt(2)
constexpr double kSqrt1_2Lo = -4.833646656726457e-17;  // 1/sqrt(2) - kSqrt1_2
constexpr double kTwoOverSqrtPi = 1.1283791670955125739;
constexpr LD kSqrt1_2L = 0.707106781186547524400844362104849039L;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;  // 1/sqrt(2 pi)
constexpr LD kInvSqrt2PiL = 0.398942280401432677939946059934381868L;
constexpr LD kSqrt2OverPiL = 0.797884560802865355879892119868763737L;  // sqrt(2/pi)
constexpr LD kTanhCubicL = 0.044715L;
constexpr LD kSigmoidScaleL = 1.702L;

// Below this |x| the double formulas are accurate to a few 1e-16 relative: arguments of exp and
// erfc stay small, so rounding them costs little. Beyond it we use long double.
constexpr double kDoubleRange = 2.0;

LD SigmoidL(LD z) {
  if (z >= 0) return 1.0L / (1.0L + std::exp(-z));
  const LD e = std::exp(z);
  return e / (1.0L + e);
}
double Sigmoid(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

// s(z) and s(-z) from one exp.
struct SigmoidPair {
  double s, sm;
};
SigmoidPair Sigmoids(double z) {
  const double e = std::exp(-std::fabs(z));
  const double a = 1.0 / (1.0 + e), b = e / (1.0 + e);
  return z >= 0 ? SigmoidPair{a, b} : SigmoidPair{b, a};
}
struct SigmoidPairL {
  LD s, sm;
};
SigmoidPairL SigmoidsL(LD z) {
  const LD e = std::exp(-std::fabs(z));
  const LD a = 1.0L / (1.0L + e), b = e / (1.0L + e);
  return z >= 0 ? SigmoidPairL{a, b} : SigmoidPairL{b, a};
}

// Where the sigmoid-type derivatives are evaluated in double: small |x| (arguments of exp stay
// small) away from the root of f', where the two O(0.2) terms cancel and long double keeps the
// absolute error near 1e-18.
bool DoubleOk(double x, double root_lo, double root_hi) {
  return std::fabs(x) <= kDoubleRange && !(x > root_lo && x < root_hi);
}

LD PhiL(LD x) { return 0.5L * std::erfc(-x * kSqrt1_2L); }
LD NormalPdfL(LD x) { return kInvSqrt2PiL * std::exp(-0.5L * x * x); }

// Phi(x) for x < 0 in double. erfc(t) loses 2 t^2 eps relative when its argument t = -x/sqrt2
// is rounded; the rounding error d (an fma and the constant's tail recover it) is put back
// through erfc'(t) = -2/sqrt(pi) e^(-t^2). As accurate as long double erfc, 6x faster.
double PhiNeg(double x) {
  const double t = -x * kSqrt1_2;
  const double d = std::fma(-x, kSqrt1_2, -t) + (-x) * kSqrt1_2Lo;
  return 0.5 * (std::erfc(t) - d * kTwoOverSqrtPi * std::exp(-t * t));
}

// exp(-x^2 / 2) / sqrt(2 pi) with x^2 split exactly into hi + lo (exact for float x anyway).
double NormalPdfD(double x) {
  const double hi = x * x;
  const double lo = std::fma(x, x, -hi);
  return kInvSqrt2Pi * std::exp(-0.5 * hi) * (1.0 - 0.5 * lo);
}

// u of the tanh form, doubled: 2 sqrt(2/pi) (x + 0.044715 x^3), so 0.5 (1 + tanh u) = s(2u).
LD TanhArg2L(LD x) { return 2.0L * kSqrt2OverPiL * (x + kTanhCubicL * x * x * x); }

}  // namespace

double Phi(double x) {
  if (x >= 0.0) return 0.5 * std::erfc(-x * kSqrt1_2);  // near 1: no tail to lose
  return PhiNeg(x);
}

double NormalPdf(double x) { return NormalPdfD(x); }

double Gelu(double x) {
  if (std::isnan(x)) return x;
  if (x > 40.0) return x;         // 1 - Phi(40) < 1e-349: x Phi(x) rounds to x
  if (x < -40.0) return x * 0.0;  // |x Phi(x)| < 1e-347 rounds to -0 even in double
  return x * Phi(x);
}

double GeluGrad(double x) {
  if (std::isnan(x)) return x;
  if (x > 40.0) return 1.0;
  if (x < -40.0) return 0.0;
  // Near the root at -0.7518 the two O(0.2) terms cancel: long double keeps 1e-14 there too.
  if (x > -1.5 && x < -0.25) {
    const LD xl = static_cast<LD>(x);
    return static_cast<double>(PhiL(xl) + xl * NormalPdfL(xl));
  }
  return Phi(x) + x * NormalPdf(x);
}

double GeluTanh(double x) {
  if (std::isnan(x)) return x;
  if (x > 30.0) return x;         // 2u > 1000: 1 - s(2u) < 1e-430
  if (x < -30.0) return x * 0.0;  // s(2u) < 1e-430
  if (std::fabs(x) <= kDoubleRange) {
    return x * Sigmoid(static_cast<double>(TanhArg2L(static_cast<LD>(x))));
  }
  const LD xl = static_cast<LD>(x);
  return static_cast<double>(xl * SigmoidL(TanhArg2L(xl)));
}

double GeluTanhGrad(double x) {
  if (std::isnan(x)) return x;
  if (x > 30.0) return 1.0;
  if (x < -30.0) return 0.0;
  // 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 a x^2) with 0.5 (1 + t) = s(2u) and
  // 1 - t^2 = 4 s(2u) s(-2u): no cancellation in either tail.
  const LD xl = static_cast<LD>(x);
  const LD z = TanhArg2L(xl);
  if (DoubleOk(x, -1.5, -0.25)) {
    const SigmoidPair p = Sigmoids(static_cast<double>(z));
    const double c = static_cast<double>(kSqrt2OverPiL);
    const double a3 = static_cast<double>(3.0L * kTanhCubicL);
    return p.s + 2.0 * x * p.s * p.sm * c * (1.0 + a3 * x * x);
  }
  const SigmoidPairL p = SigmoidsL(z);
  return static_cast<double>(p.s + 2.0L * xl * p.s * p.sm * kSqrt2OverPiL *
                                       (1.0L + 3.0L * kTanhCubicL * xl * xl));
}

double GeluSigmoid(double x) {
  if (std::isnan(x)) return x;
  if (x > 500.0) return x;
  if (x < -500.0) return x * 0.0;
  const LD xl = static_cast<LD>(x);
  if (std::fabs(x) <= kDoubleRange) {
    return x * Sigmoid(static_cast<double>(kSigmoidScaleL * xl));
  }
  return static_cast<double>(xl * SigmoidL(kSigmoidScaleL * xl));
}

double GeluSigmoidGrad(double x) {
  if (std::isnan(x)) return x;
  if (x > 500.0) return 1.0;
  if (x < -500.0) return 0.0;
  const LD z = kSigmoidScaleL * static_cast<LD>(x);
  if (DoubleOk(x, -1.5, -0.25)) {
    const auto zd = static_cast<double>(z);
    const SigmoidPair p = Sigmoids(zd);
    return p.s + zd * p.s * p.sm;
  }
  const SigmoidPairL p = SigmoidsL(z);
  return static_cast<double>(p.s + z * p.s * p.sm);
}

double Silu(double x) {
  if (std::isnan(x)) return x;
  if (x > 800.0) return x;
  if (x < -800.0) return x * 0.0;
  if (std::fabs(x) <= kDoubleRange) return x * Sigmoid(x);
  const LD xl = static_cast<LD>(x);
  return static_cast<double>(xl * SigmoidL(xl));
}

double SiluGrad(double x) {
  if (std::isnan(x)) return x;
  if (x > 800.0) return 1.0;
  if (x < -800.0) return 0.0;
  if (DoubleOk(x, -2.0, -0.75)) {
    const SigmoidPair p = Sigmoids(x);
    return p.s + x * p.s * p.sm;
  }
  const SigmoidPairL p = SigmoidsL(static_cast<LD>(x));
  const auto xl = static_cast<LD>(x);
  return static_cast<double>(p.s + xl * p.s * p.sm);
}

double Relu(double x) {
  if (std::isnan(x)) return x;
  return x > 0.0 ? x : 0.0;
}
double ReluGrad(double x) {
  if (std::isnan(x)) return x;
  return x > 0.0 ? 1.0 : 0.0;
}
double Elu(double x) {
  if (std::isnan(x)) return x;
  return x > 0.0 ? x : std::expm1(x);
}
double EluGrad(double x) {
  if (std::isnan(x)) return x;
  return x > 0.0 ? 1.0 : std::exp(x);
}

double GaussianGelu(double x, double mu, double sigma) {
  if (std::isnan(x)) return x;
  if (mu == 0.0 && sigma == 1.0) return Gelu(x);
  const LD xl = static_cast<LD>(x);
  const LD z = (xl - static_cast<LD>(mu)) / static_cast<LD>(sigma);
  return static_cast<double>(xl * PhiL(z));
}

GaussianGrads GaussianGeluGrads(double x, double mu, double sigma) {
  const LD xl = static_cast<LD>(x);
  const LD sl = static_cast<LD>(sigma);
  const LD z = (xl - static_cast<LD>(mu)) / sl;
  const LD xp = xl * NormalPdfL(z) / sl;
  GaussianGrads g{};
  g.dx = static_cast<double>(PhiL(z) + xp);
  g.dmu = static_cast<double>(-xp);
  g.dsigma = static_cast<double>(-xp * z);
  if (std::isinf(x)) {  // the limits: Phi(z) -> 0 or 1, x phi(z) -> 0
    g.dx = x > 0 ? 1.0 : 0.0;
    g.dmu = 0.0;
    g.dsigma = 0.0;
  }
  return g;
}

double Eval(const Fn& fn, Dir dir, double x) {
  const bool fwd = dir == Dir::kForward;
  if (fn.gaussian) {
    if (fwd) return GaussianGelu(x, fn.mu, fn.sigma);
    if (std::isnan(x)) return x;
    if (fn.mu == 0.0 && fn.sigma == 1.0) return GeluGrad(x);
    return GaussianGeluGrads(x, fn.mu, fn.sigma).dx;
  }
  switch (fn.act) {
    case GELU_ACT_GELU:
      return fwd ? Gelu(x) : GeluGrad(x);
    case GELU_ACT_GELU_TANH:
      return fwd ? GeluTanh(x) : GeluTanhGrad(x);
    case GELU_ACT_GELU_SIGMOID:
      return fwd ? GeluSigmoid(x) : GeluSigmoidGrad(x);
    case GELU_ACT_SILU:
      return fwd ? Silu(x) : SiluGrad(x);
    case GELU_ACT_RELU:
      return fwd ? Relu(x) : ReluGrad(x);
    case GELU_ACT_ELU:
      return fwd ? Elu(x) : EluGrad(x);
  }
  return std::numeric_limits<double>::quiet_NaN();
}

double DerivativeRoot(const Fn& fn) {
  if (!fn.gaussian && (fn.act == GELU_ACT_RELU || fn.act == GELU_ACT_ELU)) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  double lo = -3.0, hi = 0.0;  // f'(-3) < 0 < f'(0) for every gelu-like kernel we test
  if (fn.gaussian) {
    // f' = Phi(z) + (z + m) phi(z), z = (x - mu) / sigma, m = mu / sigma: positive at z = -m,
    // negative at any z <= -1 with z + m < -1 (Phi(z) / phi(z) < 1 / |z| there), and its only
    // root lies between.
    const double m = fn.mu / fn.sigma;
    lo = fn.mu + fn.sigma * (std::min(-m - 1.0, -1.0) - 1.0);
    hi = 0.0;  // f'(0) = Phi(-m)
  }
  for (int i = 0; i < 200 && hi - lo > 0.0; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    (Eval(fn, Dir::kBackward, mid) < 0.0 ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

bool NearDerivativeRoot(double root, double x, double fprime) {
  return std::fabs(fprime) < kSmallGrad && std::fabs(x - root) <= kRootWindow;
}

double UlpF32(double r) {
  const double a = std::fabs(r);
  if (a < static_cast<double>(FLT_MIN)) return 0x1p-149;
  int e = 0;
  (void)std::frexp(a, &e);  // a in [2^(e-1), 2^e)
  return std::ldexp(1.0, e - 24);
}

double UlpError(float y, double r) {
  const double inf = std::numeric_limits<double>::infinity();
  if (std::isnan(y) || std::isnan(r)) return inf;
  if (std::isinf(y)) {
    // r rounds to +-inf in float32 iff |r| >= FLT_MAX + ulp/2 = 2^128 - 2^103.
    const bool overflows = std::fabs(r) >= 0x1p128 - 0x1p103;
    return overflows && (std::signbit(y) == std::signbit(r)) ? 0.0 : inf;
  }
  return std::fabs(static_cast<double>(y) - r) / UlpF32(r);
}

double DecodeSmall(const SmallFormat& f, uint16_t h) {
  const bool neg = (h & 0x8000u) != 0;
  const int ebits = f.bf16 ? 8 : 5;
  const int e = (h >> f.mant_bits) & ((1 << ebits) - 1);
  const int m = h & ((1 << f.mant_bits) - 1);
  double v;
  if (e == (1 << ebits) - 1) {
    v = m == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  } else if (e == 0) {
    v = std::ldexp(static_cast<double>(m), f.emin - f.mant_bits);
  } else {
    v = std::ldexp(static_cast<double>((1 << f.mant_bits) + m), e - (1 - f.emin) - f.mant_bits);
  }
  return neg ? -v : v;
}

bool EncodeSmall(const SmallFormat& f, double v, uint16_t* h) {
  for (uint32_t b = 0; b < 0x10000u; ++b) {
    const double d = DecodeSmall(f, static_cast<uint16_t>(b));
    if (d == v && std::signbit(d) == std::signbit(v)) {
      *h = static_cast<uint16_t>(b);
      return true;
    }
  }
  return false;
}

double UlpSmall(const SmallFormat& f, double r) {
  int e = f.emin;
  if (r != 0.0) {
    int k = 0;
    std::frexp(r, &k);  // |r| in [2^(k-1), 2^k)
    e = std::max(k - 1, f.emin);
  }
  return std::ldexp(1.0, e - f.mant_bits);
}

double RoundToSmall(const SmallFormat& f, double r) {
  const double u = UlpSmall(f, r);
  const double q = std::nearbyint(r / u) * u;  // r / u exact: u is a power of two
  if (std::fabs(q) > f.max_finite) return std::copysign(std::numeric_limits<double>::infinity(), r);
  return std::copysign(q, r);  // an underflow to zero keeps r's sign
}

double UlpErrorSmall(const SmallFormat& f, double y, double r) {
  const double inf = std::numeric_limits<double>::infinity();
  if (std::isnan(y)) return inf;
  if (std::isinf(y)) {
    const double want = RoundToSmall(f, r);
    return std::isinf(want) && std::signbit(want) == std::signbit(y) ? 0.0 : inf;
  }
  return std::fabs(y - r) / UlpSmall(f, r);
}

bool ZeroSignOk(float y, double r) {
  if (y != 0.0f || r == 0.0) return true;
  return std::signbit(y) == std::signbit(r);
}

bool IsSpecialInput(const Fn& fn, Dir dir, float x) {
  if (std::isnan(x) || std::isinf(x)) return true;
  if (x != 0.0f) return false;
  return dir == Dir::kForward || (!fn.gaussian && fn.act == GELU_ACT_RELU);
}

namespace {
enum class Expect { kNaN, kPosInf, kNegZero, kPosZero, kAnyZero, kOne, kMinusOne, kZeroOrOne };

Expect SpecialExpect(const Fn& fn, Dir dir, float x) {
  if (std::isnan(x)) return Expect::kNaN;
  const bool relu = !fn.gaussian && fn.act == GELU_ACT_RELU;
  const bool elu = !fn.gaussian && fn.act == GELU_ACT_ELU;
  if (dir == Dir::kBackward) {
    if (std::isinf(x)) return x > 0 ? Expect::kOne : Expect::kAnyZero;
    return Expect::kZeroOrOne;  // relu at +-0: either subgradient
  }
  if (x == 0.0f) {
    if (relu) return Expect::kAnyZero;
    return std::signbit(x) ? Expect::kNegZero : Expect::kPosZero;
  }
  if (x > 0) return Expect::kPosInf;
  if (relu) return Expect::kAnyZero;
  if (elu) return Expect::kMinusOne;
  return Expect::kNegZero;  // x * (something -> +0)
}
}  // namespace

bool SpecialOk(const Fn& fn, Dir dir, float x, float y) {
  switch (SpecialExpect(fn, dir, x)) {
    case Expect::kNaN:
      return std::isnan(y);
    case Expect::kPosInf:
      return std::isinf(y) && y > 0;
    case Expect::kNegZero:
      return y == 0.0f && std::signbit(y);
    case Expect::kPosZero:
      return y == 0.0f && !std::signbit(y);
    case Expect::kAnyZero:
      return y == 0.0f;
    case Expect::kOne:
      return y == 1.0f;
    case Expect::kMinusOne:
      return y == -1.0f;
    case Expect::kZeroOrOne:
      return y == 0.0f || y == 1.0f;
  }
  return false;
}

std::string SpecialExpectedText(const Fn& fn, Dir dir, float x) {
  switch (SpecialExpect(fn, dir, x)) {
    case Expect::kNaN:
      return "nan";
    case Expect::kPosInf:
      return "+inf";
    case Expect::kNegZero:
      return "-0";
    case Expect::kPosZero:
      return "+0";
    case Expect::kAnyZero:
      return "0 (either sign)";
    case Expect::kOne:
      return "1";
    case Expect::kMinusOne:
      return "-1";
    case Expect::kZeroOrOne:
      return "0 or 1";
  }
  return "?";
}

const char* DirName(Dir dir) { return dir == Dir::kForward ? "forward" : "backward"; }

std::string FnName(const Fn& fn) {
  if (fn.gaussian) {
    return "gaussian_gelu(mu=" + std::to_string(fn.mu) + ",sigma=" + std::to_string(fn.sigma) + ")";
  }
  switch (fn.act) {
#define X(ID, NAME, ENUM, DESC) \
  case ENUM:                    \
    return #NAME;
#include "src/act/activations.def"
#undef X
  }
  return "act" + std::to_string(static_cast<int>(fn.act));
}

}  // namespace gelu::ref
