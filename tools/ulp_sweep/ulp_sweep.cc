// ulp_sweep: runs every float32 bit pattern (or a range) through libgelu's public C API and
// measures the error against tools/reference as DESIGN.md "Accuracy" defines it. Prints the max
// ULP error and where, the share correctly rounded, special-value failures and the SIMD target.
// --type bf16|f16 does the same for all 65,536 bit patterns of the 16-bit entry points, in ULP of
// that type against the reference rounded to it (CI runs these sweeps, tests/gelu_types).
// Exit status: 0 ok, 1 a special value failed or --max-ulp was exceeded, 2 bad command line.
#include <gelu/gelu.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "hwy/targets.h"
#include "tools/reference/reference.h"

namespace {

using gelu::ref::Dir;
using gelu::ref::Fn;

constexpr uint64_t kChunk = 1u << 16;  // contiguous bit patterns per API call
constexpr int kMaxSpecialReports = 20;

struct Options {
  Fn fn;
  Dir dir = Dir::kForward;
  std::string act_name = "gelu";
  unsigned threads = 0;
  uint64_t from = 0;
  uint64_t to = 0xFFFFFFFFu;
  uint64_t stride = 1;
  std::string csv;
  double max_ulp = -1.0;                          // < 0: no bound checked
  std::string target;                             // empty: libgelu's default dispatch
  const gelu::ref::SmallFormat* small = nullptr;  // --type bf16|f16; null: float32
};

float FromBits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}
uint32_t ToBits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

// Worst case of one error measure: the value and the input that produced it.
struct Worst {
  double err = -1.0;
  uint32_t bits = 0;
  float got = 0.0f;
  double want = 0.0;
  void Add(double e, uint32_t b, float y, double r) {
    if (e > err) {
      err = e;
      bits = b;
      got = y;
      want = r;
    }
  }
  void Merge(const Worst& o) {
    if (o.err > err) *this = o;
  }
};

struct Binade {
  uint64_t checked = 0;
  uint64_t correct = 0;
  Worst ulp;       // outside the root window of f'
  Worst root_abs;  // backward: absolute error inside it
};

struct Stats {
  uint64_t inputs = 0;
  uint64_t checked = 0;  // finite, non-special inputs measured in ULP
  uint64_t correct = 0;  // y == (float)r
  uint64_t special_checked = 0;
  uint64_t special_failed = 0;
  uint64_t zero_sign_failed = 0;
  Worst ulp;        // forward: all; backward: all but the window around the root of f'
  Worst small_ulp;  // backward only: near the root of f' (ref::NearDerivativeRoot)
  Worst small_abs;  // backward only: near the root of f', absolute error
  uint64_t small_count = 0;
  std::vector<uint32_t> special_bits;  // first failures, for the report
  std::vector<float> special_got;
  std::vector<Binade> binades = std::vector<Binade>(512);  // by sign and exponent (bits >> 23)

  void Merge(const Stats& o) {
    inputs += o.inputs;
    checked += o.checked;
    correct += o.correct;
    special_checked += o.special_checked;
    special_failed += o.special_failed;
    zero_sign_failed += o.zero_sign_failed;
    ulp.Merge(o.ulp);
    small_ulp.Merge(o.small_ulp);
    small_abs.Merge(o.small_abs);
    small_count += o.small_count;
    for (size_t i = 0; i < o.special_bits.size(); ++i) {
      if (special_bits.size() >= kMaxSpecialReports) break;
      special_bits.push_back(o.special_bits[i]);
      special_got.push_back(o.special_got[i]);
    }
    for (size_t i = 0; i < binades.size(); ++i) {
      binades[i].checked += o.binades[i].checked;
      binades[i].correct += o.binades[i].correct;
      binades[i].ulp.Merge(o.binades[i].ulp);
      binades[i].root_abs.Merge(o.binades[i].root_abs);
    }
  }
};

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(
      stderr,
      "ulp_sweep: %s\n"
      "usage: ulp_sweep --act gelu|gelu_tanh|gelu_sigmoid|silu|relu|elu|gaussian_gelu\n"
      "                 --dir forward|backward [--threads N] [--from HEX --to HEX]\n"
      "                 [--stride S] [--mu M --sigma S] [--csv FILE] [--max-ulp B]\n"
      "                 [--target AVX3_DL|AVX3|AVX2|SSE4|SSSE3|EMU128|SCALAR]\n"
      "                 [--type f32|bf16|f16]\n"
      "  Checks the float32 bit patterns from..to (default all 2^32) through the C API\n"
      "  against the double reference; backward uses dy = 1. --max-ulp B: exit 1 when\n"
      "  the max ULP error exceeds B (backward: outside the window around the root of\n"
      "  f', |x - x0| <= 1/8 with |f'(x)| < 2^-10, where the absolute error is shown).\n"
      "  --type bf16|f16: all 65,536 bit patterns of the _bf16 / _f16 entry points, in ULP\n"
      "  of that type against the reference rounded to it (no root window; gaussian_gelu,\n"
      "  --from, --to, --stride and --csv are float32 only).\n",
      why.c_str());
  std::exit(2);
}

