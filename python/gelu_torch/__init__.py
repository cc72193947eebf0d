"""gelu_torch: libgelu's activation kernels as PyTorch ops, functional forms and nn.Modules.

Importing the package loads the op library libgelu_torch.so (torch.ops.gelu.*): first the installed
one beside the package (PREFIX/lib/libgelu_torch.so for a package in
PREFIX/lib/python3/dist-packages/gelu_torch/), else the file named by the environment variable
GELU_TORCH_LIBRARY (e.g. a build tree's build/torch/libgelu_torch.so). The ops compute in float32
on CPU tensors; other dtypes raise RuntimeError rather than round-tripping through float32.
"""
import os

import torch

__all__ = [
    "ACTIVATIONS", "library_path",
    "activation", "gelu", "silu", "gaussian_gelu", "stochastic_gelu",
    "gated", "gated2", "geglu", "swiglu",
    "GELU", "SiLU", "GaussianGELU", "StochasticGELU", "Gated", "GEGLU", "SwiGLU",
]

ENV_VAR = "GELU_TORCH_LIBRARY"
_HERE = os.path.dirname(os.path.abspath(__file__))


def _installed_library():
    """Where cmake --install put libgelu_torch.so relative to this package (_install.py is
    written by the install); without it, the layout of DESIGN.md: PREFIX/lib."""
    try:
        from . import _install
        rel = _install.LIBRARY
    except ImportError:
        rel = os.path.join(os.pardir, os.pardir, os.pardir, "libgelu_torch.so")
    return os.path.normpath(os.path.join(_HERE, rel))


def _find_library():
    installed = _installed_library()
    if os.path.isfile(installed):
        return installed
    env = os.environ.get(ENV_VAR)
    if env:
        if os.path.isfile(env):
            return os.path.abspath(env)
        raise ImportError(
            f"gelu_torch: {ENV_VAR}={env!r} is not a file. Point it at the built op library, "
            f"e.g. {ENV_VAR}=build/torch/libgelu_torch.so "
            f"(cmake --build build --target gelu_torch)")
    raise ImportError(
        f"gelu_torch: cannot find libgelu_torch.so: it is not where an installed package has it "
        f"({installed}) and {ENV_VAR} is not set. Hint: install gelu (cmake --install BUILD "
        f"--prefix PREFIX, then PYTHONPATH=PREFIX/lib/python3/dist-packages), or use a build "
        f"tree with {ENV_VAR}=BUILD/torch/libgelu_torch.so")


def _registered():
    """Whether the "gelu" op namespace is already registered in this process."""
    try:
        torch.ops.gelu.gelu  # noqa: B018 (the lookup is the test)
        return True
    except (AttributeError, RuntimeError):
        return False


def _load():
    # A second copy of the library would register the "gelu" namespace twice, which torch
    # rejects; whoever loaded one already (torch.ops.load_library) keeps it.
    if _registered():
        return None
    path = _find_library()
    try:
        torch.ops.load_library(path)
    except OSError as e:
        raise ImportError(f"gelu_torch: loading {path} failed: {e}. Hint: libgelu_torch.so needs "
                          f"libgelu.so in its own folder and the libtorch that torch "
                          f"{torch.__version__} ships") from e
    return path


# The loaded library's path; None when the ops were registered before this import.
library_path = _load()

from .functional import (  # noqa: E402 (after the library is loaded)
    ACTIVATIONS, activation, gaussian_gelu, gated, gated2, geglu, gelu, silu, stochastic_gelu,
    swiglu)
from .modules import GEGLU, GELU, GaussianGELU, Gated, SiLU, StochasticGELU, SwiGLU  # noqa: E402
