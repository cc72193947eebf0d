// The model's pieces: unit-norm Gaussian init, inverted dropout scaling, shapes and the paper's
// parameter count. The only torch TU of the lab tests.
#include <gtest/gtest.h>

#include "lab/core/model.hpp"

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
