// compare_anchors: libgelu against the anchors libtorch 1.13 (at::*_out ops) and oneDNN 2.6
// (eltwise primitives), a naive erff loop and the copy-scale bandwidth kernels, measured in one
// process in interleaved rounds (every implementation once per round) and reported as medians
// of Gelem/s; also the max ULP error of each exact-gelu implementation against a double erfc
// reference, on the benchmark input and on every float in [-10, -3]. `--help` lists the options.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gelu/gelu.h>
#include <omp.h>
#include <time.h>
#include <torch/version.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <limits>
#include <numbers>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/common.h"

namespace gelu::bench {
namespace {

constexpr uint64_t kSeedX = 0x6E1u;  // the same inputs as bench_gelu
constexpr uint64_t kSeedDy = 0xD1u;
constexpr float kGaussMu = 0.25f;
constexpr float kGaussSigma = 1.5f;
constexpr float kSigmoidGeluAlpha = 1.702f;  // gelu_sigmoid = x * sigmoid(1.702 x) = swish(1.702)
constexpr size_t kUlpSampleMax = size_t{1} << 20;

struct Options {
  std::vector<size_t> sizes = {size_t{1} << 16, size_t{1} << 20, size_t{1} << 26};
  std::vector<int> threads = {1, 2};
  int rounds = 7;
  double min_ms = 20.0;
  std::vector<std::string> ops;  // empty: all
  std::string csv;
  bool ulp = true;
};

const char kUsage[] =
    "usage: compare_anchors [options]\n"
    "  --sizes LIST    element counts, suffixes K and M are powers of two (default 64K,1M,64M)\n"
    "  --threads LIST  thread counts for libgelu, libtorch and oneDNN (default 1,2)\n"
    "  --rounds R      interleaved rounds; medians are reported (default 7)\n"
    "  --min-ms MS     minimum time of one measurement (default 20)\n"
    "  --ops LIST      subset of gelu,gelu_tanh,gelu_sigmoid,silu,relu,elu,gaussian_gelu\n"
    "  --csv FILE      also write all results to FILE (input of bench/perf_table.py)\n"
    "  --no-ulp        skip the accuracy check\n"
    "  --quick         --sizes 64K,1M --rounds 3 --min-ms 10\n";

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin <= s.size()) {
    const size_t end = std::min(s.find(',', begin), s.size());
    if (end > begin) out.push_back(s.substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}

long ParseInt(const std::string& flag, const std::string& s, long lo, long hi) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || errno != 0 || (*end != '\0' && *end != 'K' && *end != 'M') || v < lo || v > hi) {
    throw std::runtime_error(flag + ": '" + s + "' is not an integer in [" + std::to_string(lo) +
                             ", " + std::to_string(hi) + "] (see --help)");
  }
  return v;
}

size_t ParseSize(const std::string& s) {
  const long v = ParseInt("--sizes", s, 1, 1L << 30);
  long mult = 1;
  if (s.back() == 'K') mult = 1L << 10;
  if (s.back() == 'M') mult = 1L << 20;
  if (v * mult > (1L << 30)) throw std::runtime_error("--sizes: '" + s + "' exceeds 1G elements");
  return static_cast<size_t>(v * mult);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value (see --help)");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (a == "--sizes") {
      o.sizes.clear();
      for (const auto& s : SplitList(value())) o.sizes.push_back(ParseSize(s));
    } else if (a == "--threads") {
      o.threads.clear();
      for (const auto& s : SplitList(value())) {
        o.threads.push_back(static_cast<int>(ParseInt("--threads", s, 1, 1024)));
      }
    } else if (a == "--rounds") {
      o.rounds = static_cast<int>(ParseInt("--rounds", value(), 1, 1000));
    } else if (a == "--min-ms") {
      o.min_ms = static_cast<double>(ParseInt("--min-ms", value(), 1, 100000));
    } else if (a == "--ops") {
      o.ops = SplitList(value());
      for (const auto& op : o.ops) {
        gelu_act act;
        if (op != "gaussian_gelu" && gelu_act_from_name(op.c_str(), &act) != GELU_OK) {
          throw std::runtime_error("--ops: unknown activation '" + op + "' (see --help)");
        }
      }
    } else if (a == "--csv") {
      o.csv = value();
    } else if (a == "--no-ulp") {
      o.ulp = false;
    } else if (a == "--quick") {
      o.sizes = {size_t{1} << 16, size_t{1} << 20};
      o.rounds = 3;
      o.min_ms = 10.0;
    } else {
      throw std::runtime_error("unknown option '" + a + "' (see --help)");
    }
  }
  if (o.sizes.empty() || o.threads.empty()) throw std::runtime_error("empty --sizes or --threads");
  return o;
}

