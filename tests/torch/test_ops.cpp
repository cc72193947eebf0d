// gelu_torch ops: values and gradients equal libgelu's C API bit for bit; gradients agree with
// central finite differences of double references; results do not depend on the thread count;
// bad input raises c10::Error with a message that names the problem.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <gelu/gelu.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tests/torch/reference.hpp"
#include "torch/gelu_ops.hpp"

namespace {

using ::gelu_torch_test::ActName;
using ::gelu_torch_test::CentralDifference;
using ::gelu_torch_test::ExpectBitwiseEqual;
using ::gelu_torch_test::GradTolerance;
using ::gelu_torch_test::Inputs;
using ::gelu_torch_test::kActs;
using ::gelu_torch_test::Phi;
using ::gelu_torch_test::PhiDensity;
using ::gelu_torch_test::RefTermScale;
using ::gelu_torch_test::RefValue;
using ::gelu_torch_test::TailAccurate;
using ::gelu_torch_test::ToDoubles;
using ::gelu_torch_test::ToVector;
using ::testing::HasSubstr;

std::vector<float> CForward(gelu_act act, const std::vector<float>& x) {
  std::vector<float> y(x.size());
  EXPECT_EQ(gelu_forward_f32(act, x.size(), x.data(), y.data()), GELU_OK);
  return y;
}

std::vector<float> CBackward(gelu_act act, const std::vector<float>& x,
                             const std::vector<float>& dy) {
  std::vector<float> dx(x.size());
  EXPECT_EQ(gelu_backward_f32(act, x.size(), x.data(), dy.data(), dx.data()), GELU_OK);
  return dx;
}

// ---- Per-activation tests ----------------------------------------------------------------------

class ActivationOpTest : public ::testing::TestWithParam<gelu_act> {};

TEST_P(ActivationOpTest, ForwardEqualsCApiBitwise) {
  const gelu_act act = GetParam();
  const at::Tensor x = Inputs(4099, 1, /*with_nonfinite=*/true);
  const std::vector<float> xv = ToVector(x);
  ExpectBitwiseEqual(ToVector(gelu::torch::activation(act, x)), CForward(act, xv), xv,
                     ActName(act));
}

TEST_P(ActivationOpTest, BackwardEqualsCApiBitwise) {
  const gelu_act act = GetParam();
  const at::Tensor x = Inputs(4099, 2, /*with_nonfinite=*/true).requires_grad_(true);
  const at::Tensor dy = at::randn(x.sizes(), at::kFloat);
  gelu::torch::activation(act, x).backward(dy);
  ASSERT_TRUE(x.grad().defined());
  const std::vector<float> xv = ToVector(x.detach());
  ExpectBitwiseEqual(ToVector(x.grad()), CBackward(act, xv, ToVector(dy)), xv, ActName(act));
}

TEST_P(ActivationOpTest, GradientMatchesFiniteDifferences) {
  const gelu_act act = GetParam();
  const at::Tensor x = Inputs(2000, 3, /*with_nonfinite=*/false).clamp(-12.0, 12.0);
  const at::Tensor xg = x.clone().requires_grad_(true);
  const at::Tensor dy = at::randn(x.sizes(), at::kFloat);
  gelu::torch::activation(act, xg).backward(dy);
  const std::vector<float> xv = ToVector(x);
  const std::vector<float> dyv = ToVector(dy);
  const std::vector<float> g = ToVector(xg.grad());
  int checked = 0;
  for (size_t i = 0; i < xv.size(); ++i) {
    const double xi = xv[i];
    // relu and elu have a kink at 0, where a central difference means nothing.
    if ((act == GELU_ACT_RELU || act == GELU_ACT_ELU) && std::fabs(xi) < 1e-4) continue;
    const double fd = CentralDifference([&](double t) { return RefValue(act, t); }, xi);
    const double want = static_cast<double>(dyv[i]) * fd;
    const double tol = GradTolerance(dyv[i], RefTermScale(act, xi), TailAccurate(act));
    ASSERT_NEAR(static_cast<double>(g[i]), want, tol)
        << ActName(act) << " at x = " << xi << ", dy = " << dyv[i];
    ++checked;
  }
  EXPECT_GT(checked, 1900);
}

TEST_P(ActivationOpTest, ForwardMatchesDoubleReferenceAtSpecialPoints) {
  // Not an accuracy test (tests/gelu owns that); it ties the op to the right function.
  const gelu_act act = GetParam();
  const std::vector<float> xv = {-10.0f, -6.0f, 0.5f, -1.0f, 2.0f};
  const std::vector<float> y = ToVector(gelu::torch::activation(act, at::tensor(xv, at::kFloat)));
  for (size_t i = 0; i < xv.size(); ++i) {
    const double want = RefValue(act, xv[i]);
    const double tol = 1e-6 * std::fabs(want) + (TailAccurate(act) ? 0.0 : 1e-7);
    EXPECT_NEAR(y[i], want, tol) << ActName(act) << " at x = " << xv[i];
  }
}

TEST_P(ActivationOpTest, NonContiguousAndShapes) {
  const gelu_act act = GetParam();
  at::manual_seed(4);
  const at::Tensor base = at::randn({37, 29}, at::kFloat);
  const at::Tensor t = base.t();  // non-contiguous view
  ASSERT_FALSE(t.is_contiguous());
  const at::Tensor y = gelu::torch::activation(act, t);
  EXPECT_EQ(y.sizes(), t.sizes());
  EXPECT_TRUE(at::equal(y, gelu::torch::activation(act, t.contiguous())));
  const at::Tensor strided = base.flatten().slice(0, 0, base.numel(), 3);
  EXPECT_TRUE(at::equal(gelu::torch::activation(act, strided),
                        gelu::torch::activation(act, strided.contiguous())));
  // Gradient of a non-contiguous input.
  const at::Tensor tg = base.clone().requires_grad_(true);
  gelu::torch::activation(act, tg.t()).sum().backward();
  const std::vector<float> xv = ToVector(base);
  ExpectBitwiseEqual(ToVector(tg.grad()), CBackward(act, xv, std::vector<float>(xv.size(), 1.0f)),
                     xv, ActName(act) + " grad of transposed input");
  // Empty, 0-dim and 4-d tensors.
  EXPECT_EQ(gelu::torch::activation(act, at::empty({0, 3}, at::kFloat)).sizes(),
            (std::vector<int64_t>{0, 3}));
  const at::Tensor s = gelu::torch::activation(act, at::scalar_tensor(0.5, at::kFloat));
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.item<float>(), CForward(act, {0.5f})[0]);
  EXPECT_EQ(gelu::torch::activation(act, at::randn({2, 3, 4, 5})).sizes(),
            (std::vector<int64_t>{2, 3, 4, 5}));
}

