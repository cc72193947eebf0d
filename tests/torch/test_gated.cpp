// gelu_torch gated ops (gelu::gated on a fused [a | b] tensor, gelu::gated2 on separate a and b):
// values against double references f(a) * b, gradients against central differences in double
// and against torch's own composite f(a) * b under autograd, both layouts giving the same bits,
// row-strided and non-contiguous inputs, odd C, thread-count independence and clear errors.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <gelu/gelu.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
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
using ::gelu_torch_test::RefTermScale;
using ::gelu_torch_test::RefValue;
using ::gelu_torch_test::TailAccurate;
using ::gelu_torch_test::ToDoubles;
using ::gelu_torch_test::ToVector;
using ::testing::HasSubstr;

constexpr double kMinSubnormal = 0x1p-149;

// DESIGN.md's ulp(r): the spacing of float32 around |r|, 2^-149 below the normal range.
double Ulp32(double r) {
  const double m = std::fabs(r);
  if (m < 0x1p-126) return kMinSubnormal;
  return std::ldexp(1.0, std::ilogb(m) - 23);
}

// Values y = f(a) * b: libgelu rounds the product once from its float f(a), which is within
// 2 ULP of f(a) for every activation (docs/ACCURACY.md), so y is within 3 ULP of the exact
// product. Where f(a) is itself subnormal, its absolute error (up to 2 * 2^-149) is scaled by
// |b|, hence the second term.
double ValueTolerance(double want, double b) {
  return 3.0 * Ulp32(want) + 2.0 * kMinSubnormal * std::fabs(b);
}

// torch's own f(a) for each activation id, for the composite f(a) * b under autograd.
at::Tensor TorchComposite(gelu_act act, const at::Tensor& a) {
  switch (act) {
    case GELU_ACT_GELU:
      return at::gelu(a);
    case GELU_ACT_GELU_TANH:
      return at::gelu(a, "tanh");
    case GELU_ACT_GELU_SIGMOID:
      return a * at::sigmoid(1.702 * a);
    case GELU_ACT_SILU:
      return at::silu(a);
    case GELU_ACT_RELU:
      return at::relu(a);
    case GELU_ACT_ELU:
      return at::elu(a);
  }
  return at::Tensor();
}

// A [rows, 2C] fused input: column block a from Inputs (special values and randn * 3, finite),
// b = randn. rows * C values in each half.
at::Tensor FusedInput(int64_t rows, int64_t c, uint64_t seed) {
  const at::Tensor a = Inputs(rows * c, seed, /*with_nonfinite=*/false)
                           .slice(0, 0, rows * c)
                           .reshape({rows, c})
                           .clamp(-12.0, 12.0);
  const at::Tensor b = at::randn({rows, c}, at::kFloat);
  return at::cat({a, b}, 1);
}

// libgelu's C API on one contiguous [rows, 2C] fused matrix, in a single call.
struct CGated {
  std::vector<float> y, dx;
};

CGated CApiGated(gelu_act act, const at::Tensor& x, const at::Tensor& dy) {
  const at::Tensor xc = x.contiguous();
  const at::Tensor dyc = dy.contiguous();
  const auto rows = static_cast<size_t>(xc.size(0));
  const auto c = static_cast<size_t>(xc.size(1) / 2);
  CGated out{std::vector<float>(rows * c), std::vector<float>(rows * 2 * c)};
  const float* a = xc.data_ptr<float>();
  EXPECT_EQ(gelu_gated_forward_f32(act, rows, c, a, 2 * c, a + c, 2 * c, out.y.data(), c), GELU_OK);
  float* da = out.dx.data();
  EXPECT_EQ(gelu_gated_backward_f32(act, rows, c, a, 2 * c, a + c, 2 * c, dyc.data_ptr<float>(), c,
                                    da, 2 * c, da + c, 2 * c),
            GELU_OK);
  return out;
}

struct GatedRun {
  at::Tensor y, dx;
};

