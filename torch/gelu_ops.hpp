// gelu_torch ops: libgelu's activations as libtorch operators in the "gelu" namespace
// (torch.ops.gelu.gelu, ..., torch.ops.gelu.gaussian_gelu), with CPU and Autograd kernels.
// Values are libgelu's float32 results bit for bit, whatever at::get_num_threads() is.
#ifndef GELU_TORCH_GELU_OPS_HPP_
#define GELU_TORCH_GELU_OPS_HPP_

#include <ATen/core/Tensor.h>
#include <gelu/gelu.h>

namespace gelu::torch {

// The registered operators (schemas in the "gelu" namespace, one per row of activations.def):
//   gelu::gelu(Tensor x) -> Tensor     likewise gelu_tanh, gelu_sigmoid, silu, relu and elu
//   gelu::gaussian_gelu(Tensor x, Tensor mu, Tensor sigma) -> Tensor
//                                      y = x * Phi((x - mu) / sigma)
// Contract of every op:
// - x must be a float32 CPU tensor (any shape; non-contiguous input is copied to contiguous).
//   Other dtypes raise c10::Error: libgelu computes in float32 only, and a silent float64 ->
//   float32 round trip would hide the precision loss. Convert with x.to(at::kFloat).
// - mu and sigma are one-element (normally 0-dim) floating tensors; they are read as float32
//   and receive gradients of their own shape and dtype. sigma must be positive and finite.
// - Backward is libgelu's gelu_backward_f32 / gelu_gaussian_backward_f32; the backward itself is
//   not differentiable (no double backward).
// - Parallelism: at::parallel_for over fixed chunks of kChunk elements, each handed to libgelu
//   on the calling thread. Loading libgelu_torch calls gelu_set_num_threads(1) once, so libgelu
//   never starts a second pool inside torch's; at::set_num_threads controls the ops. Because the
//   chunks do not depend on the thread count, results (including the dmu/dsigma sums, added
//   chunk by chunk in order in double) are identical for every thread count.
// - A libgelu status other than GELU_OK raises c10::Error with gelu_status_string's text.
inline constexpr int64_t kChunk = int64_t{1} << 15;

// y = f(x) for one of libgelu's activations, through the dispatcher (so autograd records it).
at::Tensor activation(gelu_act act, const at::Tensor& x);

// y = x * Phi((x - mu) / sigma), through the dispatcher; gradients reach x, mu and sigma.
at::Tensor gaussian_gelu(const at::Tensor& x, const at::Tensor& mu, const at::Tensor& sigma);

}  // namespace gelu::torch

#endif  // GELU_TORCH_GELU_OPS_HPP_
