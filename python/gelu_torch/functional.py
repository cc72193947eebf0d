"""Functional forms of gelu_torch's ops (torch.ops.gelu.*): float32 CPU tensors in and out,
values and gradients from libgelu. Gated forms take the fused [a | b] tensor, last dimension 2C,
and return f(a) * b with a = x[..., :C] activated and b = x[..., C:] the gate (vLLM / ggml)."""
import math

import torch

# The activation ids of src/act/activations.def, one op each.
ACTIVATIONS = ("gelu", "gelu_tanh", "gelu_sigmoid", "silu", "relu", "elu")

# torch.nn.GELU's approximate names, plus libgelu's sigmoid form x * sigmoid(1.702 x).
_APPROXIMATE = {"none": "gelu", "tanh": "gelu_tanh", "sigmoid": "gelu_sigmoid"}


def _gelu_id(approximate):
    try:
        return _APPROXIMATE[approximate]
    except (KeyError, TypeError):
        raise ValueError(f"approximate must be 'none', 'tanh' or 'sigmoid', got {approximate!r}") \
            from None


def activation(x, act):
    """f(x) for an activation id of ACTIVATIONS ("gelu", "gelu_tanh", ..., "elu")."""
    if act not in ACTIVATIONS:
        raise ValueError(f"unknown activation {act!r} (valid: {', '.join(ACTIVATIONS)})")
    return getattr(torch.ops.gelu, act)(x)


def gelu(x, approximate="none"):
    """x * Phi(x) ("none", within 1 ULP), the tanh form ("tanh") or x * sigmoid(1.702 x)
    ("sigmoid"), like torch.nn.functional.gelu."""
    return getattr(torch.ops.gelu, _gelu_id(approximate))(x)


def silu(x):
    """x * sigmoid(x)."""
    return torch.ops.gelu.silu(x)


def _param(v, name):
    if isinstance(v, torch.Tensor):
        return v
    v = float(v)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return torch.tensor(v, dtype=torch.float32)


def gaussian_gelu(x, mu=0.0, sigma=1.0):
    """x * Phi((x - mu) / sigma). mu and sigma: numbers or one-element tensors (these receive
    gradients); sigma > 0."""
    return torch.ops.gelu.gaussian_gelu(x, _param(mu, "mu"), _param(sigma, "sigma"))


def stochastic_gelu(x, training=True):
    """The paper's stochastic 0-I map: in training x * m with m ~ Bernoulli(Phi(x)) drawn from
    torch's global generator (dy/dx = m); otherwise exact GELU, its expectation."""
    if not training:
        return torch.ops.gelu.gelu(x)
    with torch.no_grad():
        phi = 0.5 * torch.erfc(x * -math.sqrt(0.5))  # exact Phi(x), no cancellation for x < 0
        mask = (torch.rand_like(x) < phi).to(x.dtype)
    return x * mask


def gated(x, act="gelu"):
    """f(a) * b for the fused x = [a | b] ([..., 2C] -> [..., C]); act an id of ACTIVATIONS."""
    return torch.ops.gelu.gated(x, act)


def gated2(a, b, act="gelu"):
    """f(a) * b for two tensors of the same shape."""
    return torch.ops.gelu.gated2(a, b, act)


def geglu(x, approximate="none"):
    """GEGLU on the fused [a | b] input: gelu(a, approximate) * b ("tanh": Gemma's form)."""
    return torch.ops.gelu.gated(x, _gelu_id(approximate))


def swiglu(x):
    """SwiGLU on the fused [a | b] input: silu(a) * b."""
    return torch.ops.gelu.gated(x, "silu")