TEST_P(ActivationOpTest, WrongDtypeIsAClearError) {
  const gelu_act act = GetParam();
  try {
    gelu::torch::activation(act, at::ones({3}, at::kDouble));
    FAIL() << "float64 input accepted";
  } catch (const c10::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("float32"));
    EXPECT_THAT(e.what(), HasSubstr("Double"));
    EXPECT_THAT(e.what(), HasSubstr("gelu::" + ActName(act)));
  }
  EXPECT_THROW(gelu::torch::activation(act, at::ones({3}, at::kInt)), c10::Error);
  EXPECT_THROW(gelu::torch::activation(act, at::ones({3}, at::kHalf)), c10::Error);
}

TEST_P(ActivationOpTest, ResultDoesNotDependOnThreadCount) {
  const gelu_act act = GetParam();
  at::manual_seed(5);
  const int64_t n = (int64_t{1} << 20) + 12345;  // > 1M and not a multiple of the chunk size
  const at::Tensor x = at::randn({n}, at::kFloat) * 4.0;
  const at::Tensor dy = at::randn({n}, at::kFloat);
  const int saved = at::get_num_threads();
  auto run = [&](int threads) {
    at::set_num_threads(threads);
    EXPECT_EQ(at::get_num_threads(), threads);
    const at::Tensor xg = x.clone().requires_grad_(true);
    const at::Tensor y = gelu::torch::activation(act, xg);
    y.backward(dy);
    return std::make_pair(ToVector(y.detach()), ToVector(xg.grad()));
  };
  const auto one = run(1);
  const auto two = run(2);
  at::set_num_threads(saved);
  const std::vector<float> xv = ToVector(x);
  ExpectBitwiseEqual(two.first, one.first, xv, ActName(act) + " forward, 2 vs 1 threads");
  ExpectBitwiseEqual(two.second, one.second, xv, ActName(act) + " backward, 2 vs 1 threads");
  ExpectBitwiseEqual(one.first, CForward(act, xv), xv, ActName(act) + " forward vs C API");
  ExpectBitwiseEqual(one.second, CBackward(act, xv, ToVector(dy)), xv,
                     ActName(act) + " backward vs C API");
}

