// kernel_hash: runs every float32 bit pattern through libgelu's fp32 kernels (forward, backward
// with dy = 1 and backward with dy = x) and prints a 64-bit FNV-1a hash of the output bits per
// activation and direction. Two builds that print the same hashes give bitwise the same results
// on all 2^32 inputs, so a change meant to be a pure speed-up (code generation, threading) can
// reuse the exhaustive accuracy sweeps of docs/ACCURACY.md instead of rerunning them.
// --gaussian MU,SIGMA (repeatable) hashes gaussian_gelu at those parameters instead: forward,
// dx of backward with dy = 1 and with dy = x, and the bits of d/dmu and d/dsigma of each call
// (2^24 inputs per call) in a fourth hash.
// Usage: kernel_hash [--acts gelu,silu,...] [--gaussian MU,SIGMA ...]
//        (default: every activation)
// Exit status: 0 ok, 2 bad command line or a kernel error.
#include <gelu/gelu.h>

#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr uint64_t kFnvOffset = 14695981039346656037ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;
constexpr size_t kChunk = size_t{1} << 24;  // bit patterns per call

uint64_t Fold1(uint64_t h, float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return (h ^ b) * kFnvPrime;
}

uint64_t Fold(uint64_t h, const std::vector<float>& v) {
  for (float f : v) h = Fold1(h, f);
  return h;
}

// "MU,SIGMA" -> two floats.
bool ParseGaussian(const std::string& text, std::pair<float, float>* p) {
  const size_t comma = text.find(',');
  if (comma == std::string::npos) return false;
  try {
    size_t used_mu = 0, used_sigma = 0;
    const std::string mu = text.substr(0, comma), sigma = text.substr(comma + 1);
    p->first = std::stof(mu, &used_mu);
    p->second = std::stof(sigma, &used_sigma);
    return used_mu == mu.size() && used_sigma == sigma.size();
  } catch (const std::exception&) {
    return false;
  }
}

// Fills x with the bit patterns start .. start + x.size() - 1.
void Patterns(uint64_t start, std::vector<float>* x) {
  for (size_t i = 0; i < x->size(); ++i) {
    const auto b = static_cast<uint32_t>(start + i);
    std::memcpy(&(*x)[i], &b, sizeof b);
  }
}

bool ParseActs(const std::string& list, std::vector<gelu_act>* acts) {
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = list.find(',', start);
    const std::string name =
        list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    gelu_act act;
    if (gelu_act_from_name(name.c_str(), &act) != GELU_OK) {
      std::fprintf(stderr, "kernel_hash: unknown activation '%s'\n", name.c_str());
      return false;
    }
    acts->push_back(act);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<gelu_act> acts;
  std::vector<std::pair<float, float>> gaussians;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--acts" && i + 1 < argc) {
      if (!ParseActs(argv[++i], &acts)) return 2;
    } else if (arg == "--gaussian" && i + 1 < argc) {
      std::pair<float, float> p;
      if (!ParseGaussian(argv[++i], &p)) {
        std::fprintf(stderr, "kernel_hash: --gaussian wants MU,SIGMA, got '%s'\n", argv[i]);
        return 2;
      }
      gaussians.push_back(p);
    } else {
      std::fprintf(stderr, "usage: kernel_hash [--acts gelu,silu,...] [--gaussian MU,SIGMA ...]\n");
      return 2;
    }
  }
  if (acts.empty() && gaussians.empty()) {
    for (int a = 0; a < GELU_ACT_COUNT; ++a) acts.push_back(static_cast<gelu_act>(a));
  }
  std::printf("simd_target: %s\nthreads: %d\n", gelu_simd_target(), gelu_get_num_threads());
  std::vector<float> x(kChunk), y(kChunk), ones(kChunk, 1.0f);
  for (gelu_act act : acts) {
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t h[3] = {kFnvOffset, kFnvOffset, kFnvOffset};
    for (uint64_t start = 0; start < (uint64_t{1} << 32); start += kChunk) {
      Patterns(start, &x);
      for (int k = 0; k < 3; ++k) {
        const gelu_status s = k == 0 ? gelu_forward_f32(act, kChunk, x.data(), y.data())
                                     : gelu_backward_f32(act, kChunk, x.data(),
                                                         k == 1 ? ones.data() : x.data(), y.data());
        if (s != GELU_OK) {
          std::fprintf(stderr, "kernel_hash: %s\n", gelu_status_string(s));
          return 2;
        }
        h[k] = Fold(h[k], y);
      }
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%-13s forward %016" PRIx64 "  backward(dy=1) %016" PRIx64
                "  backward(dy=x) %016" PRIx64 "  (%.0f s)\n",
                gelu_act_name(act), h[0], h[1], h[2], secs);
    std::fflush(stdout);
  }
  for (const auto& [mu, sigma] : gaussians) {
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t h[4] = {kFnvOffset, kFnvOffset, kFnvOffset, kFnvOffset};
    for (uint64_t start = 0; start < (uint64_t{1} << 32); start += kChunk) {
      Patterns(start, &x);
      gelu_status s = gelu_gaussian_forward_f32(mu, sigma, kChunk, x.data(), y.data());
      h[0] = Fold(h[0], y);
      for (int k = 1; k <= 2 && s == GELU_OK; ++k) {
        float dmu = 0.0f, dsigma = 0.0f;
        s = gelu_gaussian_backward_f32(mu, sigma, kChunk, x.data(), k == 1 ? ones.data() : x.data(),
                                       y.data(), &dmu, &dsigma);
        h[k] = Fold(h[k], y);
        h[3] = Fold1(Fold1(h[3], dmu), dsigma);
      }
      if (s != GELU_OK) {
        std::fprintf(stderr, "kernel_hash: %s\n", gelu_status_string(s));
        return 2;
      }
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("gaussian(%g,%g) forward %016" PRIx64 "  backward(dy=1) %016" PRIx64
                "  backward(dy=x) %016" PRIx64 "  sums %016" PRIx64 "  (%.0f s)\n",
                static_cast<double>(mu), static_cast<double>(sigma), h[0], h[1], h[2], h[3], secs);
    std::fflush(stdout);
  }
  return 0;
}
