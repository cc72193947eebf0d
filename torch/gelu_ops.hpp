// gelu_torch ops: libgelu's activations as libtorch operators in the "gelu" namespace
// (torch.ops.gelu.gelu, ..., torch.ops.gelu.gaussian_gelu, torch.ops.gelu.gated, gated2), with
// CPU and Autograd kernels. Values are libgelu's float32 results bit for bit, whatever
// at::get_num_threads() is.
#ifndef GELU_TORCH_GELU_OPS_HPP_
#define GELU_TORCH_GELU_OPS_HPP_

#include <ATen/core/Tensor.h>
#include <gelu/gelu.h>

#include <string_view>

namespace gelu::torch {

// The registered operators (schemas in the "gelu" namespace, one per row of activations.def):
//   gelu::gelu(Tensor x) -> Tensor     likewise gelu_tanh, gelu_sigmoid, silu, relu and elu
//   gelu::gaussian_gelu(Tensor x, Tensor mu, Tensor sigma) -> Tensor
//                                      y = x * Phi((x - mu) / sigma)
//   gelu::gated(Tensor x, str act="gelu") -> Tensor
//                                      x = [a | b] of shape [..., 2C] -> y = f(a) * b, [..., C]
//   gelu::gated2(Tensor a, Tensor b, str act="gelu") -> Tensor
//                                      a, b of one shape [..., C] -> y = f(a) * b, [..., C]
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
// Gated ops (GEGLU, SwiGLU, ...; libgelu's gelu_gated_forward_f32 / gelu_gated_backward_f32):
// - act is an activation id of activations.def ("gelu", "gelu_tanh", "gelu_sigmoid", "silu",
//   "relu", "elu"); an unknown id raises c10::Error listing the valid ones.
// - gated: x has at least one dimension and an even last dimension 2C; a = x[..., :C] is
//   activated, b = x[..., C:] is the gate value (the vLLM / ggml order). gated2: a and b have
//   exactly the same shape (no broadcasting; 0-dim allowed). Both are float32 CPU tensors, as
//   above (no float64 round trip).
// - Layout: inputs are read in place when their leading dimensions collapse to one row stride
//   with a contiguous last dimension (contiguous tensors, row slices such as w[..., :2C] of a
//   wider w, the halves x[..., :C] and x[..., C:] passed to gated2); anything else is copied to
//   contiguous first. Outputs are new contiguous tensors.
// - Backward: da = dy * b * f'(a), db = dy * f(a). For gated, libgelu writes both halves of the
//   [..., 2C] input gradient in one pass (interleaved da | db rows), no concatenation.
// - Parallelism: at::parallel_for over fixed blocks of max(1, kChunk / C) rows; every element is
//   computed independently, so results are the same bits for every thread count.
inline constexpr int64_t kChunk = int64_t{1} << 15;

// y = f(x) for one of libgelu's activations, through the dispatcher (so autograd records it).
at::Tensor activation(gelu_act act, const at::Tensor& x);

// y = x * Phi((x - mu) / sigma), through the dispatcher; gradients reach x, mu and sigma.
at::Tensor gaussian_gelu(const at::Tensor& x, const at::Tensor& mu, const at::Tensor& sigma);

// y = f(a) * b with [a | b] = x split in halves along the last dimension ([..., 2C] -> [..., C]),
// through the dispatcher (gradients reach x). act as enum or id; an invalid one: c10::Error.
at::Tensor gated(const at::Tensor& x, gelu_act act = GELU_ACT_GELU);
at::Tensor gated(const at::Tensor& x, std::string_view act);

// y = f(a) * b for two tensors of the same shape, through the dispatcher (gradients reach a, b).
at::Tensor gated2(const at::Tensor& a, const at::Tensor& b, gelu_act act = GELU_ACT_GELU);
at::Tensor gated2(const at::Tensor& a, const at::Tensor& b, std::string_view act);

}  // namespace gelu::torch

#endif  // GELU_TORCH_GELU_OPS_HPP_
