// Uses libgelu as an installed package: the C API and the C++ header.
#include <gelu/gelu.h>

#include <cstdio>
#include <gelu/gelu.hpp>
#include <vector>

int main() {
  const std::vector<float> x = {-6.0f, 0.5f};
  std::vector<float> y(x.size());
  gelu::Forward(gelu::Act::kGelu, x, y);
  std::printf("gelu(-6) = %g\ngelu(0.5) = %g\n", static_cast<double>(y[0]),
              static_cast<double>(y[1]));
  return gelu_forward_f32(GELU_ACT_GELU, 1, nullptr, y.data()) == GELU_ERR_INVALID_ARGUMENT ? 0 : 1;
}
