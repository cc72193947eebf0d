// Accuracy references for libgelu: the activations and their derivatives in double (long double
// where the tails need it), an MPFR reference to check those against, and the ULP error exactly
// as docs/DESIGN.md defines it. The double references are within ~1e-13 relative of MPFR
// (tests/gelu/reference_test.cc), i.e. far below one float32 ULP.
#ifndef GELU_TOOLS_REFERENCE_REFERENCE_H_
#define GELU_TOOLS_REFERENCE_REFERENCE_H_

#include <gelu/gelu.h>

#include <cstdint>
#include <string>

namespace gelu::ref {

enum class Dir { kForward, kBackward };

// One kernel of libgelu: an activation id, or the Gaussian GELU with its (mu, sigma).
struct Fn {
  gelu_act act = GELU_ACT_GELU;
  bool gaussian = false;
  double mu = 0.0;
  double sigma = 1.0;
};

// Standard normal CDF and density, accurate in both tails (erfc for x < 0).
double Phi(double x);
double NormalPdf(double x);

double Gelu(double x);          // x * Phi(x)
double GeluGrad(double x);      // Phi(x) + x * phi(x)
double GeluTanh(double x);      // x * sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3)
double GeluTanhGrad(double x);  // paper-spec 1.2
double GeluSigmoid(double x);   // x * sigmoid(1.702 x)
double GeluSigmoidGrad(double x);
double Silu(double x);  // x * sigmoid(x)
double SiluGrad(double x);
double Relu(double x);      // x > 0 ? x : +0
double ReluGrad(double x);  // x > 0 ? 1 : 0
double Elu(double x);       // x > 0 ? x : expm1(x)
double EluGrad(double x);   // x > 0 ? 1 : exp(x)

// Gaussian GELU x * Phi(z), z = (x - mu) / sigma, and its partial derivatives.
double GaussianGelu(double x, double mu, double sigma);
struct GaussianGrads {
  double dx;      // Phi(z) + x phi(z) / sigma
  double dmu;     // -x phi(z) / sigma
  double dsigma;  // -x phi(z) z / sigma
};
GaussianGrads GaussianGeluGrads(double x, double mu, double sigma);

// f(x) for kForward, f'(x) for kBackward.
double Eval(const Fn& fn, Dir dir, double x);

// Backward accuracy is measured in ULP everywhere except near the root x0 of f' (gelu -0.7518,
// silu -1.2785, ...), where f' = sum of cancelling O(0.2) terms and only an absolute bound is
// meaningful: near means |x - x0| <= kRootWindow and |f'(x)| < kSmallGrad.
constexpr double kSmallGrad = 0x1p-10;
constexpr double kRootWindow = 0.125;
// The root of f' (bisection on the reference): in [-3, 0] for the activations, anywhere below
// x = 0 for gaussian_gelu; NaN for relu and elu (none).
double DerivativeRoot(const Fn& fn);
// Whether x (with reference derivative fprime) is in the absolute-error window of fn.
bool NearDerivativeRoot(double root, double x, double fprime);

// The float32 spacing around |r|: 2^(e-23) for |r| in [2^e, 2^(e+1)), 2^-149 below FLT_MIN.
double UlpF32(double r);
// |y - r| / ulp(r); infinite when y is NaN or infinite but r is not (an overflow that rounds to
// inf is 0). r must be finite.
double UlpError(float y, double r);

// The 16-bit formats of the _bf16 and _f16 entry points: stored mantissa bits, minimum normal
// exponent, largest finite value. Decoding and rounding are plain arithmetic, independent of
// libgelu's conversions (src/api_types.cc).
struct SmallFormat {
  const char* name;
  int mant_bits;
  int emin;
  double max_finite;
  bool bf16;
};
inline constexpr SmallFormat kBf16{"bf16", 7, -126, 0x1.FEp127, true};
inline constexpr SmallFormat kF16{"f16", 10, -14, 65504.0, false};
// The value of bit pattern h (NaN, +-inf and signed zeros included).
double DecodeSmall(const SmallFormat& f, uint16_t h);
// The bit pattern of v, which must be a value of the format (signed zeros told apart); false if
// it is not.
bool EncodeSmall(const SmallFormat& f, double v, uint16_t* h);
// The format's spacing around |r| (r finite).
double UlpSmall(const SmallFormat& f, double r);
// r correctly rounded (to nearest, ties to even) to the format, as a double; +-inf on overflow.
double RoundToSmall(const SmallFormat& f, double r);
// |y - r| in units of the format's spacing around r; infinite when y is NaN, or infinite while
// r does not round to that infinity. y is a decoded value of the format, r finite.
double UlpErrorSmall(const SmallFormat& f, double y, double r);

// Special inputs: NaN, +-inf, and +-0 for the forward direction. For those, SpecialOk says
// whether y is right: NaN in gives NaN out, f(+-inf) is the limit (gelu(-inf) = -0), a zero
// result carries the formula's sign (gelu(-0) = -0). Backward results at zero may have either
// sign; relu is allowed either sign at zero and either subgradient (0 or 1) at x = 0.
bool IsSpecialInput(const Fn& fn, Dir dir, float x);
bool SpecialOk(const Fn& fn, Dir dir, float x, float y);
// For finite x whose true result is nonzero: a zero y (underflow) must carry r's sign.
bool ZeroSignOk(float y, double r);
// The expected special result, as text for messages ("-0", "+inf", "nan", ...).
std::string SpecialExpectedText(const Fn& fn, Dir dir, float x);

// MPFR reference at `bits` of precision, rounded to double. kForward: gelu, gelu_tanh,
// gelu_sigmoid, silu, elu (relu is exact); kBackward: every activation.
double MpfrEval(gelu_act act, Dir dir, double x, int bits = 128);
// The Gaussian GELU and its three partial derivatives (which: 0 value, 1 dx, 2 dmu, 3 dsigma).
double MpfrGaussian(int which, double x, double mu, double sigma, int bits = 128);

const char* DirName(Dir dir);
std::string FnName(const Fn& fn);

}  // namespace gelu::ref

#endif  // GELU_TOOLS_REFERENCE_REFERENCE_H_
