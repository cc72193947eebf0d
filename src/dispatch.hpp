// libgelu's run-time dispatch: Highway's HWY_EXPORT tables, indexed either by Highway's own
// choice (the best target of this CPU, shared with every Highway user in the process) or by the
// target pinned through gelu_set_simd_target / GELU_SIMD_TARGET, which only libgelu sees.
// Include after "hwy/highway.h", in the HWY_ONCE part of a dispatch TU.
#ifndef GELU_SRC_DISPATCH_HPP_
#define GELU_SRC_DISPATCH_HPP_

#include <stddef.h>

#include <atomic>

namespace gelu {

// The HWY_EXPORT table index pinned by gelu_set_simd_target, or -1 for Highway's choice.
extern std::atomic<int> g_pinned_index;

inline size_t DispatchIndex() {
  const int pinned = g_pinned_index.load(std::memory_order_relaxed);
  return pinned >= 0 ? static_cast<size_t>(pinned) : hwy::GetChosenTarget().GetIndex();
}

}  // namespace gelu

// HWY_DYNAMIC_DISPATCH with the pinned target taken into account.
#define GELU_DISPATCH(FUNC_NAME) (*(HWY_DISPATCH_TABLE(FUNC_NAME)[gelu::DispatchIndex()]))

#endif  // GELU_SRC_DISPATCH_HPP_