// A leaf tensor requiring grad with t's values, sizes and strides (clone() would make a strided
// view contiguous, and the op would never see the strides).
at::Tensor StridedLeaf(const at::Tensor& t) {
  return at::empty_strided(t.sizes(), t.strides(), t.options())
      .copy_(t.detach())
      .requires_grad_(true);
}

// gated(x) forward and backward with incoming gradient dy, on a leaf laid out like x.
GatedRun RunGated(gelu_act act, const at::Tensor& x, const at::Tensor& dy) {
  const at::Tensor xg = StridedLeaf(x);
  EXPECT_EQ(xg.strides(), x.strides());
  const at::Tensor y = gelu::torch::gated(xg, act);
  y.backward(dy);
  return {y.detach(), xg.grad()};
}

class GatedOpTest : public ::testing::TestWithParam<gelu_act> {};

TEST_P(GatedOpTest, ValuesMatchDoubleReference) {
  const gelu_act act = GetParam();
  const int64_t rows = 41;
  const int64_t c = 37;
  const at::Tensor x = FusedInput(rows, c, 1);
  const at::Tensor y = gelu::torch::gated(x, act);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{rows, c}));
  const std::vector<double> a = ToDoubles(x.slice(1, 0, c));
  const std::vector<double> b = ToDoubles(x.slice(1, c, 2 * c));
  const std::vector<float> yv = ToVector(y);
  double worst = 0.0;
  for (size_t i = 0; i < yv.size(); ++i) {
    const double want = RefValue(act, a[i]) * b[i];
    ASSERT_NEAR(yv[i], want, ValueTolerance(want, b[i]))
        << ActName(act) << " at a = " << a[i] << ", b = " << b[i];
    worst = std::max(worst, std::fabs(static_cast<double>(yv[i]) - want) / Ulp32(want));
  }
  RecordProperty("max_ulp_" + ActName(act), std::to_string(worst));
}

TEST_P(GatedOpTest, GradientsMatchFiniteDifferences) {
  const gelu_act act = GetParam();
  const int64_t rows = 33;
  const int64_t c = 61;
  const at::Tensor x = FusedInput(rows, c, 2);
  const at::Tensor dy = at::randn({rows, c}, at::kFloat);
  const GatedRun r = RunGated(act, x, dy);
  const std::vector<double> a = ToDoubles(x.slice(1, 0, c));
  const std::vector<double> b = ToDoubles(x.slice(1, c, 2 * c));
  const std::vector<double> dyv = ToDoubles(dy);
  const std::vector<float> da = ToVector(r.dx.slice(1, 0, c));
  const std::vector<float> db = ToVector(r.dx.slice(1, c, 2 * c));
  int checked = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    // dL/db = dy * f(a): no difference quotient needed.
    const double want_db = dyv[i] * RefValue(act, a[i]);
    ASSERT_NEAR(db[i], want_db, ValueTolerance(want_db, dyv[i]))
        << ActName(act) << " db at a = " << a[i] << ", dy = " << dyv[i];
    // relu and elu have a kink at 0, where a central difference means nothing.
    if ((act == GELU_ACT_RELU || act == GELU_ACT_ELU) && std::fabs(a[i]) < 1e-4) continue;
    const double g = dyv[i] * b[i];  // the incoming gradient of f(a)
    const double fd = CentralDifference([&](double t) { return RefValue(act, t); }, a[i]);
    ASSERT_NEAR(da[i], g * fd, GradTolerance(g, RefTermScale(act, a[i]), TailAccurate(act)))
        << ActName(act) << " da at a = " << a[i] << ", b = " << b[i] << ", dy = " << dyv[i];
    ++checked;
  }
  EXPECT_GT(checked, static_cast<int>(a.size()) - 10);
}

