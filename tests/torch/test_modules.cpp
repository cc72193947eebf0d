// gelu_torch modules: every MakeActivation id works inside Sequential; GaussianGelu learns mu and
// sigma and keeps sigma positive; StochasticGelu is the 0-I map (x or 0 per element, mean
// x * Phi(x), gradient = mask) in training and exact GELU in evaluation; Gated, Geglu and Swiglu
// are the gated ops on a fused [a | b] input.
#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <gelu/gelu.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>

#include <cmath>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

#include "torch/gelu_modules.hpp"
#include "torch/gelu_ops.hpp"

namespace {

using ::testing::HasSubstr;

double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

std::string Print(const ::torch::nn::Module& m) {
  std::ostringstream os;
  m.pretty_print(os);
  return os.str();
}

TEST(MakeActivation, EveryIdWorksInSequential) {
  ASSERT_EQ(gelu::torch::ActivationIds().size(), GELU_ACT_COUNT + 2u);
  for (std::string_view id : gelu::torch::ActivationIds()) {
    SCOPED_TRACE(std::string(id));
    at::manual_seed(1);
    ::torch::nn::Sequential seq(::torch::nn::Linear(4, 8));
    seq->push_back(gelu::torch::MakeActivation(id));
    seq->push_back(::torch::nn::Linear(8, 2));
    const size_t extra = id == "gaussian_gelu" ? 2 : 0;
    EXPECT_EQ(seq->parameters().size(), 4 + extra);
    const at::Tensor y = seq->forward(at::randn({5, 4}));
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{5, 2}));
    EXPECT_TRUE(at::isfinite(y).all().item<bool>());
    y.square().sum().backward();
    for (const auto& p : seq->parameters()) {
      ASSERT_TRUE(p.grad().defined());
      EXPECT_TRUE(at::isfinite(p.grad()).all().item<bool>());
    }
    std::ostringstream os;
    os << *seq;
    EXPECT_THAT(os.str(), HasSubstr("gelu::torch::"));
  }
}

TEST(MakeActivation, UnknownIdListsValidOnes) {
  try {
    gelu::torch::MakeActivation("swish");
    FAIL() << "unknown id accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("'swish'"));
    for (std::string_view id : gelu::torch::ActivationIds()) {
      EXPECT_THAT(e.what(), HasSubstr(std::string(id)));
    }
  }
  EXPECT_THROW(gelu::torch::MakeActivation(""), std::invalid_argument);
  EXPECT_THROW(gelu::torch::MakeActivation("GELU"), std::invalid_argument);
}