INSTANTIATE_TEST_SUITE_P(AllActivations, ActivationOpTest, ::testing::ValuesIn(kActs),
                         [](const ::testing::TestParamInfo<gelu_act>& param_info) {
                           return ActName(param_info.param);
                         });

TEST(ActivationOp, UnknownActIsAnError) {
  EXPECT_THROW(gelu::torch::activation(static_cast<gelu_act>(GELU_ACT_COUNT), at::ones({2})),
               c10::Error);
}

TEST(ActivationOp, OpsAreRegisteredUnderTheirIds) {
  for (const char* name : {"gelu::gelu", "gelu::gelu_tanh", "gelu::gelu_sigmoid", "gelu::silu",
                           "gelu::relu", "gelu::elu", "gelu::gaussian_gelu"}) {
    EXPECT_TRUE(c10::Dispatcher::singleton().findSchema({name, ""}).has_value()) << name;
  }
}

// ---- Gaussian GELU -----------------------------------------------------------------------------

struct GaussianCase {
  float mu;
  float sigma;
};

class GaussianOpTest : public ::testing::TestWithParam<GaussianCase> {};

TEST_P(GaussianOpTest, EqualsCApiBitwise) {
  const auto [mu, sigma] = GetParam();
  const at::Tensor x = Inputs(3001, 6, /*with_nonfinite=*/true).requires_grad_(true);
  const at::Tensor m = at::scalar_tensor(mu, at::kFloat).requires_grad_(true);
  const at::Tensor s = at::scalar_tensor(sigma, at::kFloat).requires_grad_(true);
  const at::Tensor dy = at::randn(x.sizes(), at::kFloat);
  const at::Tensor y = gelu::torch::gaussian_gelu(x, m, s);
  y.backward(dy);

  const std::vector<float> xv = ToVector(x.detach());
  const std::vector<float> dyv = ToVector(dy);
  std::vector<float> want_y(xv.size());
  std::vector<float> want_dx(xv.size());
  float want_dmu = 0.0f;
  float want_dsigma = 0.0f;
  ASSERT_EQ(gelu_gaussian_forward_f32(mu, sigma, xv.size(), xv.data(), want_y.data()), GELU_OK);
  ASSERT_EQ(gelu_gaussian_backward_f32(mu, sigma, xv.size(), xv.data(), dyv.data(), want_dx.data(),
                                       &want_dmu, &want_dsigma),
            GELU_OK);
  ExpectBitwiseEqual(ToVector(y.detach()), want_y, xv, "gaussian_gelu forward");
  ExpectBitwiseEqual(ToVector(x.grad()), want_dx, xv, "gaussian_gelu dx");
  // NaN and inf inputs make the sums NaN; both sides must agree on that too.
  ASSERT_EQ(m.grad().dim(), 0);
  ASSERT_EQ(s.grad().dim(), 0);
  EXPECT_EQ(std::bit_cast<uint32_t>(m.grad().item<float>()), std::bit_cast<uint32_t>(want_dmu));
  EXPECT_EQ(std::bit_cast<uint32_t>(s.grad().item<float>()), std::bit_cast<uint32_t>(want_dsigma));
}

