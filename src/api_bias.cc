// libgelu's fused bias + activation entry points (fp32): y = f(fl(x + bias)) per row, and the
// backward pass with the bias gradient. The sum is rounded to float exactly as a separate
// bias-add would be, into a stack chunk that the fp32 kernel reads while it is in cache, so
// results are bitwise those of the unfused calls. dbias is summed in double over a task grid
// that depends only on (rows, cols): the same bits for every thread count. The bias-add and the
// dbias accumulation are Highway kernels (this file is their dispatch TU), called per chunk.

#include <gelu/gelu.h>
#include <stddef.h>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/api_bias.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace gelu {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// tmp[j] = fl(x[e + j] + bias[(e + j) % cols]) for j < len, row segment by row segment.
void AddBiasChunk(size_t e, size_t len, size_t cols, const float* HWY_RESTRICT x,
                  const float* HWY_RESTRICT bias, float* HWY_RESTRICT tmp) {
  const hn::ScalableTag<float> df;
  const size_t lanes = hn::Lanes(df);
  size_t c = e % cols;
  for (size_t j = 0; j < len;) {
    const size_t seg = len - j < cols - c ? len - j : cols - c;
    const float* xs = x + e + j;
    const float* bs = bias + c;
    float* ts = tmp + j;
    size_t k = 0;
    for (; k + lanes <= seg; k += lanes) {
      hn::StoreU(hn::Add(hn::LoadU(df, xs + k), hn::LoadU(df, bs + k)), df, ts + k);
    }
    for (; k < seg; ++k) ts[k] = xs[k] + bs[k];
    j += seg;
    c = 0;
  }
}