uint64_t ParseHex(const std::string& flag, const char* s) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(s, &end, 16);
  if (errno != 0 || end == s || *end != '\0' || v > 0xFFFFFFFFull) {
    Usage(flag + " expects a 32-bit hex bit pattern such as 0xc1800000, got '" + s + "'");
  }
  return v;
}

double ParseDouble(const std::string& flag, const char* s) {
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  if (end == s || *end != '\0') Usage(flag + " expects a number, got '" + s + "'");
  return v;
}

Options Parse(int argc, char** argv) {
  Options o;
  bool have_act = false;
  bool have_dir = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") Usage("help");
    if (i + 1 >= argc) Usage("missing value after " + a);
    const char* v = argv[++i];
    if (a == "--act") {
      o.act_name = v;
      have_act = true;
      if (o.act_name == "gaussian_gelu") {
        o.fn.gaussian = true;
      } else if (gelu_act_from_name(v, &o.fn.act) != GELU_OK) {
        Usage("unknown --act '" + o.act_name + "'");
      }
    } else if (a == "--dir") {
      have_dir = true;
      const std::string d = v;
      if (d == "forward") {
        o.dir = Dir::kForward;
      } else if (d == "backward") {
        o.dir = Dir::kBackward;
      } else {
        Usage("--dir expects forward or backward, got '" + d + "'");
      }
    } else if (a == "--threads") {
      const double t = ParseDouble(a, v);
      if (t < 1 || t > 1024) Usage("--threads expects 1..1024");
      o.threads = static_cast<unsigned>(t);
    } else if (a == "--from") {
      o.from = ParseHex(a, v);
    } else if (a == "--to") {
      o.to = ParseHex(a, v);
    } else if (a == "--stride") {
      const double s = ParseDouble(a, v);
      if (s < 1 || s > 4294967295.0) Usage("--stride expects a positive integer");
      o.stride = static_cast<uint64_t>(s);
    } else if (a == "--mu") {
      o.fn.mu = ParseDouble(a, v);
    } else if (a == "--sigma") {
      o.fn.sigma = ParseDouble(a, v);
    } else if (a == "--csv") {
      o.csv = v;
    } else if (a == "--target") {
      o.target = v;
    } else if (a == "--max-ulp") {
      o.max_ulp = ParseDouble(a, v);
    } else if (a == "--type") {
      const std::string t = v;
      if (t == "bf16") {
        o.small = &gelu::ref::kBf16;
      } else if (t == "f16") {
        o.small = &gelu::ref::kF16;
      } else if (t != "f32") {
        Usage("--type expects f32, bf16 or f16, got '" + t + "'");
      }
    } else {
      Usage("unknown option " + a);
    }
  }
  if (!have_act || !have_dir) Usage("--act and --dir are required");
  if (o.small != nullptr &&
      (o.fn.gaussian || o.from != 0 || o.to != 0xFFFFFFFFu || o.stride != 1 || !o.csv.empty())) {
    Usage(std::string("--type ") + o.small->name +
          " sweeps all 65,536 patterns of the activations: no gaussian_gelu, --from, --to, "
          "--stride or --csv");
  }
  if (o.from > o.to) Usage("--from must not exceed --to");
  // The API takes float parameters: measure against exactly those.
  o.fn.mu = static_cast<double>(static_cast<float>(o.fn.mu));
  o.fn.sigma = static_cast<double>(static_cast<float>(o.fn.sigma));
  if (o.fn.gaussian && !(o.fn.sigma > 0 && std::isfinite(o.fn.sigma) && std::isfinite(o.fn.mu))) {
    Usage("--sigma must be positive and finite, --mu finite");
  }
  if (o.threads == 0) o.threads = std::max(1u, std::thread::hardware_concurrency());
  return o;
}