bool Wanted(const Options& o, const std::string& op) {
  return o.ops.empty() || std::find(o.ops.begin(), o.ops.end(), op) != o.ops.end();
}

void CheckGelu(gelu_status s) {
  if (s != GELU_OK) throw std::runtime_error(std::string("libgelu: ") + gelu_status_string(s));
}

// ---------------------------------------------------------------------------------------------
// Timing

using Clock = std::chrono::steady_clock;

double Seconds(const std::function<void()>& f, long reps) {
  const auto t0 = Clock::now();
  for (long r = 0; r < reps; ++r) f();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU time of the calling thread: with one thread everything runs on it, and time spent
// descheduled (other processes on a shared machine) is not counted.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Impl {
  Impl(std::string name_, std::function<void()> run_)
      : name(std::move(name_)), run(std::move(run_)) {}
  std::string name;  // libgelu, libtorch, onednn, naive, copy_scale, scale_mul
  std::function<void()> run;
  long reps = 0;
  std::vector<double> gelem_s;      // one per round, wall clock
  std::vector<double> gelem_s_cpu;  // one per round, calling thread's CPU time
};

struct Case {
  std::string op;
  std::string dir;  // forward or backward
  std::vector<Impl> impls;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

// ---------------------------------------------------------------------------------------------
// Anchors

struct Buffers {
  size_t n;
  FloatBuffer x, dy, out;
};

struct Dnnl {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
};

struct DnnlOp {
  dnnl::eltwise_forward fwd;
  dnnl::eltwise_backward bwd;
  dnnl::memory x, y, dy, dx;
};

DnnlOp MakeDnnlOp(Dnnl& d, dnnl::algorithm alg, float alpha, const Buffers& b, float* out) {
  using dnnl::memory;
  const memory::desc md({static_cast<memory::dim>(b.n)}, memory::data_type::f32,
                        memory::format_tag::a);
  DnnlOp op;
  op.x = memory(md, d.eng, b.x.get());
  op.y = memory(md, d.eng, out);
  op.dy = memory(md, d.eng, b.dy.get());
  op.dx = memory(md, d.eng, out);
  const dnnl::eltwise_forward::primitive_desc inf_pd(
      dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, alg, md, alpha, 0.0f), d.eng);
  const dnnl::eltwise_forward::primitive_desc train_pd(
      dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_training, alg, md, alpha, 0.0f), d.eng);
  const dnnl::eltwise_backward::primitive_desc bwd_pd(
      dnnl::eltwise_backward::desc(alg, md, md, alpha, 0.0f), d.eng, train_pd);
  op.fwd = dnnl::eltwise_forward(inf_pd);
  op.bwd = dnnl::eltwise_backward(bwd_pd);
  return op;
}

std::optional<std::pair<dnnl::algorithm, float>> DnnlAlgorithm(gelu_act act) {
  switch (act) {
    case GELU_ACT_GELU:
      return std::make_pair(dnnl::algorithm::eltwise_gelu_erf, 0.0f);
    case GELU_ACT_GELU_TANH:
      return std::make_pair(dnnl::algorithm::eltwise_gelu_tanh, 0.0f);
    case GELU_ACT_GELU_SIGMOID:
      return std::make_pair(dnnl::algorithm::eltwise_swish, kSigmoidGeluAlpha);
    case GELU_ACT_SILU:
      return std::make_pair(dnnl::algorithm::eltwise_swish, 1.0f);
    case GELU_ACT_RELU:
      return std::make_pair(dnnl::algorithm::eltwise_relu, 0.0f);
    case GELU_ACT_ELU:
      return std::make_pair(dnnl::algorithm::eltwise_elu, 1.0f);
  }
  return std::nullopt;
}

