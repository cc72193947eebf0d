// libgelu's gated entry points (GEGLU, SwiGLU): y = f(a) * b and its backward on row-strided
// fp32 matrices. Argument checks (strides, addressability, which outputs may share elements
// with which inputs) and the split across threads; the kernels are in src/kernels_f32.cc. Work
// is cut by flat element index (row-major, rows x cols), so every thread count gives the same bits.

#include <gelu/gelu.h>
#include <stddef.h>

#include <cstdint>

#include "src/kernels.hpp"
#include "src/parallel.hpp"

namespace {

// A rows x cols float matrix with row stride ld (elements). rows, cols > 0.
struct Mat {
  const float* p;
  size_t ld;
};

// Non-null, ld >= cols, and its last element addressable: (rows - 1) * ld + cols floats fit in
// size_t bytes and in the address space after p.
bool Valid(Mat m, size_t rows, size_t cols) {
  if (m.p == nullptr || m.ld < cols) return false;
  constexpr size_t kMaxFloats = SIZE_MAX / sizeof(float);
  if (rows - 1 > (kMaxFloats - cols) / m.ld) return false;
  const size_t span = ((rows - 1) * m.ld + cols) * sizeof(float);
  return reinterpret_cast<std::uintptr_t>(m.p) <= UINTPTR_MAX - span;
}

size_t SpanBytes(Mat m, size_t rows, size_t cols) {
  return ((rows - 1) * m.ld + cols) * sizeof(float);
}

// Whether some element of m is (or overlaps) some element of n. Exact when both have the same
// stride and float-aligned offsets (interleaved [a | b] layouts share no element); otherwise
// any overlap of the byte spans counts.
bool SharesElement(Mat m, Mat n, size_t rows, size_t cols) {
  const auto pm = reinterpret_cast<std::uintptr_t>(m.p);
  const auto pn = reinterpret_cast<std::uintptr_t>(n.p);
  if (pm >= pn + SpanBytes(n, rows, cols) || pn >= pm + SpanBytes(m, rows, cols)) return false;
  const std::uintptr_t bytes = pm > pn ? pm - pn : pn - pm;
  if (m.ld != n.ld || bytes % sizeof(float) != 0) return true;
  // m[r1][c1] = n[r2][c2] with delta = (r1 - r2) ld + (c1 - c2) (in floats, delta >= 0 by
  // symmetry): for k = delta / ld rows apart the column gap is delta % ld, for k + 1 it is
  // ld - delta % ld; either must be below cols, with k (or k + 1) below rows.
  const size_t delta = bytes / sizeof(float);
  const size_t k = delta / m.ld;
  const size_t rem = delta % m.ld;
  return (k < rows && rem < cols) || (rem > 0 && k + 1 < rows && m.ld - rem < cols);
}

// out may be `in` itself (same pointer and stride, in place) when `may_alias`; otherwise no
// shared element.
bool Apart(Mat out, Mat in, size_t rows, size_t cols, bool may_alias) {
  if (may_alias && out.p == in.p && out.ld == in.ld) return true;
  return !SharesElement(out, in, rows, cols);
}

// Runs fn(row, col, len) over row segments covering the flat elements [0, rows * cols), split
// into libgelu's fixed blocks across threads.
template <class Fn>
void ForEachSegment(size_t rows, size_t cols, const Fn& fn) {
  gelu::ForEachBlock(rows * cols, [&](size_t, size_t begin, size_t count) {
    size_t r = begin / cols;
    size_t c = begin % cols;
    for (size_t left = count; left > 0;) {
      const size_t len = left < cols - c ? left : cols - c;
      fn(r, c, len);
      left -= len;
      ++r;
      c = 0;
    }
  });
}

}  // namespace

extern "C" {

gelu_status gelu_gated_forward_f32(gelu_act act, size_t rows, size_t cols, const float* a,
                                   size_t lda, const float* b, size_t ldb, float* y, size_t ldy) {
  if (!gelu::ValidAct(act)) return GELU_ERR_INVALID_ARGUMENT;
  if (rows == 0 || cols == 0) return GELU_OK;
  const Mat ma{a, lda}, mb{b, ldb}, my{y, ldy};
  if (!Valid(ma, rows, cols) || !Valid(mb, rows, cols) || !Valid(my, rows, cols) ||
      !Apart(my, ma, rows, cols, true) || !Apart(my, mb, rows, cols, true)) {
    return GELU_ERR_INVALID_ARGUMENT;
  }
  const int id = static_cast<int>(act);
  ForEachSegment(rows, cols, [&](size_t r, size_t c, size_t len) {
    gelu::KernelGatedForwardF32(id, len, a + r * lda + c, b + r * ldb + c, y + r * ldy + c);
  });
  return GELU_OK;
}

gelu_status gelu_gated_backward_f32(gelu_act act, size_t rows, size_t cols, const float* a,
                                    size_t lda, const float* b, size_t ldb, const float* dy,
                                    size_t lddy, float* da, size_t ldda, float* db, size_t lddb) {
  if (!gelu::ValidAct(act)) return GELU_ERR_INVALID_ARGUMENT;
  if (rows == 0 || cols == 0) return GELU_OK;
  const Mat ma{a, lda}, mb{b, ldb}, mdy{dy, lddy}, mda{da, ldda}, mdb{db, lddb};
  for (const Mat m : {ma, mb, mdy, mda, mdb}) {
    if (!Valid(m, rows, cols)) return GELU_ERR_INVALID_ARGUMENT;
  }
  // The kernels read a, b and dy of an element before writing its da and db, and compute db
  // before da from a: so da may be a, b or dy, db may be b or dy, never a.
  if (!Apart(mda, ma, rows, cols, true) || !Apart(mda, mb, rows, cols, true) ||
      !Apart(mda, mdy, rows, cols, true) || !Apart(mdb, ma, rows, cols, false) ||
      !Apart(mdb, mb, rows, cols, true) || !Apart(mdb, mdy, rows, cols, true) ||
      !Apart(mda, mdb, rows, cols, false)) {
    return GELU_ERR_INVALID_ARGUMENT;
  }
  const int id = static_cast<int>(act);
  ForEachSegment(rows, cols, [&](size_t r, size_t c, size_t len) {
    gelu::KernelGatedBackwardF32(id, len, a + r * lda + c, b + r * ldb + c, dy + r * lddy + c,
                                 da + r * ldda + c, db + r * lddb + c);
  });
  return GELU_OK;
}

}  // extern "C"