TEST_P(GatedOpTest, MatchesTorchCompositeUnderAutograd) {
  const gelu_act act = GetParam();
  at::manual_seed(3);
  const int64_t rows = 64;
  const int64_t c = 50;
  const at::Tensor a0 = at::randn({rows, c}, at::kFloat) * 3.0;
  const at::Tensor b0 = at::randn({rows, c}, at::kFloat);
  const at::Tensor dy = at::randn({rows, c}, at::kFloat);

  const at::Tensor a = a0.clone().requires_grad_(true);
  const at::Tensor b = b0.clone().requires_grad_(true);
  const at::Tensor y = gelu::torch::gated2(a, b, act);
  y.backward(dy);

  const at::Tensor ca = a0.clone().requires_grad_(true);
  const at::Tensor cb = b0.clone().requires_grad_(true);
  const at::Tensor cy = TorchComposite(act, ca) * cb;
  cy.backward(dy);

  // torch's float32 formulas round differently (and cancel in gelu's negative tail), so float
  // tolerances: relative 1e-5 and absolute 1e-5 on values of order 1 to 10.
  EXPECT_TRUE(at::allclose(y, cy, 1e-5, 1e-5))
      << ActName(act) << " y, max |diff| " << (y - cy).abs().max().item<double>();
  EXPECT_TRUE(at::allclose(a.grad(), ca.grad(), 1e-5, 1e-5))
      << ActName(act) << " da, max |diff| " << (a.grad() - ca.grad()).abs().max().item<double>();
  EXPECT_TRUE(at::allclose(b.grad(), cb.grad(), 1e-5, 1e-5))
      << ActName(act) << " db, max |diff| " << (b.grad() - cb.grad()).abs().max().item<double>();
  if (act == GELU_ACT_RELU) {  // max(a, 0) * b is one rounding both ways
    EXPECT_TRUE(at::equal(y, cy.detach()));
  }
}

TEST_P(GatedOpTest, EqualsCApiBitwiseIncludingNonFinite) {
  const gelu_act act = GetParam();
  const int64_t rows = 7;
  const int64_t c = 38;  // 7 * 38 = 266 >= Inputs' 38 special + non-finite values
  const at::Tensor a = Inputs(rows * c, 4, /*with_nonfinite=*/true).slice(0, 0, rows * c);
  const at::Tensor x = at::cat({a.reshape({rows, c}), at::randn({rows, c})}, 1);
  const at::Tensor dy = at::randn({rows, c}, at::kFloat);
  const GatedRun r = RunGated(act, x, dy);
  const CGated want = CApiGated(act, x, dy);
  const std::vector<float> xv = ToVector(x);
  ExpectBitwiseEqual(ToVector(r.y), want.y, xv, ActName(act) + " forward vs C API");
  ExpectBitwiseEqual(ToVector(r.dx), want.dx, xv, ActName(act) + " backward vs C API");
}

TEST_P(GatedOpTest, FusedAndSeparateLayoutsGiveTheSameBits) {
  const gelu_act act = GetParam();
  const int64_t c = 29;
  const at::Tensor x = FusedInput(3 * 4, c, 5).reshape({3, 4, 2 * c});
  const at::Tensor dy = at::randn({3, 4, c}, at::kFloat);
  const GatedRun fused = RunGated(act, x, dy);
  EXPECT_EQ(fused.y.sizes(), (std::vector<int64_t>{3, 4, c}));
  EXPECT_EQ(fused.dx.sizes(), x.sizes());

  // gated2 on the two halves of one leaf (row-strided views, read in place): the gradients of
  // both views accumulate into the leaf's [da | db].
  const at::Tensor xs = x.clone().requires_grad_(true);
  const at::Tensor y2 = gelu::torch::gated2(xs.narrow(-1, 0, c), xs.narrow(-1, c, c), act);
  y2.backward(dy);
  const std::vector<float> xv = ToVector(x);
  ExpectBitwiseEqual(ToVector(y2.detach()), ToVector(fused.y), xv, ActName(act) + " y");
  // Autograd adds the two views' gradients into zeros, turning a -0 into +0: equal, not bitwise.
  EXPECT_TRUE(at::equal(xs.grad(), fused.dx)) << ActName(act) << " dx";

  // gated2 on separate contiguous copies.
  const at::Tensor a = x.narrow(-1, 0, c).contiguous().requires_grad_(true);
  const at::Tensor b = x.narrow(-1, c, c).contiguous().requires_grad_(true);
  const at::Tensor y3 = gelu::torch::gated2(a, b, act);
  y3.backward(dy);
  ExpectBitwiseEqual(ToVector(y3.detach()), ToVector(fused.y), xv, ActName(act) + " y, copies");
  ExpectBitwiseEqual(ToVector(at::cat({a.grad(), b.grad()}, -1)), ToVector(fused.dx), xv,
                     ActName(act) + " [da | db], copies");
}