void RunApi(const Options& o, size_t n, const float* x, const float* ones, float* out) {
  gelu_status s = GELU_OK;
  if (o.fn.gaussian) {
    const auto mu = static_cast<float>(o.fn.mu);
    const auto sigma = static_cast<float>(o.fn.sigma);
    s = o.dir == Dir::kForward
            ? gelu_gaussian_forward_f32(mu, sigma, n, x, out)
            : gelu_gaussian_backward_f32(mu, sigma, n, x, ones, out, nullptr, nullptr);
  } else {
    s = o.dir == Dir::kForward ? gelu_forward_f32(o.fn.act, n, x, out)
                               : gelu_backward_f32(o.fn.act, n, x, ones, out);
  }
  if (s != GELU_OK) {
    throw std::runtime_error(std::string("libgelu call failed: ") + gelu_status_string(s));
  }
}

void Measure(const Options& o, double root, uint32_t bits, float x, float y, Stats& st) {
  ++st.inputs;
  if (gelu::ref::IsSpecialInput(o.fn, o.dir, x)) {
    ++st.special_checked;
    if (!gelu::ref::SpecialOk(o.fn, o.dir, x, y)) {
      ++st.special_failed;
      if (st.special_bits.size() < kMaxSpecialReports) {
        st.special_bits.push_back(bits);
        st.special_got.push_back(y);
      }
    }
    return;
  }
  const double r = gelu::ref::Eval(o.fn, o.dir, static_cast<double>(x));
  const double e = gelu::ref::UlpError(y, r);
  ++st.checked;
  const bool correct = y == static_cast<float>(r);
  st.correct += correct ? 1 : 0;
  if (o.dir == Dir::kForward && !gelu::ref::ZeroSignOk(y, r)) ++st.zero_sign_failed;
  Binade& b = st.binades[bits >> 23];
  ++b.checked;
  b.correct += correct ? 1 : 0;
  if (o.dir == Dir::kBackward && gelu::ref::NearDerivativeRoot(root, static_cast<double>(x), r)) {
    ++st.small_count;
    st.small_ulp.Add(e, bits, y, r);
    const double abs_err = std::isfinite(y) ? std::fabs(static_cast<double>(y) - r)
                                            : std::numeric_limits<double>::infinity();
    st.small_abs.Add(abs_err, bits, y, r);
    b.root_abs.Add(abs_err, bits, y, r);
  } else {
    st.ulp.Add(e, bits, y, r);
    b.ulp.Add(e, bits, y, r);
  }
}

std::string Describe(uint32_t bits) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "x = %.9g (0x%08" PRIx32 ")", static_cast<double>(FromBits(bits)),
                bits);
  return buf;
}

void PrintWorst(const char* label, const Worst& w, bool absolute) {
  if (w.err < 0) {
    std::printf("%-26s none in range\n", label);
    return;
  }
  if (absolute) {
    std::printf("%-26s %.4g (= %.3f * 2^-24) at %s: got %.9g, want %.17g\n", label, w.err,
                w.err / 0x1p-24, Describe(w.bits).c_str(), static_cast<double>(w.got), w.want);
  } else {
    std::printf("%-26s %.4f at %s: got %.9g (0x%08" PRIx32 "), want %.17g\n", label, w.err,
                Describe(w.bits).c_str(), static_cast<double>(w.got), ToBits(w.got), w.want);
  }
}

