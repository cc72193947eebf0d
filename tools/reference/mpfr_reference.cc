// MPFR reference (default 128 bits): the ground truth the double references are checked against.
// Sigmoid forms replace 1 + tanh(u) and 1 - tanh(u)^2 (the same functions) so that no
// cancellation eats the precision in the tails.
#include <mpfr.h>

#include <cmath>
#include <limits>

#include "tools/reference/reference.h"

namespace gelu::ref {
namespace {

// RAII wrapper around mpfr_t with the precision of the evaluation.
class Num {
 public:
  explicit Num(mpfr_prec_t bits) { mpfr_init2(v_, bits); }
  Num(const Num&) = delete;
  Num& operator=(const Num&) = delete;
  ~Num() { mpfr_clear(v_); }
  mpfr_ptr get() { return v_; }
  operator mpfr_ptr() { return v_; }

 private:
  mpfr_t v_;
};

constexpr mpfr_rnd_t kRnd = MPFR_RNDN;

// s = 1 / (1 + exp(-z))
void Sigmoid(mpfr_ptr s, mpfr_ptr z, mpfr_prec_t bits) {
  Num t(bits);
  mpfr_neg(t, z, kRnd);
  mpfr_exp(t, t, kRnd);
  mpfr_add_ui(t, t, 1, kRnd);
  mpfr_ui_div(s, 1, t, kRnd);
}

// Phi(z) = erfc(-z / sqrt 2) / 2
void Phi(mpfr_ptr out, mpfr_ptr z, mpfr_prec_t bits) {
  Num r2(bits);
  mpfr_sqrt_ui(r2, 2, kRnd);
  mpfr_div(out, z, r2, kRnd);
  mpfr_neg(out, out, kRnd);
  mpfr_erfc(out, out, kRnd);
  mpfr_div_ui(out, out, 2, kRnd);
}

// phi(z) = exp(-z^2 / 2) / sqrt(2 pi)
void Pdf(mpfr_ptr out, mpfr_ptr z, mpfr_prec_t bits) {
  Num c(bits);
  mpfr_const_pi(c, kRnd);
  mpfr_mul_ui(c, c, 2, kRnd);
  mpfr_sqrt(c, c, kRnd);
  mpfr_sqr(out, z, kRnd);
  mpfr_div_ui(out, out, 2, kRnd);
  mpfr_neg(out, out, kRnd);
  mpfr_exp(out, out, kRnd);
  mpfr_div(out, out, c, kRnd);
}

// f(x) = x s(k x) and f'(x) = s(kx) + kx s(kx) s(-kx), for gelu_sigmoid (k = 1.702) and silu.
void ScaledSilu(mpfr_ptr out, mpfr_ptr x, const char* k, Dir dir, mpfr_prec_t bits) {
  Num z(bits), s(bits), sm(bits), mz(bits);
  mpfr_set_str(z, k, 10, kRnd);
  mpfr_mul(z, z, x, kRnd);
  Sigmoid(s, z, bits);
  if (dir == Dir::kForward) {
    mpfr_mul(out, x, s, kRnd);
    return;
  }
  mpfr_neg(mz, z, kRnd);
  Sigmoid(sm, mz, bits);
  mpfr_mul(out, z, s, kRnd);
  mpfr_mul(out, out, sm, kRnd);
  mpfr_add(out, out, s, kRnd);
}

}  // namespace

double MpfrEval(gelu_act act, Dir dir, double x, int bits_in) {
  if (std::isnan(x)) return x;
  const auto bits = static_cast<mpfr_prec_t>(bits_in);
  Num xv(bits), out(bits);
  mpfr_set_d(xv, x, kRnd);
  const bool fwd = dir == Dir::kForward;
  switch (act) {
    case GELU_ACT_GELU: {
      Num p(bits);
      Phi(p, xv, bits);
      if (fwd) {
        mpfr_mul(out, xv, p, kRnd);
      } else {
        Pdf(out, xv, bits);
        mpfr_mul(out, out, xv, kRnd);
        mpfr_add(out, out, p, kRnd);
      }
      break;
    }
    case GELU_ACT_GELU_TANH: {
      // z = 2u = 2 sqrt(2/pi) (x + 0.044715 x^3); 0.5 (1 + tanh u) = s(z);
      // f' = s(z) + 0.5 x (4 s(z) s(-z)) sqrt(2/pi) (1 + 3 a x^2).
      Num c(bits), a(bits), x2(bits), z(bits), s(bits), sm(bits), t(bits);
      mpfr_const_pi(c, kRnd);
      mpfr_ui_div(c, 2, c, kRnd);
      mpfr_sqrt(c, c, kRnd);
      mpfr_set_str(a, "0.044715", 10, kRnd);
      mpfr_sqr(x2, xv, kRnd);
      mpfr_mul(z, x2, xv, kRnd);
      mpfr_mul(z, z, a, kRnd);
      mpfr_add(z, z, xv, kRnd);
      mpfr_mul(z, z, c, kRnd);
      mpfr_mul_ui(z, z, 2, kRnd);
      Sigmoid(s, z, bits);
      if (fwd) {
        mpfr_mul(out, xv, s, kRnd);
        break;
      }
      mpfr_neg(t, z, kRnd);
      Sigmoid(sm, t, bits);
      mpfr_mul(t, x2, a, kRnd);
      mpfr_mul_ui(t, t, 3, kRnd);
      mpfr_add_ui(t, t, 1, kRnd);
      mpfr_mul(t, t, c, kRnd);
      mpfr_mul(t, t, xv, kRnd);
      mpfr_mul(t, t, s, kRnd);
      mpfr_mul(t, t, sm, kRnd);
      mpfr_mul_ui(t, t, 2, kRnd);
      mpfr_add(out, t, s, kRnd);
      break;
    }
    case GELU_ACT_GELU_SIGMOID:
      ScaledSilu(out, xv, "1.702", dir, bits);
      break;
    case GELU_ACT_SILU:
      ScaledSilu(out, xv, "1", dir, bits);
      break;
    case GELU_ACT_RELU:
      if (fwd) {
        mpfr_set_d(out, x > 0 ? x : 0.0, kRnd);
      } else {
        mpfr_set_d(out, x > 0 ? 1.0 : 0.0, kRnd);
      }
      break;
    case GELU_ACT_ELU:
      if (x > 0) {
        mpfr_set_d(out, fwd ? x : 1.0, kRnd);
      } else if (fwd) {
        mpfr_expm1(out, xv, kRnd);
      } else {
        mpfr_exp(out, xv, kRnd);
      }
      break;
    default:
      return std::numeric_limits<double>::quiet_NaN();
  }
  return mpfr_get_d(out, kRnd);
}

double MpfrGaussian(int which, double x, double mu, double sigma, int bits_in) {
  const auto bits = static_cast<mpfr_prec_t>(bits_in);
  Num xv(bits), z(bits), s(bits), p(bits), d(bits), out(bits);
  mpfr_set_d(xv, x, kRnd);
  mpfr_set_d(s, sigma, kRnd);
  mpfr_set_d(z, mu, kRnd);
  mpfr_sub(z, xv, z, kRnd);
  mpfr_div(z, z, s, kRnd);
  Phi(p, z, bits);
  Pdf(d, z, bits);
  mpfr_mul(d, d, xv, kRnd);
  mpfr_div(d, d, s, kRnd);  // d = x phi(z) / sigma
  switch (which) {
    case 0:
      mpfr_mul(out, xv, p, kRnd);
      break;
    case 1:
      mpfr_add(out, p, d, kRnd);
      break;
    case 2:
      mpfr_neg(out, d, kRnd);
      break;
    default:
      mpfr_mul(out, d, z, kRnd);
      mpfr_neg(out, out, kRnd);
      break;
  }
  return mpfr_get_d(out, kRnd);
}

}  // namespace gelu::ref