// acc[(e + j) % cols] += dx[e + j] in double, for j < len.
void AccumulateChunk(size_t e, size_t len, size_t cols, const float* HWY_RESTRICT dx,
                     double* HWY_RESTRICT acc) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  const size_t lanes = hn::Lanes(dd);
  size_t c = e % cols;
  for (size_t j = 0; j < len;) {
    const size_t seg = len - j < cols - c ? len - j : cols - c;
    const float* d = dx + e + j;
    double* as = acc + c;
    size_t k = 0;
    for (; k + lanes <= seg; k += lanes) {
      hn::StoreU(hn::Add(hn::LoadU(dd, as + k), hn::PromoteTo(dd, hn::LoadU(df, d + k))), dd,
                 as + k);
    }
    for (; k < seg; ++k) as[k] += static_cast<double>(d[k]);
    j += seg;
    c = 0;
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace gelu
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include <algorithm>
#include <cstdint>
#include <vector>

#include "src/dispatch.hpp"
#include "src/kernels.hpp"
#include "src/parallel.hpp"

namespace gelu {
namespace {
HWY_EXPORT(AddBiasChunk);
HWY_EXPORT(AccumulateChunk);

void AddBias(size_t e, size_t len, size_t cols, const float* x, const float* bias, float* tmp) {
  GELU_DISPATCH(AddBiasChunk)(e, len, cols, x, bias, tmp);
}
void Accumulate(size_t e, size_t len, size_t cols, const float* dx, double* acc) {
  GELU_DISPATCH(AccumulateChunk)(e, len, cols, dx, acc);
}
}  // namespace
}  // namespace gelu

using gelu::ForEachBlock;
using gelu::OverlapsPartly;
using gelu::ValidAct;

namespace {

constexpr size_t kChunk = 1024;  // floats per stack chunk (4 KiB)

// Whether [a, a + na) and [b, b + nb) share any byte.
template <class T, class U>
bool Overlaps(const T* a, size_t na, const U* b, size_t nb) {
  const auto pa = reinterpret_cast<std::uintptr_t>(a);
  const auto pb = reinterpret_cast<std::uintptr_t>(b);
  return na > 0 && nb > 0 && pa < pb + nb * sizeof(U) && pb < pa + na * sizeof(T);
}

// Forward over the flat elements [begin, end).
void ForwardRange(int act, size_t begin, size_t end, size_t cols, const float* x, const float* bias,
                  float* y) {
  float tmp[kChunk];
  for (size_t e = begin; e < end; e += kChunk) {
    const size_t len = std::min(kChunk, end - e);
    gelu::AddBias(e, len, cols, x, bias, tmp);
    gelu::KernelForwardF32(act, len, tmp, y + e);
  }
}

// Backward over the flat elements [begin, end); adds dx into acc[column] when acc is given.
void BackwardRange(int act, size_t begin, size_t end, size_t cols, const float* x,
                   const float* bias, const float* dy, float* dx, double* acc) {
  float tmp[kChunk];
  for (size_t e = begin; e < end; e += kChunk) {
    const size_t len = std::min(kChunk, end - e);
    gelu::AddBias(e, len, cols, x, bias, tmp);
    gelu::KernelBackwardF32(act, len, tmp, dy + e, dx + e);
    if (acc != nullptr) gelu::Accumulate(e, len, cols, dx, acc);
  }
}

// Runs fn(task) for task in [0, tasks) on libgelu's threads. Each task holds about one
// kBlock of elements, so it is handed to ForEachBlock as one block.
template <class Fn>
void ForEachTask(size_t tasks, const Fn& fn) {
  ForEachBlock(tasks * gelu::kBlock, [&](size_t b, size_t, size_t) { fn(b); });
}

// Pairwise sum of v[0..n) with stride `stride` (the per-group partials of one column).
double PairwiseSum(const double* v, size_t n, size_t stride) {
  if (n == 1) return v[0];
  const size_t h = n / 2;
  return PairwiseSum(v, h, stride) + PairwiseSum(v + h * stride, n - h, stride);
}

}  // namespace

extern "C" {

gelu_status gelu_bias_forward_f32(gelu_act act, size_t rows, size_t cols, const float* x,
                                  const float* bias, float* y) {
  if (!ValidAct(act)) return GELU_ERR_INVALID_ARGUMENT;
  if (cols != 0 && rows > SIZE_MAX / sizeof(float) / cols) return GELU_ERR_INVALID_ARGUMENT;
  const size_t n = rows * cols;
  if (n == 0) return GELU_OK;
  if (x == nullptr || bias == nullptr || y == nullptr || OverlapsPartly(x, y, n) ||
      Overlaps(bias, cols, y, n)) {
    return GELU_ERR_INVALID_ARGUMENT;
  }
  const int a = static_cast<int>(act);
  ForEachBlock(n, [&](size_t, size_t begin, size_t count) {
    ForwardRange(a, begin, begin + count, cols, x, bias, y);
  });
  return GELU_OK;
}

gelu_status gelu_bias_backward_f32(gelu_act act, size_t rows, size_t cols, const float* x,
                                   const float* bias, const float* dy, float* dx, float* dbias) {
  if (!ValidAct(act)) return GELU_ERR_INVALID_ARGUMENT;
  if (cols != 0 && rows > SIZE_MAX / sizeof(float) / cols) return GELU_ERR_INVALID_ARGUMENT;
  const size_t n = rows * cols;
  if (n == 0) {
    // No rows: the bias gradient is an empty sum.
    if (cols > 0 && dbias != nullptr) std::fill(dbias, dbias + cols, 0.0f);
    return GELU_OK;
  }
  if (x == nullptr || bias == nullptr || dy == nullptr || dx == nullptr ||
      OverlapsPartly(x, dx, n) || OverlapsPartly(dy, dx, n) || Overlaps(bias, cols, dx, n) ||
      (dbias != nullptr && Overlaps(dbias, cols, dx, n))) {
    return GELU_ERR_INVALID_ARGUMENT;
  }
  const int a = static_cast<int>(act);
  if (dbias == nullptr) {
    ForEachBlock(n, [&](size_t, size_t begin, size_t count) {
      BackwardRange(a, begin, begin + count, cols, x, bias, dy, dx, nullptr);
    });
    return GELU_OK;
  }
  // Task grid: column tiles of <= kChunk (whole rows when cols <= 2 kChunk) times row groups of
  // about kBlock elements, at most kMaxGroups groups. Each task sums its rows into its group's
  // partial row (in double, in row order); groups are combined pairwise. The grid depends only on
  // (rows, cols), so dbias is the same for every thread count. Error <= (rows per group +
  // log2 groups) * 2^-53 * sum |dx| (then the rounding to float).
  constexpr size_t kMaxGroups = 64;
  const size_t tile = cols <= 2 * kChunk ? cols : kChunk;
  const size_t tiles = (cols + tile - 1) / tile;
  const size_t rows_per_group =
      std::max({size_t{1}, (gelu::kBlock + tile - 1) / tile, (rows + kMaxGroups - 1) / kMaxGroups});
  const size_t groups = (rows + rows_per_group - 1) / rows_per_group;
  std::vector<double> partial(groups * cols, 0.0);
  ForEachTask(groups * tiles, [&](size_t task) {
    const size_t g = task / tiles;
    const size_t t = task % tiles;
    const size_t r0 = g * rows_per_group;
    const size_t r1 = std::min(rows, r0 + rows_per_group);
    double* acc = partial.data() + g * cols;
    if (tiles == 1) {  // whole rows: one contiguous range
      BackwardRange(a, r0 * cols, r1 * cols, cols, x, bias, dy, dx, acc);
      return;
    }
    const size_t c0 = t * tile;
    const size_t c1 = std::min(cols, c0 + tile);
    for (size_t r = r0; r < r1; ++r) {
      BackwardRange(a, r * cols + c0, r * cols + c1, cols, x, bias, dy, dx, acc);
    }
  });
  for (size_t c = 0; c < cols; ++c) {
    dbias[c] = static_cast<float>(PairwiseSum(partial.data() + c, groups, cols));
  }
  return GELU_OK;
}

}  // extern "C"

#endif  // HWY_ONCE