TEST_P(GatedOpTest, StridedAndNonContiguousInputs) {
  const gelu_act act = GetParam();
  const int64_t c = 13;
  const at::Tensor base = FusedInput(4 * 6, c, 6).reshape({4, 6, 2 * c});
  const at::Tensor dy_full = at::randn({4, 6, c}, at::kFloat);
  const std::vector<float> xv = ToVector(base);

  struct Case {
    const char* what;
    at::Tensor x;  // base's values in a non-contiguous [4, 6, 2C] or [24, 2C] tensor
  };
  const at::Tensor wide = at::cat({base, at::randn({4, 6, 5})}, -1);
  const at::Tensor interleaved = at::stack({base, at::randn({4, 6, 2 * c})}, 2);
  const at::Tensor longer = at::cat({base, at::zeros({4, 1, 2 * c})}, 1);
  const std::vector<Case> cases = {
      // Read in place: rows of a wider matrix (row stride 2C + 5); every other row (the leading
      // dims still collapse, stride 4C).
      {"slice of wider rows", wide.narrow(-1, 0, 2 * c)},
      {"every other row", interleaved.select(2, 0)},
      // Copied: leading dims that do not collapse to one stride; a non-contiguous last dim.
      {"non-collapsible leading dims", longer.narrow(1, 0, 6)},
      {"transposed storage", base.transpose(0, 1).contiguous().transpose(0, 1)},
      {"column-major rows", base.reshape({24, 2 * c}).t().contiguous().t()},
  };
  const GatedRun want = RunGated(act, base, dy_full);
  for (const Case& k : cases) {
    SCOPED_TRACE(std::string(k.what) + ", " + ActName(act));
    ASSERT_FALSE(k.x.is_contiguous());
    ASSERT_TRUE(at::equal(k.x.reshape({4, 6, 2 * c}), base));
    std::vector<int64_t> dy_shape = k.x.sizes().vec();
    dy_shape.back() = c;
    const GatedRun got = RunGated(act, k.x, dy_full.reshape(dy_shape));
    ExpectBitwiseEqual(ToVector(got.y), ToVector(want.y), xv, "y");
    ExpectBitwiseEqual(ToVector(got.dx), ToVector(want.dx), xv, "dx");
  }

  // Non-contiguous incoming gradients: rows of a wider tensor (read in place), transposed
  // storage (copied), and the stride-0 one of sum().
  const at::Tensor dy_wide = at::cat({dy_full, at::randn({4, 6, 3})}, -1).narrow(-1, 0, c);
  ExpectBitwiseEqual(ToVector(RunGated(act, base, dy_wide).dx), ToVector(want.dx), xv, "dy_wide");
  const at::Tensor dy_t = dy_full.transpose(0, 1).contiguous().transpose(0, 1);
  ASSERT_FALSE(dy_t.is_contiguous());
  ExpectBitwiseEqual(ToVector(RunGated(act, base, dy_t).dx), ToVector(want.dx), xv, "dy_t");
  const at::Tensor xg = base.clone().requires_grad_(true);
  gelu::torch::gated(xg, act).sum().backward();
  ExpectBitwiseEqual(ToVector(xg.grad()),
                     ToVector(RunGated(act, base, at::ones({4, 6, c}, at::kFloat)).dx), xv,
                     "sum().backward()");

  // gated2 with differently strided a and b.
  const at::Tensor a = base.narrow(-1, 0, c).contiguous();
  const at::Tensor b_wide = at::cat({at::randn({4, 6, 3}), base.narrow(-1, c, c)}, -1);
  const at::Tensor b = b_wide.narrow(-1, 3, c);
  ExpectBitwiseEqual(ToVector(gelu::torch::gated2(a, b, act)), ToVector(want.y), xv,
                     "gated2, b a slice of wider rows");
  ExpectBitwiseEqual(ToVector(gelu::torch::gated2(a.transpose(0, 1), b.transpose(0, 1), act)),
                     ToVector(want.y.transpose(0, 1)), xv, "gated2, transposed a and b");
}