TEST_P(GaussianOpTest, GradientsMatchFiniteDifferences) {
  const auto [mu, sigma] = GetParam();
  const at::Tensor x0 = Inputs(1500, 7, /*with_nonfinite=*/false).clamp(-12.0, 12.0);
  const at::Tensor x = x0.clone().requires_grad_(true);
  const at::Tensor m = at::scalar_tensor(mu, at::kFloat).requires_grad_(true);
  const at::Tensor s = at::scalar_tensor(sigma, at::kFloat).requires_grad_(true);
  const at::Tensor dy = at::randn(x.sizes(), at::kFloat);
  gelu::torch::gaussian_gelu(x, m, s).backward(dy);

  const std::vector<double> xv = ToDoubles(x0);
  const std::vector<double> dyv = ToDoubles(dy);
  const std::vector<float> g = ToVector(x.grad());
  const double md = mu;
  const double sd = sigma;
  auto f = [](double xi, double mui, double si) { return xi * Phi((xi - mui) / si); };
  double mu_scale = 0.0;
  double sigma_scale = 0.0;
  for (size_t i = 0; i < xv.size(); ++i) {
    const double xi = xv[i];
    const double z = (xi - md) / sd;
    const double fd = CentralDifference([&](double t) { return f(t, md, sd); }, xi);
    const double scale = Phi(z) + std::fabs(xi) * PhiDensity(z) / sd;
    ASSERT_NEAR(g[i], dyv[i] * fd, GradTolerance(dyv[i], scale))
        << "d/dx at x = " << xi << ", mu = " << mu << ", sigma = " << sigma;
    mu_scale += std::fabs(dyv[i] * xi * PhiDensity(z) / sd);
    sigma_scale += std::fabs(dyv[i] * xi * PhiDensity(z) * z / sd);
  }
  // dL/dmu and dL/dsigma of L = sum dy * f: central differences of the whole sum in double.
  auto loss = [&](double mui, double si) {
    double l = 0.0;
    for (size_t i = 0; i < xv.size(); ++i) l += dyv[i] * f(xv[i], mui, si);
    return l;
  };
  const double want_dmu = CentralDifference([&](double t) { return loss(t, sd); }, md);
  const double want_dsigma = CentralDifference([&](double t) { return loss(md, t); }, sd);
  // The sums mix signs; their float error is bounded by the sum of the terms' magnitudes.
  EXPECT_NEAR(m.grad().item<float>(), want_dmu, 1e-5 * mu_scale + 1e-30);
  EXPECT_NEAR(s.grad().item<float>(), want_dsigma, 1e-5 * sigma_scale + 1e-30);
}