void WriteCsv(const std::string& path, const Stats& st) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    throw std::runtime_error("cannot write --csv file " + path + ": " + std::strerror(errno));
  }
  // max_ulp excludes the window around the root of f' (backward), whose absolute error is in
  // root_max_abs; -1 where a binade has no such input.
  std::fprintf(f,
               "sign,exponent,binade_lo,checked,correctly_rounded,max_ulp,worst_x,worst_hex,"
               "root_max_abs\n");
  for (size_t i = 0; i < st.binades.size(); ++i) {
    const Binade& b = st.binades[i];
    if (b.checked == 0) continue;
    const auto lo_bits = static_cast<uint32_t>(i << 23);
    std::fprintf(f, "%c,%zu,%.9g,%" PRIu64 ",%" PRIu64 ",%.6f,%.9g,0x%08" PRIx32 ",%.6g\n",
                 i >= 256 ? '-' : '+', i & 255u, static_cast<double>(FromBits(lo_bits)), b.checked,
                 b.correct, b.ulp.err, static_cast<double>(FromBits(b.ulp.bits)), b.ulp.bits,
                 b.root_abs.err);
  }
  std::fclose(f);
}

// Pins libgelu to the named target (gelu_set_simd_target).
void SelectTarget(const std::string& name) {
  if (gelu_set_simd_target(name.c_str()) != GELU_OK) {
    std::string known;
    for (int64_t t : hwy::SupportedAndGeneratedTargets())
      known += std::string(" ") + hwy::TargetName(t);
    throw std::runtime_error("--target " + name + ": libgelu has no code for it on this CPU (" +
                             "Highway targets here:" + known + ")");
  }
}