TEST_P(GatedOpTest, OddWidthsAndShapes) {
  const gelu_act act = GetParam();
  for (int64_t c : {1, 2, 3, 7, 17, 33, 1023}) {
    for (int64_t rows : {1, 5}) {
      SCOPED_TRACE(ActName(act) + ", C = " + std::to_string(c) +
                   ", rows = " + std::to_string(rows));
      const at::Tensor x = FusedInput(rows, c, static_cast<uint64_t>(10 + c));
      const at::Tensor dy = at::randn({rows, c}, at::kFloat);
      const GatedRun r = RunGated(act, x, dy);
      const CGated want = CApiGated(act, x, dy);
      const std::vector<float> xv = ToVector(x);
      ExpectBitwiseEqual(ToVector(r.y), want.y, xv, "y");
      ExpectBitwiseEqual(ToVector(r.dx), want.dx, xv, "dx");
      // Spot-check against the double reference.
      const double a0 = x[rows - 1][c - 1].item<double>();
      const double b0 = x[rows - 1][2 * c - 1].item<double>();
      const double want0 = RefValue(act, a0) * b0;
      EXPECT_NEAR(r.y[rows - 1][c - 1].item<double>(), want0, ValueTolerance(want0, b0));
    }
  }
  // 1-d input [2C] and 4-d input.
  const at::Tensor v = at::tensor({-1.5f, 2.0f, 0.5f, -3.0f}, at::kFloat);
  const at::Tensor yv = gelu::torch::gated(v, act);
  ASSERT_EQ(yv.sizes(), (std::vector<int64_t>{2}));
  EXPECT_NEAR(yv[0].item<double>(), RefValue(act, -1.5) * 0.5,
              ValueTolerance(RefValue(act, -1.5) * 0.5, 0.5));
  EXPECT_NEAR(yv[1].item<double>(), RefValue(act, 2.0) * -3.0,
              ValueTolerance(RefValue(act, 2.0) * 3.0, 3.0));
  EXPECT_EQ(gelu::torch::gated(at::randn({2, 3, 4, 10}), act).sizes(),
            (std::vector<int64_t>{2, 3, 4, 5}));
  // gated2 on 0-dim tensors.
  const at::Tensor s = gelu::torch::gated2(at::scalar_tensor(0.5, at::kFloat),
                                           at::scalar_tensor(-2.0, at::kFloat), act);
  EXPECT_EQ(s.dim(), 0);
  EXPECT_NEAR(s.item<double>(), RefValue(act, 0.5) * -2.0,
              ValueTolerance(RefValue(act, 0.5) * 2.0, 2.0));
  // Empty tensors: no rows, or C = 0; backward too.
  const at::Tensor e = at::empty({0, 6}, at::kFloat).requires_grad_(true);
  const at::Tensor ye = gelu::torch::gated(e, act);
  EXPECT_EQ(ye.sizes(), (std::vector<int64_t>{0, 3}));
  ye.sum().backward();
  EXPECT_EQ(e.grad().sizes(), e.sizes());
  EXPECT_EQ(gelu::torch::gated(at::empty({4, 0}, at::kFloat), act).sizes(),
            (std::vector<int64_t>{4, 0}));
  EXPECT_EQ(gelu::torch::gated2(at::empty({3, 0}), at::empty({3, 0}), act).sizes(),
            (std::vector<int64_t>{3, 0}));
}