// libtorch forward and backward for act, or empty functions where libtorch has no such op.
std::pair<std::function<void()>, std::function<void()>> TorchOps(gelu_act act, const at::Tensor& x,
                                                                 const at::Tensor& dy,
                                                                 at::Tensor& out) {
  switch (act) {
    case GELU_ACT_GELU:
      return {[&] { at::gelu_out(out, x, "none"); },
              [&] { at::gelu_backward_out(out, dy, x, "none"); }};
    case GELU_ACT_GELU_TANH:
      return {[&] { at::gelu_out(out, x, "tanh"); },
              [&] { at::gelu_backward_out(out, dy, x, "tanh"); }};
    case GELU_ACT_SILU:
      return {[&] { at::silu_out(out, x); }, [&] { at::silu_backward_out(out, dy, x); }};
    case GELU_ACT_RELU:
      return {[&] { at::relu_out(out, x); }, [&] { at::threshold_backward_out(out, dy, x, 0); }};
    case GELU_ACT_ELU:
      return {[&] { at::elu_out(out, x, 1, 1, 1); },
              [&] { at::elu_backward_out(out, dy, 1, 1, 1, /*is_result=*/false, x); }};
    case GELU_ACT_GELU_SIGMOID:
      break;  // no single libtorch op
  }
  return {};
}

// 0.5 x (1 + erf(x / sqrt 2)) with glibc's erff, split over threads like copy-scale.
void NaiveGelu(size_t n, const float* x, float* y, int threads) {
  const float inv_sqrt2 = static_cast<float>(1.0 / std::numbers::sqrt2);
  const auto count = static_cast<long>(n);
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (long i = 0; i < count; ++i) {
    const float v = x[i];
    y[i] = 0.5f * v * (1.0f + std::erf(v * inv_sqrt2));
  }
}

void SetThreads(int t) {
  gelu_set_num_threads(t);
  at::set_num_threads(t);
  omp_set_num_threads(t);  // oneDNN (Debian: OpenMP runtime) and the naive loop
}

// ---------------------------------------------------------------------------------------------
// Accuracy

double UlpFloat(double r) {
  const double a = std::fabs(r);
  if (a < 0x1p-126) return 0x1p-149;
  if (a >= 0x1p127) return 0x1p104;
  int e = 0;
  std::frexp(a, &e);  // a in [2^(e-1), 2^e)
  return std::ldexp(1.0, e - 24);
}

double UlpError(float y, double r) {
  if (std::isnan(r)) return std::isnan(y) ? 0.0 : std::numeric_limits<double>::infinity();
  if (std::isnan(y)) return std::numeric_limits<double>::infinity();
  return std::fabs(static_cast<double>(y) - r) / UlpFloat(r);
}

double RefGelu(double x) { return 0.5 * x * std::erfc(-x / std::numbers::sqrt2); }
double RefGeluGrad(double x) {
  const double phi = std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi);
  return 0.5 * std::erfc(-x / std::numbers::sqrt2) + x * phi;
}

struct UlpResult {
  std::string dir, input, impl;
  double max_ulp = 0.0;
  float x_worst = 0.0f;
};

struct Row {           // one speed result
  std::string metric;  // gelem_s (wall clock) or gelem_s_cpu (thread CPU time, threads = 1)
  std::string op, dir;
  size_t n;
  int threads;
  std::string impl;
  double median, min, max;
  int rounds;
};