// --type bf16|f16: every 16-bit pattern in one call (dy = 1), measured like the float32 sweep
// but in ULP of the small type against the reference rounded to it.
int RunSmall(const Options& o) {
  const gelu::ref::SmallFormat& f = *o.small;
  if (!o.target.empty()) SelectTarget(o.target);
  constexpr size_t kN = 65536;
  std::vector<uint16_t> x(kN), y(kN), ones(kN);
  for (size_t i = 0; i < kN; ++i) x[i] = static_cast<uint16_t>(i);
  uint16_t one = 0;
  gelu::ref::EncodeSmall(f, 1.0, &one);  // 1 is a value of every format
  std::fill(ones.begin(), ones.end(), one);
  const auto t0 = std::chrono::steady_clock::now();
  const bool fwd = o.dir == Dir::kForward;
  const gelu_status s =
      f.bf16 ? (fwd ? gelu_forward_bf16(o.fn.act, kN, x.data(), y.data())
                    : gelu_backward_bf16(o.fn.act, kN, x.data(), ones.data(), y.data()))
             : (fwd ? gelu_forward_f16(o.fn.act, kN, x.data(), y.data())
                    : gelu_backward_f16(o.fn.act, kN, x.data(), ones.data(), y.data()));
  if (s != GELU_OK) {
    throw std::runtime_error(std::string("libgelu call failed: ") + gelu_status_string(s));
  }
  uint64_t checked = 0, correct = 0, special_checked = 0, special_failed = 0, zero_sign_failed = 0;
  double worst = -1.0, worst_want = 0.0;
  size_t worst_i = 0;
  for (size_t i = 0; i < kN; ++i) {
    const double xd = gelu::ref::DecodeSmall(f, x[i]);
    const double yd = gelu::ref::DecodeSmall(f, y[i]);
    const auto xf = static_cast<float>(xd);  // exact
    if (gelu::ref::IsSpecialInput(o.fn, o.dir, xf)) {
      ++special_checked;
      if (!gelu::ref::SpecialOk(o.fn, o.dir, xf, static_cast<float>(yd))) {
        if (special_failed < static_cast<uint64_t>(kMaxSpecialReports)) {
          std::printf("  special failure: x = 0x%04zx: got 0x%04x, want %s\n", i, y[i],
                      gelu::ref::SpecialExpectedText(o.fn, o.dir, xf).c_str());
        }
        ++special_failed;
      }
      continue;
    }
    const double r = gelu::ref::Eval(o.fn, o.dir, xd);
    ++checked;
    const double want = gelu::ref::RoundToSmall(f, r);
    // Backward zeros may carry either sign (tools/reference); forward zeros the formula's.
    if (yd == want && (!fwd || std::signbit(yd) == std::signbit(want))) ++correct;
    if (fwd && !gelu::ref::ZeroSignOk(static_cast<float>(yd), r)) ++zero_sign_failed;
    const double e = gelu::ref::UlpErrorSmall(f, yd, r);
    if (!(e <= worst)) {
      worst = e;
      worst_i = i;
      worst_want = r;
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("ulp_sweep: %s %s, %s, all %zu bit patterns, SIMD target %s, %.2f s\n",
              FnName(o.fn).c_str(), gelu::ref::DirName(o.dir), f.name, kN, gelu_simd_target(),
              secs);
  std::printf("%-26s %" PRIu64 "\n", "finite inputs measured:", checked);
  std::printf("%-26s %.4f at x = %.9g (0x%04zx): got %.9g (0x%04x), want %.17g\n",
              "max ULP error:", worst, gelu::ref::DecodeSmall(f, x[worst_i]), worst_i,
              gelu::ref::DecodeSmall(f, y[worst_i]), y[worst_i], worst_want);
  std::printf(
      "%-26s %.6f %% (%" PRIu64 " of %" PRIu64 ")\n", "correctly rounded:",
      checked > 0 ? 100.0 * static_cast<double>(correct) / static_cast<double>(checked) : 0.0,
      correct, checked);
  std::printf("%-26s %" PRIu64 " failed of %" PRIu64 "\n", "special values:", special_failed,
              special_checked);
  if (fwd) std::printf("%-26s %" PRIu64 "\n", "underflow zero-sign fails:", zero_sign_failed);
  int rc = special_failed > 0 || zero_sign_failed > 0 ? 1 : 0;
  if (o.max_ulp >= 0 && worst > o.max_ulp) {
    std::printf("FAIL: max ULP error %.4f exceeds --max-ulp %g\n", worst, o.max_ulp);
    rc = 1;
  }
  return rc;
}

int Run(const Options& o) {
  if (o.small != nullptr) return RunSmall(o);
  gelu_set_num_threads(1);  // we parallelise over chunks ourselves
  if (!o.target.empty()) SelectTarget(o.target);
  const uint64_t total = o.to - o.from + 1;
  const uint64_t chunks = (total + kChunk - 1) / kChunk;
  const double root = o.dir == Dir::kBackward ? gelu::ref::DerivativeRoot(o.fn) : 0.0;
  std::atomic<uint64_t> next{0};
  std::atomic<uint64_t> done{0};
  std::vector<Stats> stats(o.threads);
  std::vector<std::string> errors(o.threads);
  const auto t0 = std::chrono::steady_clock::now();

  auto worker = [&](unsigned t) {
    try {
      std::vector<float> x(kChunk), y(kChunk), ones(kChunk, 1.0f);
      std::vector<uint32_t> bits(kChunk);
      for (uint64_t c = next++; c < chunks; c = next++) {
        const uint64_t lo = o.from + c * kChunk;
        const uint64_t hi = std::min(o.to, lo + kChunk - 1);
        size_t n = 0;
        // With a stride, patterns are lo + k*stride measured from --from.
        uint64_t first = lo;
        if (o.stride > 1) {
          const uint64_t rem = (lo - o.from) % o.stride;
          first = rem == 0 ? lo : lo + (o.stride - rem);
        }
        for (uint64_t b = first; b <= hi; b += o.stride) {
          bits[n] = static_cast<uint32_t>(b);
          x[n] = FromBits(bits[n]);
          ++n;
        }
        if (n > 0) {
          RunApi(o, n, x.data(), ones.data(), y.data());
          for (size_t i = 0; i < n; ++i) Measure(o, root, bits[i], x[i], y[i], stats[t]);
        }
        ++done;
      }
    } catch (const std::exception& e) {
      errors[t] = e.what();
      next = chunks;
    }
  };

  std::vector<std::thread> pool;
  for (unsigned t = 0; t < o.threads; ++t) pool.emplace_back(worker, t);

  // Progress on a terminal only, so logs and redirected output stay clean.
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  std::thread progress;
  if (isatty(STDERR_FILENO) != 0) {
    progress = std::thread([&] {
      std::unique_lock<std::mutex> lock(mu);
      while (!cv.wait_for(lock, std::chrono::seconds(1), [&] { return finished; })) {
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double frac = static_cast<double>(done.load()) / static_cast<double>(chunks);
        std::fprintf(stderr, "\rulp_sweep: %5.1f%%  %.0f s elapsed, ~%.0f s left   ", 100 * frac, s,
                     frac > 0 ? s / frac - s : 0.0);
      }
      std::fprintf(stderr, "\r%60s\r", "");
    });
  }
  for (auto& th : pool) th.join();
  {
    std::lock_guard<std::mutex> lock(mu);
    finished = true;
  }
  cv.notify_all();
  if (progress.joinable()) progress.join();
  for (const auto& e : errors) {
    if (!e.empty()) throw std::runtime_error(e);
  }

  Stats st;
  for (const auto& s : stats) st.Merge(s);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::printf("ulp_sweep: %s %s, bit patterns 0x%08" PRIx64 "..0x%08" PRIx64, FnName(o.fn).c_str(),
              gelu::ref::DirName(o.dir), o.from, o.to);
  if (o.stride > 1) std::printf(" stride %" PRIu64, o.stride);
  std::printf(", SIMD target %s, %u threads, %.2f s\n", gelu_simd_target(), o.threads, secs);
  std::printf("%-26s %" PRIu64 "\n", "inputs:", st.inputs);
  std::printf("%-26s %" PRIu64 "\n", "finite inputs measured:", st.checked);
  if (o.dir == Dir::kForward) {
    PrintWorst("max ULP error:", st.ulp, false);
  } else {
    PrintWorst("max ULP error:", st.ulp, false);
    if (std::isnan(root)) {
      std::printf("%-26s none\n", "root of f':");
    } else {
      std::printf("%-26s x0 = %.9g; window |x - x0| <= %g with |f'| < 2^-10: %" PRIu64 " inputs\n",
                  "root of f':", root, gelu::ref::kRootWindow, st.small_count);
    }
    PrintWorst("  max abs error:", st.small_abs, true);
    PrintWorst("  max ULP error:", st.small_ulp, false);
  }
  const double share =
      st.checked > 0 ? 100.0 * static_cast<double>(st.correct) / static_cast<double>(st.checked)
                     : 0.0;
  std::printf("%-26s %.6f %% (%" PRIu64 " of %" PRIu64 ")\n", "correctly rounded:", share,
              st.correct, st.checked);
  std::printf("%-26s %" PRIu64 " failed of %" PRIu64 "\n", "special values:", st.special_failed,
              st.special_checked);
  for (size_t i = 0; i < st.special_bits.size(); ++i) {
    const float x = FromBits(st.special_bits[i]);
    std::printf("  special failure: %s: got %g, want %s\n", Describe(st.special_bits[i]).c_str(),
                static_cast<double>(st.special_got[i]),
                gelu::ref::SpecialExpectedText(o.fn, o.dir, x).c_str());
  }
  if (o.dir == Dir::kForward) {
    std::printf("%-26s %" PRIu64 "\n", "underflow zero-sign fails:", st.zero_sign_failed);
  }
  if (!o.csv.empty()) WriteCsv(o.csv, st);

  int rc = 0;
  if (st.special_failed > 0 || st.zero_sign_failed > 0) rc = 1;
  if (o.max_ulp >= 0 && st.ulp.err > o.max_ulp) {
    std::printf("FAIL: max ULP error %.4f exceeds --max-ulp %g\n", st.ulp.err, o.max_ulp);
    rc = 1;
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(Parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ulp_sweep: %s\n", e.what());
    return 1;
  }
}