TEST_P(GatedOpTest, ResultDoesNotDependOnThreadCount) {
  const gelu_act act = GetParam();
  at::manual_seed(7);
  // 301 * 1001 = 301301 elements: 10 row blocks of 32 rows (kChunk / C), the last one short.
  // x and dy are rows of wider tensors, read in place, so every block's offsets use their
  // strides (2C + 3 and C + 2).
  const int64_t rows = 301;
  const int64_t c = 1001;
  const at::Tensor x = (at::randn({rows, 2 * c + 3}, at::kFloat) * 3.0).narrow(1, 0, 2 * c);
  const at::Tensor dy = at::randn({rows, c + 2}, at::kFloat).narrow(1, 0, c);
  const int saved = at::get_num_threads();
  auto run = [&](int threads) {
    at::set_num_threads(threads);
    EXPECT_EQ(at::get_num_threads(), threads);
    const GatedRun fused = RunGated(act, x, dy);
    const at::Tensor a = StridedLeaf(x.narrow(1, 0, c));
    const at::Tensor b = StridedLeaf(x.narrow(1, c, c));
    gelu::torch::gated2(a, b, act).backward(dy);
    return std::make_pair(fused, at::cat({a.grad(), b.grad()}, 1));
  };
  const auto one = run(1);
  const auto two = run(2);
  at::set_num_threads(saved);
  const std::vector<float> xv = ToVector(x);
  ExpectBitwiseEqual(ToVector(two.first.y), ToVector(one.first.y), xv, "y, 2 vs 1 threads");
  ExpectBitwiseEqual(ToVector(two.first.dx), ToVector(one.first.dx), xv, "dx, 2 vs 1 threads");
  ExpectBitwiseEqual(ToVector(two.second), ToVector(one.second), xv, "gated2 grads, 2 vs 1");
  ExpectBitwiseEqual(ToVector(one.second), ToVector(one.first.dx), xv, "gated2 vs gated grads");
  const CGated want = CApiGated(act, x, dy);
  ExpectBitwiseEqual(ToVector(one.first.y), want.y, xv, "y vs one C API call");
  ExpectBitwiseEqual(ToVector(one.first.dx), want.dx, xv, "dx vs one C API call");
}

INSTANTIATE_TEST_SUITE_P(AllActivations, GatedOpTest, ::testing::ValuesIn(kActs),
                         [](const ::testing::TestParamInfo<gelu_act>& param_info) {
                           return ActName(param_info.param);
                         });

TEST(GatedOp, SameTensorAsBothInputs) {
  // gated2(x, x) = f(x) * x: autograd adds the two gradients, dy * (x f'(x) + f(x)).
  at::manual_seed(8);
  const at::Tensor x0 = at::randn({200}, at::kFloat) * 2.0;
  const at::Tensor x = x0.clone().requires_grad_(true);
  gelu::torch::gated2(x, x, GELU_ACT_GELU).sum().backward();
  const std::vector<double> xv = ToDoubles(x0);
  const std::vector<float> g = ToVector(x.grad());
  for (size_t i = 0; i < xv.size(); ++i) {
    const double fd =
        CentralDifference([](double t) { return RefValue(GELU_ACT_GELU, t) * t; }, xv[i]);
    EXPECT_NEAR(g[i], fd, 1e-5 * (std::fabs(fd) + std::fabs(xv[i])) + 1e-7) << "x = " << xv[i];
  }
}

