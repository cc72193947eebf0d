// The C++ API: std::span overloads, errors as exceptions, the Gaussian GELU's gradients.
#include <cstdio>
#include <gelu/gelu.hpp>
#include <stdexcept>
#include <vector>

int main() {
  std::vector<float> x = {-6.0f, -1.0f, 0.5f, 3.0f};
  std::vector<float> y(x.size());
  gelu::Forward(gelu::ActFromName("gelu_tanh"), x, y);
  for (size_t i = 0; i < x.size(); ++i) {
    std::printf("gelu_tanh(%g) = %.9g\n", static_cast<double>(x[i]), static_cast<double>(y[i]));
  }
  // x * Phi((x - mu) / sigma) and the sums of its gradients with respect to mu and sigma.
  std::vector<float> dy(x.size(), 1.0f), dx(x.size());
  const gelu::GaussianGrads g = gelu::GaussianBackward(0.0f, 0.5f, x, dy, dx);
  std::printf("gaussian_gelu(mu=0, sigma=0.5): dmu = %.6g, dsigma = %.6g\n",
              static_cast<double>(g.dmu), static_cast<double>(g.dsigma));
  try {
    gelu::GaussianForward(0.0f, -1.0f, x, y);
  } catch (const gelu::Error& e) {
    std::printf("sigma = -1: %s\n", e.what());
  }
  return 0;
}