TEST(Activation, ForwardIsTheOpAndPrintsItsId) {
  at::manual_seed(2);
  const at::Tensor x = at::randn({100});
#define X(ID, NAME, ENUM, DESC)                                                           \
  {                                                                                       \
    gelu::torch::Activation by_enum(ENUM);                                                \
    gelu::torch::Activation by_id(#NAME);                                                 \
    EXPECT_EQ(by_id->act(), ENUM);                                                        \
    EXPECT_TRUE(at::equal(by_enum(x), gelu::torch::activation(ENUM, x)));                 \
    EXPECT_TRUE(at::equal(by_id(x), by_enum(x)));                                         \
    EXPECT_EQ(Print(*by_enum), "gelu::torch::Activation(" #NAME ")");                     \
    auto copy = std::dynamic_pointer_cast<gelu::torch::ActivationImpl>(by_enum->clone()); \
    ASSERT_TRUE(copy);                                                                    \
    EXPECT_EQ(copy->act(), ENUM);                                                         \
  }
#include "src/act/activations.def"
#undef X
  EXPECT_THROW(gelu::torch::Activation("gaussian_gelu"), std::invalid_argument);
  EXPECT_THROW(gelu::torch::Activation(static_cast<gelu_act>(GELU_ACT_COUNT)),
               std::invalid_argument);
}

TEST(GaussianGelu, DefaultIsGeluAndParametersAreNamed) {
  gelu::torch::GaussianGelu g;
  EXPECT_NEAR(g->sigma().item<double>(), 1.0, 1e-6);
  EXPECT_EQ(g->mu.item<double>(), 0.0);
  const auto named = g->named_parameters();
  ASSERT_EQ(named.size(), 2u);
  EXPECT_TRUE(named.contains("mu"));
  EXPECT_TRUE(named.contains("rho"));
  EXPECT_EQ(named["mu"].dim(), 0);
  EXPECT_EQ(Print(*g), "gelu::torch::GaussianGelu(mu=0, sigma=1)");
  at::manual_seed(3);
  const at::Tensor x = at::randn({1000}) * 3.0;
  // sigma = softplus(rho) + kMinSigma is 1 only to float rounding, so compare with a tolerance.
  EXPECT_TRUE(at::allclose(g(x), gelu::torch::activation(GELU_ACT_GELU, x), 1e-5, 1e-6));
  EXPECT_THROW(gelu::torch::GaussianGelu(0.0, 0.0), std::invalid_argument);
  EXPECT_THROW(gelu::torch::GaussianGelu(0.0, -1.0), std::invalid_argument);
  EXPECT_THROW(gelu::torch::GaussianGelu(NAN, 1.0), std::invalid_argument);
  gelu::torch::GaussianGelu h(0.5, 30.0);
  EXPECT_NEAR(h->sigma().item<double>(), 30.0, 1e-4);
  EXPECT_NEAR(h->mu.item<double>(), 0.5, 1e-7);
}

TEST(GaussianGelu, LearnsMuAndSigmaAndKeepsSigmaPositive) {
  // Fit y = x * Phi((x - 0.5) / 0.5) from mu = 0, sigma = 1 by plain gradient descent.
  at::manual_seed(4);
  const at::Tensor x = at::randn({4096}) * 2.0;
  const at::Tensor target = x * 0.5 * at::erfc(-(x - 0.5) / (0.5 * std::sqrt(2.0)));
  gelu::torch::GaussianGelu g;
  const double loss0 = (g(x) - target).square().mean().item<double>();
  double loss = loss0;
  for (int step = 0; step < 400; ++step) {
    g->zero_grad();
    const at::Tensor l = (g(x) - target).square().mean();
    l.backward();
    ASSERT_TRUE(g->mu.grad().defined());
    ASSERT_TRUE(g->rho.grad().defined());
    if (step == 0) {
      EXPECT_NE(g->mu.grad().item<float>(), 0.0f);
      EXPECT_NE(g->rho.grad().item<float>(), 0.0f);
    }
    {
      c10::NoGradGuard no_grad;
      for (auto& p : g->parameters()) p.sub_(5.0 * p.grad());
    }
    loss = l.item<double>();
    ASSERT_GT(g->sigma().item<double>(), 0.0);
  }
  EXPECT_LT(loss, 1e-4 * loss0);
  EXPECT_NEAR(g->mu.item<double>(), 0.5, 0.01);
  EXPECT_NEAR(g->sigma().item<double>(), 0.5, 0.01);

  // However far an optimizer drives rho down, sigma stays positive and the forward works.
  {
    c10::NoGradGuard no_grad;
    g->rho.fill_(-200.0);
  }
  EXPECT_GT(g->sigma().item<double>(), 0.0);
  EXPECT_TRUE(at::isfinite(g(x)).all().item<bool>());

  // clone() copies the learned values.
  auto copy = std::dynamic_pointer_cast<gelu::torch::GaussianGeluImpl>(g->clone());
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->mu.item<float>(), g->mu.item<float>());
  EXPECT_EQ(copy->rho.item<float>(), g->rho.item<float>());
}

TEST(StochasticGelu, EvalIsExactGelu) {
  gelu::torch::StochasticGelu s;
  s->eval();
  at::manual_seed(5);
  const at::Tensor x = at::randn({10000}) * 3.0;
  EXPECT_TRUE(at::equal(s(x), gelu::torch::activation(GELU_ACT_GELU, x)));
  EXPECT_EQ(Print(*s), "gelu::torch::StochasticGelu()");
}

TEST(StochasticGelu, TrainingOutputIsXOrZeroAndGradientIsTheMask) {
  gelu::torch::StochasticGelu s;
  s->train();
  at::manual_seed(6);
  const at::Tensor x0 = at::randn({10000}) * 2.0;
  ASSERT_FALSE(at::eq(x0, 0.0).any().item<bool>());
  const at::Tensor x = x0.clone().requires_grad_(true);
  const at::Tensor y = s(x);
  const at::Tensor kept = at::eq(y, x0);
  const at::Tensor dropped = at::eq(y, 0.0);
  EXPECT_TRUE(at::logical_or(kept, dropped).all().item<bool>());
  EXPECT_TRUE(kept.any().item<bool>());
  EXPECT_TRUE(dropped.any().item<bool>());
  const at::Tensor dy = at::randn({10000});
  y.backward(dy);
  EXPECT_TRUE(at::equal(x.grad(), dy * kept.to(at::kFloat)));
  // Far tails: Phi(-10) ~ 8e-24 and Phi(10) ~ 1 - 8e-24, so the mask is certain there.
  const at::Tensor tails = at::tensor({-10.0f, -9.0f, 9.0f, 10.0f}).repeat({1000});
  EXPECT_TRUE(at::equal(s(tails), tails * (tails > 0).to(at::kFloat)));
}

TEST(StochasticGelu, MeanOverDrawsIsXPhiX) {
  gelu::torch::StochasticGelu s;
  s->train();
  at::manual_seed(7);
  constexpr int64_t kDraws = 40000;
  const at::Tensor grid = at::linspace(-3.0, 3.0, 25);
  const at::Tensor mean = s(grid.expand({kDraws, 25}).contiguous()).mean(0);
  for (int64_t i = 0; i < 25; ++i) {
    const double xi = grid[i].item<double>();
    const double p = Phi(xi);
    // x * m has standard deviation |x| sqrt(p (1 - p)); allow 5 standard errors of the mean.
    const double tol = 5.0 * std::fabs(xi) * std::sqrt(p * (1.0 - p) / kDraws) + 1e-6;
    EXPECT_NEAR(mean[i].item<double>(), xi * p, tol) << "x = " << xi;
  }
}

TEST(StochasticGelu, FollowsTheGlobalSeed) {
  gelu::torch::StochasticGelu s;
  const at::Tensor x = at::linspace(-2.0, 2.0, 1000);
  at::manual_seed(11);
  const at::Tensor a = s(x);
  at::manual_seed(11);
  EXPECT_TRUE(at::equal(a, s(x)));
}

TEST(GatedModules, ForwardIsTheGatedOpAndPrintsItsAct) {
  at::manual_seed(12);
  const at::Tensor x = at::randn({3, 5, 8});
  gelu::torch::Geglu geglu;
  gelu::torch::Geglu geglu_tanh("tanh");
  gelu::torch::Geglu geglu_sigmoid("sigmoid");
  gelu::torch::Swiglu swiglu;
  gelu::torch::Gated reglu("relu");
  EXPECT_EQ(geglu->act(), GELU_ACT_GELU);
  EXPECT_EQ(geglu_tanh->act(), GELU_ACT_GELU_TANH);
  EXPECT_EQ(geglu_sigmoid->act(), GELU_ACT_GELU_SIGMOID);
  EXPECT_EQ(reglu->act(), GELU_ACT_RELU);
  EXPECT_TRUE(at::equal(geglu(x), gelu::torch::gated(x, GELU_ACT_GELU)));
  EXPECT_TRUE(at::equal(geglu_tanh(x), gelu::torch::gated(x, GELU_ACT_GELU_TANH)));
  EXPECT_TRUE(at::equal(geglu_sigmoid(x), gelu::torch::gated(x, GELU_ACT_GELU_SIGMOID)));
  EXPECT_TRUE(at::equal(swiglu(x), gelu::torch::gated(x, GELU_ACT_SILU)));
  EXPECT_TRUE(at::equal(reglu(x), gelu::torch::gated(x, GELU_ACT_RELU)));
  EXPECT_TRUE(at::equal(gelu::torch::Gated(GELU_ACT_SILU)(x), swiglu(x)));
  EXPECT_EQ(swiglu(x).sizes(), (std::vector<int64_t>{3, 5, 4}));
  // Independent check of the split: first half activated, second half the gate.
  const at::Tensor a = x.narrow(-1, 0, 4);
  const at::Tensor b = x.narrow(-1, 4, 4);
  EXPECT_TRUE(at::allclose(swiglu(x), a * at::sigmoid(a) * b, 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(geglu(x), at::gelu(a) * b, 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(geglu_tanh(x), at::gelu(a, "tanh") * b, 1e-5, 1e-6));

  EXPECT_EQ(Print(*geglu), "gelu::torch::Geglu(approximate=none)");
  EXPECT_EQ(Print(*geglu_tanh), "gelu::torch::Geglu(approximate=tanh)");
  EXPECT_EQ(Print(*geglu_sigmoid), "gelu::torch::Geglu(approximate=sigmoid)");
  EXPECT_EQ(Print(*swiglu), "gelu::torch::Swiglu()");
  EXPECT_EQ(Print(*reglu), "gelu::torch::Gated(relu)");
  EXPECT_TRUE(geglu->parameters().empty());
  auto copy = std::dynamic_pointer_cast<gelu::torch::GegluImpl>(geglu_tanh->clone());
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->act(), GELU_ACT_GELU_TANH);
  auto gated_copy = std::dynamic_pointer_cast<gelu::torch::GatedImpl>(reglu->clone());
  ASSERT_TRUE(gated_copy);
  EXPECT_EQ(gated_copy->act(), GELU_ACT_RELU);
}

TEST(GatedModules, TransformerFeedForwardTrains) {
  // Linear(d, 2 * C) -> Geglu / Swiglu -> Linear(C, d), the GLU-variant feed-forward block.
  for (const char* kind : {"geglu", "swiglu"}) {
    SCOPED_TRACE(kind);
    at::manual_seed(13);
    ::torch::nn::Sequential ff(::torch::nn::Linear(6, 2 * 16));
    if (std::string(kind) == "geglu") {
      ff->push_back(gelu::torch::Geglu("tanh"));
    } else {
      ff->push_back(gelu::torch::Swiglu());
    }
    ff->push_back(::torch::nn::Linear(16, 6));
    const at::Tensor x = at::randn({2, 7, 6});
    const at::Tensor target = at::sin(x);
    double first = 0.0;
    double last = 0.0;
    for (int step = 0; step < 200; ++step) {
      ff->zero_grad();
      const at::Tensor loss = (ff->forward(x) - target).square().mean();
      loss.backward();
      {
        c10::NoGradGuard no_grad;
        for (auto& p : ff->parameters()) p.sub_(0.1 * p.grad());
      }
      if (step == 0) first = loss.item<double>();
      last = loss.item<double>();
    }
    EXPECT_LT(last, 0.2 * first);
    std::ostringstream os;
    os << *ff;
    EXPECT_THAT(os.str(),
                HasSubstr(std::string(kind) == "geglu" ? "Geglu(approximate=tanh)" : "Swiglu()"));
  }
}

TEST(GatedModules, BadArgumentsAreClearErrors) {
  try {
    gelu::torch::Geglu bad("exact");
    FAIL() << "approximate='exact' accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("'exact'"));
    EXPECT_THAT(e.what(), HasSubstr("none, tanh, sigmoid"));
  }
  try {
    gelu::torch::Gated bad("swish");
    FAIL() << "id 'swish' accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("'swish'"));
    EXPECT_THAT(e.what(), HasSubstr("gelu_tanh"));
  }
  EXPECT_THROW(gelu::torch::Gated(static_cast<gelu_act>(GELU_ACT_COUNT)), std::invalid_argument);
  gelu::torch::Swiglu swiglu;
  EXPECT_THROW(swiglu(at::randn({2, 5})), c10::Error);  // odd last dimension
}

}  // namespace
