// The model's pieces: unit-norm Gaussian init, inverted dropout scaling, shapes and the paper's
// parameter count. The only torch TU of the lab tests.
#include <gtest/gtest.h>

#include <iostream>
#include <random>

#include "lab/core/dropout_mask.hpp"
#include "lab/core/model.hpp"
#include "torch/gelu_ops.hpp"

namespace gelu::lab {
namespace {

TEST(LabModel, UnitNormInitNormalizesEachOutputUnit) {
  ::torch::manual_seed(3);
  ::torch::nn::Linear layer(784, 128);
  UnitNormInit(layer);
  const auto norms = layer->weight.norm(2, 1);  // [out, in]: one row per output unit
  EXPECT_TRUE(::torch::allclose(norms, ::torch::ones({128}), 1e-5, 1e-6));
  EXPECT_EQ(layer->bias.abs().max().item<float>(), 0.0F);
  // Gaussian before scaling: entries of a unit row of length 784 have std about 1/sqrt(784).
  const double std = layer->weight.std().item<double>();
  EXPECT_NEAR(std, 1.0 / 28.0, 0.003);
}

TEST(LabModel, InvertedDropoutKeepsExpectationAndScales) {
  const auto x = ::torch::ones({200001});  // odd: the last draw uses half a 64-bit word
  for (const double keep : {0.5, 0.8}) {
    std::uint64_t state = 5;
    const auto y = InvertedDropout(x, keep, &state);
    const auto kept = y.ne(0);
    // Kept units are scaled by 1 / keep, the rest are zero; a fraction keep is kept.
    EXPECT_TRUE(::torch::allclose(y.masked_select(kept),
                                  ::torch::full({kept.sum().item<long>()}, 1.0 / keep)));
    EXPECT_NEAR(kept.to(::torch::kFloat64).mean().item<double>(), keep, 0.005);
    EXPECT_NEAR(y.mean().item<double>(), 1.0, 0.01);
    EXPECT_NE(state, 5U);
    // The same state gives the same mask; the next call a different one.
    std::uint64_t again = 5;
    EXPECT_TRUE(InvertedDropout(x, keep, &again).equal(y));
    EXPECT_FALSE(InvertedDropout(x, keep, &again).equal(y));
  }
  std::uint64_t state = 1;
  EXPECT_TRUE(InvertedDropout(x, 1.0, &state).equal(x));
  EXPECT_EQ(state, 1U);
}

// Dense (both GEMM backends + libgelu's fused bias kernels, one autograd node) against libtorch's
// own linear + our activation op: values and all three gradients, for odd shapes, an activation
// with a tail-heavy input range, relu, and no activation.
TEST(LabModel, DenseMatchesLinearPlusActivation) {
  ::torch::manual_seed(11);
  const GemmBackend initial = CurrentGemmBackend();
  for (const GemmBackend backend : {GemmBackend::kOneDnn, GemmBackend::kBlas}) {
    if (!SetGemmBackend(backend)) {
      std::cout << "oneDNN not built in: only the BLAS backend is tested\n";
      continue;
    }
    for (const int act : {static_cast<int>(GELU_ACT_GELU), static_cast<int>(GELU_ACT_RELU),
                          static_cast<int>(GELU_ACT_ELU), -1}) {
      const ::torch::Tensor x0 = ::torch::randn({37, 23}) * 3.0;
      const ::torch::Tensor w0 = ::torch::randn({11, 23});
      const ::torch::Tensor b0 = ::torch::randn({11});
      const ::torch::Tensor r = ::torch::randn({37, 11});
      auto run = [&](bool dense) {
        ::torch::Tensor x = x0.clone().requires_grad_(true);
        ::torch::Tensor w = w0.clone().requires_grad_(true);
        ::torch::Tensor b = b0.clone().requires_grad_(true);
        ::torch::Tensor y;
        if (dense) {
          y = Dense(x, w, b, act);
        } else {
          y = ::torch::nn::functional::linear(x, w, b);
          if (act >= 0) y = gelu::torch::activation(static_cast<gelu_act>(act), y);
        }
        (y * r).sum().backward();
        return std::vector<::torch::Tensor>{y.detach(), x.grad(), w.grad(), b.grad()};
      };
      const auto got = run(true), want = run(false);
      const char* names[] = {"y", "dx", "dw", "db"};
      for (std::size_t k = 0; k < got.size(); ++k) {
        ASSERT_EQ(got[k].sizes(), want[k].sizes()) << names[k];
        const double scale = want[k].abs().max().item<double>();
        EXPECT_LT((got[k] - want[k]).abs().max().item<double>(), 2e-5 * (1.0 + scale))
            << names[k] << " act=" << act << " backend=" << static_cast<int>(backend);
      }
    }
  }
  SetGemmBackend(initial);
}

// The CPU levels this machine can run (each test covers every copy it can).
std::vector<CpuLevel> LevelsOfThisCpu() {
  std::vector<CpuLevel> levels = {CpuLevel::kBaseline};
  if (DetectCpuLevel() != CpuLevel::kBaseline) levels.push_back(CpuLevel::kAvx2);
  if (DetectCpuLevel() == CpuLevel::kAvx512) levels.push_back(CpuLevel::kAvx512);
  return levels;
}

// The vectorized, runtime-dispatched mask against the sequential splitmix64 stream written out
// here (state += gamma, then hash), for even and odd lengths and two keep rates; chained calls
// continue the stream.
TEST(LabModel, DropoutMaskIsTheSplitMix64Stream) {
  auto reference = [](std::size_t n, std::uint64_t* state, std::uint64_t threshold, float scale) {
    std::vector<float> m(n);
    for (std::size_t i = 0; i < n; i += 2) {
      std::uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      z ^= z >> 31;
      m[i] = (z & 0xFFFFFFFFULL) < threshold ? scale : 0.0F;
      if (i + 1 < n) m[i + 1] = (z >> 32) < threshold ? scale : 0.0F;
    }
    return m;
  };
  for (const std::size_t n :
       {std::size_t{1}, std::size_t{2}, std::size_t{37}, std::size_t{16384}}) {
    for (const double keep : {0.5, 0.8}) {
      const auto threshold = static_cast<std::uint64_t>(keep * 4294967296.0 + 0.5);
      const auto scale = static_cast<float>(1.0 / keep);
      std::uint64_t ref_state = 12345, state = 12345;
      for (int call = 0; call < 2; ++call) {
        const std::vector<float> want = reference(n, &ref_state, threshold, scale);
        std::vector<float> got(n, -1.0F);
        const std::uint64_t next = FillDropoutMask(got.data(), n, state, threshold, scale);
        EXPECT_EQ(got, want) << "n=" << n << " keep=" << keep << " call=" << call;
        EXPECT_EQ(next, ref_state);
        for (const CpuLevel level : LevelsOfThisCpu()) {  // every copy of the loop
          std::vector<float> at_level(n, -1.0F);
          EXPECT_EQ(FillDropoutMask(at_level.data(), n, state, threshold, scale, level), next);
          EXPECT_EQ(at_level, want) << "level " << static_cast<int>(level);
        }
        state = next;
      }
    }
  }
}

// FusedAdam against libtorch's own Adam: same parameters, same gradient sequence, 30 steps; they
// may differ only by float rounding (the fused loop multiplies by 1/sqrt(bc2) instead of
// dividing). Then a hand-computed first step: m = 0.1 g, v = 0.001 g^2, so the update is
// lr * g / (|g| + eps * sqrt(0.001)) ~ lr * sign(g).
TEST(LabModel, FusedAdamMatchesTorchAdam) {
  ::torch::manual_seed(7);
  const ::torch::Tensor w0 = ::torch::randn({37, 11});
  const ::torch::Tensor b0 = ::torch::randn({11});
  ::torch::Tensor wa = w0.clone().requires_grad_(true), ba = b0.clone().requires_grad_(true);
  ::torch::Tensor wb = w0.clone().requires_grad_(true), bb = b0.clone().requires_grad_(true);
  const AdamHyper h{3e-3, 0.9, 0.999, 1e-8};
  ::torch::optim::Adam reference(
      {wa, ba}, ::torch::optim::AdamOptions(h.lr).betas({h.beta1, h.beta2}).eps(h.eps));
  FusedAdam fused({wb, bb}, h);
  for (int step = 0; step < 30; ++step) {
    const ::torch::Tensor gw = ::torch::randn({37, 11});
    const ::torch::Tensor gb = ::torch::randn({11}) * (step % 3 == 0 ? 1e-6 : 1.0);
    reference.zero_grad();
    (wa * gw).sum().add((ba * gb).sum()).backward();
    reference.step();
    fused.ZeroGrad();
    EXPECT_FALSE(wb.grad().defined());
    (wb * gw).sum().add((bb * gb).sum()).backward();
    fused.Step();
  }
  EXPECT_LT((wa - wb).abs().max().item<double>(), 2e-6);
  EXPECT_LT((ba - bb).abs().max().item<double>(), 2e-6);
  EXPECT_GT((wa - w0).abs().max().item<double>(), 1e-2);  // the steps moved the weights

  // Every copy of the loop rounds alike: 1000 steps on 37 values, bitwise equal.
  {
    std::vector<float> grads(37 * 1000);
    std::mt19937 rng(3);
    std::normal_distribution<float> nd;
    for (float& x : grads) x = nd(rng);
    std::vector<std::vector<float>> finals;
    for (const CpuLevel level : LevelsOfThisCpu()) {
      std::vector<float> mm(37, 0.0F), vv(37, 0.0F), pp(37, 0.5F);
      for (int t = 1; t <= 1000; ++t) {
        AdamStep(h, t, 37, grads.data() + 37 * (t - 1), mm.data(), vv.data(), pp.data(), level);
      }
      finals.push_back(pp);
    }
    for (const auto& f : finals) EXPECT_EQ(f, finals.front());
  }

  std::vector<float> g = {2.0F, -0.5F, 0.0F}, m(3, 0.0F), v(3, 0.0F), p = {1.0F, 1.0F, 1.0F};
  AdamStep(AdamHyper{0.01, 0.9, 0.999, 1e-8}, 1, 3, g.data(), m.data(), v.data(), p.data());
  EXPECT_FLOAT_EQ(m[0], 0.2F);
  EXPECT_FLOAT_EQ(v[1], 0.001F * 0.25F);
  EXPECT_NEAR(p[0], 1.0 - 0.01 * 2.0 / (2.0 + 1e-8), 1e-7);
  EXPECT_NEAR(p[1], 1.0 + 0.01 * 0.5 / (0.5 + 1e-8), 1e-7);
  EXPECT_FLOAT_EQ(p[2], 1.0F);  // g = 0: m = 0, no move
}

// A GEMM and libgelu on subnormal data: flushed to zero with flush_denormals (the default of
// every run), IEEE subnormals without (--keep-denormals).
TEST(LabModel, ComputeThreadsFlushSubnormalsOnRequest) {
  const float tiny = 0x1p-130F;  // subnormal
  const auto a = ::torch::full({4, 4}, tiny);
  const auto b = ::torch::eye(4);
  SetComputeThreads(1, false);
  EXPECT_EQ(::torch::mm(a, b)[0][0].item<float>(), tiny);
  // gelu(-14) = -14 Phi(-14) = -1.1e-43: a subnormal float.
  const auto x = ::torch::full({16}, -14.0F);
  const float g = gelu::torch::activation(GELU_ACT_GELU, x)[0].item<float>();
  EXPECT_LT(g, 0.0F);
  EXPECT_GT(g, -0x1p-126F);
  SetComputeThreads(1, true);
  EXPECT_EQ(::torch::mm(a, b)[0][0].item<float>(), 0.0F);  // DAZ: the input reads as 0
  volatile float half = 0x1p-120F;
  EXPECT_EQ(half * 0x1p-10F, 0.0F);  // FTZ: a subnormal product becomes 0
  SetComputeThreads(1, false);
  EXPECT_EQ(::torch::mm(a, b)[0][0].item<float>(), tiny);
}

TEST(LabModel, MlpShapesParametersAndDropoutOnlyInTraining) {
  ::torch::manual_seed(1);
  const MlpSpec spec{784, std::vector<std::size_t>(8, 128), 10};
  Mlp model(spec, "gelu", 0.5);
  std::int64_t params = 0;
  for (const auto& p : model->parameters()) params += p.numel();
  EXPECT_EQ(params, 217354);  // paper-spec.md section 3
  const auto x = ::torch::rand({4, 784});
  model->eval();
  const auto a = model->forward(x), b = model->forward(x);
  EXPECT_EQ(a.sizes(), (std::vector<std::int64_t>{4, 10}));
  EXPECT_TRUE(a.equal(b));  // no dropout in evaluation
  model->train();
  EXPECT_FALSE(model->forward(x).equal(a));
}

}  // namespace
}  // namespace gelu::lab