std::vector<UlpResult> MeasureUlp(const Options& o) {
  SetThreads(1);
  // Benchmark input: the first min(max size, 1M) elements of the N(0,1) stream; tail: every float
  // in [-10, -3].
  const size_t n_bench = std::min(*std::max_element(o.sizes.begin(), o.sizes.end()), kUlpSampleMax);
  std::vector<float> tail;
  for (uint32_t bits = std::bit_cast<uint32_t>(-3.0f); bits <= std::bit_cast<uint32_t>(-10.0f);
       ++bits) {
    tail.push_back(std::bit_cast<float>(bits));
  }
  std::vector<UlpResult> results;
  Dnnl d;
  for (const char* input : {"normal", "tail"}) {
    const bool is_tail = std::strcmp(input, "tail") == 0;
    Buffers b{is_tail ? tail.size() : n_bench, AllocFloats(is_tail ? tail.size() : n_bench),
              AllocFloats(is_tail ? tail.size() : n_bench),
              AllocFloats(is_tail ? tail.size() : n_bench)};
    if (is_tail) {
      std::copy(tail.begin(), tail.end(), b.x.get());
    } else {
      FillNormal(kSeedX, 1.0f, b.n, b.x.get());
    }
    std::fill(b.dy.get(), b.dy.get() + b.n, 1.0f);
    const auto len = static_cast<int64_t>(b.n);
    at::Tensor tx = at::from_blob(b.x.get(), {len}, at::kFloat);
    at::Tensor tdy = at::from_blob(b.dy.get(), {len}, at::kFloat);
    at::Tensor tout = at::from_blob(b.out.get(), {len}, at::kFloat);
    DnnlOp dop = MakeDnnlOp(d, dnnl::algorithm::eltwise_gelu_erf, 0.0f, b, b.out.get());
    auto measure = [&](const char* dir, const char* impl, const std::function<void()>& f) {
      std::fill(b.out.get(), b.out.get() + b.n, std::numeric_limits<float>::quiet_NaN());
      f();
      UlpResult r{dir, input, impl};
      const bool fwd = std::strcmp(dir, "forward") == 0;
      for (size_t i = 0; i < b.n; ++i) {
        const double ref = fwd ? RefGelu(b.x[i]) : RefGeluGrad(b.x[i]);
        const double e = UlpError(b.out[i], ref);
        if (e > r.max_ulp || (std::isinf(e) && !std::isinf(r.max_ulp))) {
          r.max_ulp = e;
          r.x_worst = b.x[i];
        }
      }
      results.push_back(r);
    };
    measure("forward", "libgelu",
            [&] { CheckGelu(gelu_forward_f32(GELU_ACT_GELU, b.n, b.x.get(), b.out.get())); });
    measure("forward", "libtorch", [&] { at::gelu_out(tout, tx, "none"); });
    measure("forward", "onednn", [&] {
      dop.fwd.execute(d.strm, {{DNNL_ARG_SRC, dop.x}, {DNNL_ARG_DST, dop.y}});
      d.strm.wait();
    });
    measure("forward", "naive", [&] { NaiveGelu(b.n, b.x.get(), b.out.get(), 1); });
    measure("backward", "libgelu", [&] {
      CheckGelu(gelu_backward_f32(GELU_ACT_GELU, b.n, b.x.get(), b.dy.get(), b.out.get()));
    });
    measure("backward", "libtorch", [&] { at::gelu_backward_out(tout, tdy, tx, "none"); });
    measure("backward", "onednn", [&] {
      dop.bwd.execute(
          d.strm,
          {{DNNL_ARG_SRC, dop.x}, {DNNL_ARG_DIFF_DST, dop.dy}, {DNNL_ARG_DIFF_SRC, dop.dx}});
      d.strm.wait();
    });
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Speed

std::vector<Case> MakeCases(const Options& o, Dnnl& d, std::vector<DnnlOp>& dnnl_ops,
                            const Buffers& b, const at::Tensor& tx, const at::Tensor& tdy,
                            at::Tensor& tout, int threads) {
  std::vector<Case> cases;
  const size_t n = b.n;
  const float* x = b.x.get();
  const float* dy = b.dy.get();
  float* out = b.out.get();
  // Reserve so the references held by the closures stay valid.
  dnnl_ops.clear();
  dnnl_ops.reserve(std::size(kActs));
  for (const Act& a : kActs) {
    if (!Wanted(o, a.name)) continue;
    const gelu_act act = a.act;
    Case fwd{a.name, "forward", {}};
    Case bwd{a.name, "backward", {}};
    fwd.impls.push_back({"libgelu", [=] { CheckGelu(gelu_forward_f32(act, n, x, out)); }});
    bwd.impls.push_back({"libgelu", [=] { CheckGelu(gelu_backward_f32(act, n, x, dy, out)); }});
    auto [tf, tb] = TorchOps(act, tx, tdy, tout);
    if (tf) fwd.impls.push_back({"libtorch", tf});
    if (tb) bwd.impls.push_back({"libtorch", tb});
    if (auto alg = DnnlAlgorithm(act)) {
      DnnlOp& op = dnnl_ops.emplace_back(MakeDnnlOp(d, alg->first, alg->second, b, out));
      DnnlOp* p = &op;
      Dnnl* dp = &d;
      fwd.impls.push_back({"onednn", [=] {
                             p->fwd.execute(dp->strm, {{DNNL_ARG_SRC, p->x}, {DNNL_ARG_DST, p->y}});
                             dp->strm.wait();
                           }});
      bwd.impls.push_back({"onednn", [=] {
                             p->bwd.execute(dp->strm, {{DNNL_ARG_SRC, p->x},
                                                       {DNNL_ARG_DIFF_DST, p->dy},
                                                       {DNNL_ARG_DIFF_SRC, p->dx}});
                             dp->strm.wait();
                           }});
    }
    if (act == GELU_ACT_GELU) {
      fwd.impls.push_back({"naive", [=] { NaiveGelu(n, x, out, threads); }});
    }
    cases.push_back(std::move(fwd));
    cases.push_back(std::move(bwd));
  }
  if (Wanted(o, "gaussian_gelu")) {
    cases.push_back({"gaussian_gelu", "forward", {}});
    cases.back().impls.push_back(
        {"libgelu",
         [=] { CheckGelu(gelu_gaussian_forward_f32(kGaussMu, kGaussSigma, n, x, out)); }});
    cases.push_back({"gaussian_gelu", "backward", {}});
    cases.back().impls.push_back({"libgelu", [=] {
                                    float dmu = 0.0f;
                                    float dsigma = 0.0f;
                                    CheckGelu(gelu_gaussian_backward_f32(
                                        kGaussMu, kGaussSigma, n, x, dy, out, &dmu, &dsigma));
                                  }});
  }
  // The bandwidth references, measured in every round like the kernels.
  cases.push_back({"copy_scale", "forward", {}});
  cases.back().impls.push_back(
      {"copy_scale", [=] { CopyScale(1.0009765625f, n, x, out, threads); }});
  cases.push_back({"scale_mul", "backward", {}});
  cases.back().impls.push_back(
      {"scale_mul", [=] { ScaleMul(1.0009765625f, n, x, dy, out, threads); }});
  return cases;
}

void RunConfig(const Options& o, Dnnl& d, size_t n, int threads, std::vector<Row>& rows) {
  SetThreads(threads);
  Buffers b{n, AllocFloats(n), AllocFloats(n), AllocFloats(n)};
  FillNormal(kSeedX, 1.0f, n, b.x.get());
  FillNormal(kSeedDy, 1.0f, n, b.dy.get());
  std::fill(b.out.get(), b.out.get() + n, 0.0f);
  const auto len = static_cast<int64_t>(n);
  const at::Tensor tx = at::from_blob(b.x.get(), {len}, at::kFloat);
  const at::Tensor tdy = at::from_blob(b.dy.get(), {len}, at::kFloat);
  at::Tensor tout = at::from_blob(b.out.get(), {len}, at::kFloat);
  std::vector<DnnlOp> dnnl_ops;
  std::vector<Case> cases = MakeCases(o, d, dnnl_ops, b, tx, tdy, tout, threads);

  const double min_s = o.min_ms * 1e-3;
  for (Case& c : cases) {  // calibrate: warm up, then pick repetitions for >= min_ms
    for (Impl& im : c.impls) {
      im.run();
      im.run();
      const double t1 = std::max(Seconds(im.run, 1), 1e-9);
      im.reps = std::clamp(static_cast<long>(std::ceil(min_s / t1)), 1L, 10'000'000L);
    }
  }
  for (int r = 0; r < o.rounds; ++r) {
    for (Case& c : cases) {
      for (Impl& im : c.impls) {
        if (im.reps > 1) im.run();  // wakes sleeping pool threads; skipped where one call is long
        const double cpu0 = ThreadCpuSeconds();
        const double s = Seconds(im.run, im.reps);
        const double cpu = std::max(ThreadCpuSeconds() - cpu0, 1e-9);
        const double elems = static_cast<double>(n) * static_cast<double>(im.reps);
        im.gelem_s.push_back(elems / s * 1e-9);
        im.gelem_s_cpu.push_back(elems / cpu * 1e-9);
      }
    }
  }
  for (const Case& c : cases) {
    for (const Impl& im : c.impls) {
      rows.push_back({"gelem_s", c.op, c.dir, n, threads, im.name, Median(im.gelem_s),
                      *std::min_element(im.gelem_s.begin(), im.gelem_s.end()),
                      *std::max_element(im.gelem_s.begin(), im.gelem_s.end()), o.rounds});
      if (threads == 1) {
        rows.push_back({"gelem_s_cpu", c.op, c.dir, n, threads, im.name, Median(im.gelem_s_cpu),
                        *std::min_element(im.gelem_s_cpu.begin(), im.gelem_s_cpu.end()),
                        *std::max_element(im.gelem_s_cpu.begin(), im.gelem_s_cpu.end()), o.rounds});
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Output

const Row* Find(const std::vector<Row>& rows, const std::string& metric, const std::string& op,
                const std::string& dir, size_t n, int t, const std::string& impl) {
  for (const Row& r : rows) {
    if (r.metric == metric && r.op == op && r.dir == dir && r.n == n && r.threads == t &&
        r.impl == impl) {
      return &r;
    }
  }
  return nullptr;
}

std::string Cell(const Row* r) {
  if (r == nullptr) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", r->median);
  return buf;
}

std::string Ratio(double a, double b) {
  if (!(a > 0.0) || !(b > 0.0)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", a / b);
  return buf;
}

void PrintSpeed(const std::vector<Row>& rows, const Options& o, const std::string& metric) {
  std::printf(
      "\nGelem/s by %s, median of %d interleaved rounds (bw = copy_scale for forward, scale_mul"
      " for backward)\n",
      metric == "gelem_s" ? "wall clock" : "CPU time of the calling thread (threads = 1 only)",
      o.rounds);
  std::printf("%-14s %-8s %9s %2s %8s %8s %8s %8s %8s %8s %10s %8s %8s\n", "op", "dir", "n", "t",
              "libgelu", "libtorch", "onednn", "naive", "copy", "bw", "ours/best", "ours/copy",
              "ours/bw");
  for (const Row& r : rows) {
    if (r.impl != "libgelu" || r.metric != metric) continue;
    const Row* torch = Find(rows, metric, r.op, r.dir, r.n, r.threads, "libtorch");
    const Row* dnnl = Find(rows, metric, r.op, r.dir, r.n, r.threads, "onednn");
    const Row* naive = Find(rows, metric, r.op, r.dir, r.n, r.threads, "naive");
    const Row* copy = Find(rows, metric, "copy_scale", "forward", r.n, r.threads, "copy_scale");
    const Row* bw = r.dir == "forward"
                        ? copy
                        : Find(rows, metric, "scale_mul", "backward", r.n, r.threads, "scale_mul");
    const double best = std::max(torch ? torch->median : 0.0, dnnl ? dnnl->median : 0.0);
    std::printf("%-14s %-8s %9zu %2d %8s %8s %8s %8s %8s %8s %10s %8s %8s\n", r.op.c_str(),
                r.dir.c_str(), r.n, r.threads, Cell(&r).c_str(), Cell(torch).c_str(),
                Cell(dnnl).c_str(), Cell(naive).c_str(), Cell(copy).c_str(), Cell(bw).c_str(),
                Ratio(r.median, best).c_str(), Ratio(r.median, copy ? copy->median : 0.0).c_str(),
                Ratio(r.median, bw ? bw->median : 0.0).c_str());
  }
}

void PrintUlp(const std::vector<UlpResult>& ulp) {
  std::printf(
      "\nmax ULP error of exact gelu vs 0.5*x*erfc(-x/sqrt2) in double (backward: dy = 1,"
      " vs Phi(x) + x*phi(x))\n");
  std::printf("%-8s %-7s %-9s %14s %14s\n", "dir", "input", "impl", "max_ulp", "at_x");
  for (const UlpResult& u : ulp) {
    std::printf("%-8s %-7s %-9s %14.4g %14.9g\n", u.dir.c_str(), u.input.c_str(), u.impl.c_str(),
                u.max_ulp, static_cast<double>(u.x_worst));
  }
}

void WriteCsv(const std::string& path, const std::vector<Row>& rows,
              const std::vector<UlpResult>& ulp, const std::string& header) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error("--csv: cannot write '" + path + "': " + std::strerror(errno));
  out << header;
  out << "metric,op,direction,input,n,threads,impl,value,min,max,rounds_or_x\n";
  char buf[512];
  for (const Row& r : rows) {
    std::snprintf(buf, sizeof buf, "%s,%s,%s,normal,%zu,%d,%s,%.6g,%.6g,%.6g,%d\n",
                  r.metric.c_str(), r.op.c_str(), r.dir.c_str(), r.n, r.threads, r.impl.c_str(),
                  r.median, r.min, r.max, r.rounds);
    out << buf;
  }
  for (const UlpResult& u : ulp) {
    std::snprintf(buf, sizeof buf, "max_ulp,gelu,%s,%s,,1,%s,%.6g,,,%.9g\n", u.dir.c_str(),
                  u.input.c_str(), u.impl.c_str(), u.max_ulp, static_cast<double>(u.x_worst));
    out << buf;
  }
  if (!out) throw std::runtime_error("--csv: error writing '" + path + "'");
}

int Main(int argc, char** argv) {
  const Options o = ParseOptions(argc, argv);
  std::string header;
  auto meta = [&](const std::string& key, const std::string& value) {
    header += "# " + key + "=" + value + "\n";
    std::printf("%s: %s\n", key.c_str(), value.c_str());
  };
  const std::time_t now = std::time(nullptr);
  char date[64];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  meta("date", date);
  meta("cpu", CpuModelName());
  meta("gelu_simd_target", gelu_simd_target());
  meta("gelu_default_threads", std::to_string(gelu_get_num_threads()));
  meta("omp_max_threads", std::to_string(omp_get_max_threads()));
  meta("torch_version", std::to_string(TORCH_VERSION_MAJOR) + "." +
                            std::to_string(TORCH_VERSION_MINOR) + "." +
                            std::to_string(TORCH_VERSION_PATCH));
  const dnnl_version_t* v = dnnl_version();
  meta("onednn_version", std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                             std::to_string(v->patch) + " (cpu runtime " +
                             (v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other") + ")");
  const char* wait_policy = std::getenv("OMP_WAIT_POLICY");
  meta("omp_wait_policy", wait_policy != nullptr ? wait_policy : "(unset)");
  meta("rounds", std::to_string(o.rounds));
  meta("min_ms", std::to_string(static_cast<int>(o.min_ms)));
  meta("loadavg_start", LoadAverage());

  std::vector<UlpResult> ulp;
  if (o.ulp) {
    ulp = MeasureUlp(o);
    PrintUlp(ulp);
  }
  Dnnl d;
  std::vector<Row> rows;
  for (size_t n : o.sizes) {
    for (int t : o.threads) {
      std::fprintf(stderr, "measuring n=%zu threads=%d ...\n", n, t);
      RunConfig(o, d, n, t, rows);
    }
  }
  PrintSpeed(rows, o, "gelem_s");
  if (std::find(o.threads.begin(), o.threads.end(), 1) != o.threads.end()) {
    PrintSpeed(rows, o, "gelem_s_cpu");
  }
  const std::string load_end = LoadAverage();
  std::printf("loadavg_end: %s\n", load_end.c_str());
  header += "# loadavg_end=" + load_end + "\n";
  if (!o.csv.empty()) WriteCsv(o.csv, rows, ulp, header);
  return 0;
}

}  // namespace
}  // namespace gelu::bench

int main(int argc, char** argv) {
  try {
    return gelu::bench::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "compare_anchors: error: %s\n", e.what());
    return 1;
  }
}