TEST_P(GaussianOpTest, ResultDoesNotDependOnThreadCount) {
  const auto [mu, sigma] = GetParam();
  at::manual_seed(8);
  const int64_t n = (int64_t{1} << 20) + 777;
  const at::Tensor x = at::randn({n}, at::kFloat) * 3.0;
  const at::Tensor dy = at::randn({n}, at::kFloat);
  const int saved = at::get_num_threads();
  auto run = [&](int threads) {
    at::set_num_threads(threads);
    const at::Tensor xg = x.clone().requires_grad_(true);
    const at::Tensor m = at::scalar_tensor(mu, at::kFloat).requires_grad_(true);
    const at::Tensor s = at::scalar_tensor(sigma, at::kFloat).requires_grad_(true);
    const at::Tensor y = gelu::torch::gaussian_gelu(xg, m, s);
    y.backward(dy);
    return std::make_tuple(ToVector(y.detach()), ToVector(xg.grad()), m.grad().item<float>(),
                           s.grad().item<float>());
  };
  const auto one = run(1);
  const auto two = run(2);
  at::set_num_threads(saved);
  const std::vector<float> xv = ToVector(x);
  ExpectBitwiseEqual(std::get<0>(two), std::get<0>(one), xv, "gaussian forward 2 vs 1 threads");
  ExpectBitwiseEqual(std::get<1>(two), std::get<1>(one), xv, "gaussian dx 2 vs 1 threads");
  EXPECT_EQ(std::bit_cast<uint32_t>(std::get<2>(two)), std::bit_cast<uint32_t>(std::get<2>(one)));
  EXPECT_EQ(std::bit_cast<uint32_t>(std::get<3>(two)), std::bit_cast<uint32_t>(std::get<3>(one)));
  // The chunked dmu/dsigma sums agree with the C API's single sum to float rounding: each of
  // the ~32 chunk sums and the C API's total is rounded to float once, so both stay within
  // 2e-7 * sum |terms| of the exact sum.
  const std::vector<float> dyv = ToVector(dy);
  const std::vector<double> dyd = ToDoubles(dy);
  const double md = mu;
  const double sd = sigma;
  double mu_scale = 0.0;
  double sigma_scale = 0.0;
  for (size_t i = 0; i < xv.size(); ++i) {
    const double xi = xv[i];
    const double z = (xi - md) / sd;
    const double t = std::fabs(dyd[i] * xi * PhiDensity(z) / sd);
    mu_scale += t;
    sigma_scale += t * std::fabs(z);
  }
  float dmu = 0.0f;
  float dsigma = 0.0f;
  std::vector<float> dx(xv.size());
  ASSERT_EQ(gelu_gaussian_backward_f32(mu, sigma, xv.size(), xv.data(), dyv.data(), dx.data(), &dmu,
                                       &dsigma),
            GELU_OK);
  ExpectBitwiseEqual(std::get<1>(one), dx, xv, "gaussian dx vs C API");
  EXPECT_NEAR(std::get<2>(one), dmu, 2e-7 * mu_scale);
  EXPECT_NEAR(std::get<3>(one), dsigma, 2e-7 * sigma_scale);
}

INSTANTIATE_TEST_SUITE_P(Params, GaussianOpTest,
                         ::testing::Values(GaussianCase{0.0f, 1.0f}, GaussianCase{0.3f, 0.7f},
                                           GaussianCase{-1.0f, 2.5f}, GaussianCase{2.0f, 0.05f}));

TEST(GaussianOp, DoubleParametersGetDoubleGradients) {
  const at::Tensor x = at::randn({10}, at::kFloat);
  const at::Tensor m = at::scalar_tensor(0.25, at::kDouble).requires_grad_(true);
  const at::Tensor s = at::scalar_tensor(1.5, at::kDouble).requires_grad_(true);
  gelu::torch::gaussian_gelu(x, m, s).sum().backward();
  EXPECT_EQ(m.grad().scalar_type(), at::kDouble);
  EXPECT_EQ(s.grad().scalar_type(), at::kDouble);
  EXPECT_EQ(m.grad().dim(), 0);
}

TEST(GaussianOp, BadArgumentsAreClearErrors) {
  const at::Tensor x = at::randn({10}, at::kFloat);
  const at::Tensor mu = at::scalar_tensor(0.0, at::kFloat);
  auto message = [&](const at::Tensor& xx, const at::Tensor& m, const at::Tensor& s) {
    try {
      gelu::torch::gaussian_gelu(xx, m, s);
    } catch (const c10::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  for (double bad : {0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    EXPECT_THAT(message(x, mu, at::scalar_tensor(bad, at::kFloat)),
                HasSubstr("sigma must be positive and finite"))
        << bad;
  }
  EXPECT_THAT(message(x, at::zeros({2}), at::ones({})), HasSubstr("mu to have one element"));
  EXPECT_THAT(message(x.to(at::kDouble), mu, at::ones({})), HasSubstr("float32"));
  EXPECT_THAT(message(x, at::zeros({}, at::kInt), at::ones({})), HasSubstr("floating"));
}

}  // namespace