TEST(GatedOp, ActByIdAndEnumAgree) {
  at::manual_seed(9);
  const at::Tensor x = at::randn({5, 8});
#define X(ID, NAME, ENUM, DESC)                                                               \
  EXPECT_TRUE(at::equal(gelu::torch::gated(x, #NAME), gelu::torch::gated(x, ENUM))) << #NAME; \
  EXPECT_TRUE(at::equal(gelu::torch::gated2(x, x, #NAME), gelu::torch::gated2(x, x, ENUM)));
#include "src/act/activations.def"
#undef X
  // The default is exact GELU.
  EXPECT_TRUE(at::equal(gelu::torch::gated(x), gelu::torch::gated(x, "gelu")));
}

TEST(GatedOp, RegisteredWithDefaultAct) {
  for (const char* name : {"gelu::gated", "gelu::gated2"}) {
    const auto op = c10::Dispatcher::singleton().findSchema({name, ""});
    ASSERT_TRUE(op.has_value()) << name;
    const auto& args = op->schema().arguments();
    ASSERT_FALSE(args.empty());
    ASSERT_TRUE(args.back().default_value().has_value()) << name;
    EXPECT_EQ(args.back().name(), "act");
    EXPECT_EQ(args.back().default_value()->toStringRef(), "gelu");
  }
}

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const c10::Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(GatedOp, BadArgumentsAreClearErrors) {
  const at::Tensor x = at::randn({4, 6});
  const std::string unknown = ErrorOf([&] { gelu::torch::gated(x, "swish"); });
  EXPECT_THAT(unknown, HasSubstr("gelu::gated: unknown activation 'swish'"));
  EXPECT_THAT(unknown, HasSubstr("gelu, gelu_tanh, gelu_sigmoid, silu, relu, elu"));
  EXPECT_THAT(ErrorOf([&] { gelu::torch::gated2(x, x, "GELU"); }),
              HasSubstr("gelu::gated2: unknown activation 'GELU'"));
  EXPECT_THAT(ErrorOf([&] { gelu::torch::gated(x, static_cast<gelu_act>(GELU_ACT_COUNT)); }),
              HasSubstr("unknown gelu_act 6"));
  EXPECT_THAT(ErrorOf([&] {
                gelu::torch::gated(at::randn({4, 7}));
              }),
              HasSubstr("last dimension of x must be even"));
  EXPECT_THAT(ErrorOf([&] { gelu::torch::gated(at::randn({4, 7})); }), HasSubstr("[4, 7]"));
  EXPECT_THAT(ErrorOf([&] { gelu::torch::gated(at::scalar_tensor(1.0, at::kFloat)); }),
              HasSubstr("0-dim"));
  EXPECT_THAT(ErrorOf([&] {
                gelu::torch::gated2(x, at::randn({4, 5}));
              }),
              HasSubstr("a and b must have the same shape, got [4, 6] and [4, 5]"));
  EXPECT_THAT(ErrorOf([&] { gelu::torch::gated2(x, at::randn({6})); }),
              HasSubstr("no broadcasting"));
  EXPECT_THAT(ErrorOf([&] { gelu::torch::gated(x.to(at::kDouble)); }), HasSubstr("float32"));
  EXPECT_THAT(ErrorOf([&] { gelu::torch::gated2(x, x.to(at::kDouble)); }),
              HasSubstr("expected b to be a float32 tensor, got Double"));
  EXPECT_THAT(ErrorOf([&] { gelu::torch::gated(x.to(at::kHalf)); }), HasSubstr("float32"));
  EXPECT_THAT(ErrorOf([&] {
                gelu::torch::gated(at::ones({2, 4}, at::kInt));
              }),
              HasSubstr("float32"));
  // Errors surface the same way under autograd.
  const at::Tensor xr = at::randn({4, 7}).requires_grad_(true);
  EXPECT_THAT(ErrorOf([&] { gelu::torch::gated(xr); }), HasSubstr("must be even"));
  EXPECT_THAT(ErrorOf([&] { gelu::torch::gated(x.clone().requires_grad_(true), "nope"); }),
              HasSubstr("unknown activation 'nope'"));
}

}  // namespace
