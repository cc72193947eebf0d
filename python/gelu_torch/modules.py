"""torch.nn.Modules over gelu_torch's ops. Gated modules (Gated, GEGLU, SwiGLU) take the fused
[a | b] input of a Linear(d, 2 * C) and return f(a) * b of width C, first half activated."""
import math

import torch
import torch.nn.functional as torch_f
from torch import nn

from . import functional as F


class GELU(nn.Module):
    """Like torch.nn.GELU: approximate "none" (exact), "tanh" or "sigmoid" (x sigmoid(1.702 x))."""

    def __init__(self, approximate="none"):
        super().__init__()
        F._gelu_id(approximate)  # ValueError now rather than at the first forward
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(nn.Module):
    """x * sigmoid(x)."""

    def forward(self, x):
        return F.silu(x)


class GaussianGELU(nn.Module):
    """x * Phi((x - mu) / sigma). sigma = softplus(rho) + MIN_SIGMA stays positive whatever an
    optimizer does to rho; mu and rho are 0-dim float32 parameters (learnable=True) or buffers
    (learnable=False), the same names as the C++ gelu::torch::GaussianGelu."""

    MIN_SIGMA = 1e-4

    def __init__(self, mu=0.0, sigma=1.0, learnable=True):
        super().__init__()
        mu, sigma = float(mu), float(sigma)
        if not (math.isfinite(mu) and math.isfinite(sigma) and sigma > self.MIN_SIGMA):
            raise ValueError(f"GaussianGELU: need finite mu and finite sigma > {self.MIN_SIGMA}, "
                             f"got mu={mu}, sigma={sigma}")
        s = sigma - self.MIN_SIGMA
        rho = s + math.log(-math.expm1(-s))  # inverse softplus, finite for large s
        mu_t = torch.tensor(mu, dtype=torch.float32)
        rho_t = torch.tensor(rho, dtype=torch.float32)
        self.learnable = learnable
        if learnable:
            self.mu = nn.Parameter(mu_t)
            self.rho = nn.Parameter(rho_t)
        else:
            self.register_buffer("mu", mu_t)
            self.register_buffer("rho", rho_t)

    @property
    def sigma(self):
        return torch_f.softplus(self.rho) + self.MIN_SIGMA

    def forward(self, x):
        return torch.ops.gelu.gaussian_gelu(x, self.mu, self.sigma)

    def extra_repr(self):
        with torch.no_grad():
            return (f"mu={self.mu.item():.6g}, sigma={self.sigma.item():.6g}, "
                    f"learnable={self.learnable}")


class StochasticGELU(nn.Module):
    """The paper's stochastic 0-I map: training x * Bernoulli(Phi(x)) mask (torch's global
    generator; dy/dx = mask), evaluation exact GELU x * Phi(x), the map's expectation."""

    def forward(self, x):
        return F.stochastic_gelu(x, self.training)


class Gated(nn.Module):
    """f(a) * b on the fused [a | b] input for an activation id ("gelu", "silu", "relu", ...)."""

    def __init__(self, act="gelu"):
        super().__init__()
        if act not in F.ACTIVATIONS:
            raise ValueError(f"unknown activation {act!r} (valid: {', '.join(F.ACTIVATIONS)})")
        self.act = act

    def forward(self, x):
        return F.gated(x, self.act)

    def extra_repr(self):
        return f"act={self.act!r}"


class GEGLU(nn.Module):
    """gelu(a) * b on the fused [a | b] input (Shazeer 2020); approximate as in GELU ("tanh" is
    the form Gemma uses)."""

    def __init__(self, approximate="none"):
        super().__init__()
        F._gelu_id(approximate)
        self.approximate = approximate

    def forward(self, x):
        return F.geglu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SwiGLU(nn.Module):
    """silu(a) * b on the fused [a | b] input (Shazeer 2020; LLaMA's feed-forward)."""

    def forward(self, x):
        return F.swiglu(x)
