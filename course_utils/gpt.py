"""The tiny GPT of lesson 8, described without any framework.

A decoder-only transformer in the manner of GPT-2 (Radford et al. 2019) and
nanoGPT: token and position embeddings, ``n_layer`` pre-norm blocks of
multi-head causal self-attention and a two-layer MLP, a final layer norm and a
language-model head that shares its matrix with the token embedding.
:mod:`course_utils.torch_gpt` and :mod:`course_utils.tf_gpt` build it; this
module holds what they share: the configuration, the names and shapes of the
weights in the course layout (matrices fan_in x fan_out, ``x @ W + b``), the
parameter count and the floating-point work per token.

Importing this module loads NumPy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from .validation import check_integer, describe

__all__ = [
    "GPTConfig",
    "check_weights",
    "flops_per_token",
    "parameter_count",
    "weight_shapes",
]


@dataclass(frozen=True)
class GPTConfig:
    """The sizes of a GPT. The defaults are nanoGPT's CPU recipe for Tiny Shakespeare.

    vocab_size : int
        Number of distinct tokens (65 characters).
    block_size : int
        The context: the most tokens the model sees at once.
    n_layer, n_head, n_embd : int
        Blocks, attention heads per block, and the width C (``n_head`` divides it).
    dropout : float in [0, 1)
        Dropout rate after attention, in the MLP and after the embeddings.
    """

    vocab_size: int = 65
    block_size: int = 64
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0

    def __post_init__(self) -> None:
        for name in ("vocab_size", "block_size", "n_layer", "n_head", "n_embd"):
            check_integer(name, getattr(self, name), low=1)
        if self.n_embd % self.n_head:
            raise ValueError(
                f"n_head must divide n_embd; got n_embd={self.n_embd} and n_head={self.n_head}."
            )
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)):
            raise TypeError(f"dropout must be a float in [0, 1); got {describe(self.dropout)}.")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must lie in [0, 1); got {self.dropout!r}.")


def _config(config: Any) -> GPTConfig:
    if not isinstance(config, GPTConfig):
        raise TypeError(f"config must be a GPTConfig; got {describe(config)}.")
    return config


def weight_shapes(config: GPTConfig) -> dict[str, tuple[int, ...]]:
    """Every weight's name and shape in the course layout, in model order.

    The language-model head has no entry of its own: it is ``wte`` transposed.
    """
    c = _config(config)
    C, V, T = c.n_embd, c.vocab_size, c.block_size
    shapes: dict[str, tuple[int, ...]] = {"wte": (V, C), "wpe": (T, C)}
    for i in range(c.n_layer):
        shapes.update({
            f"h{i}.ln_1.weight": (C,), f"h{i}.ln_1.bias": (C,),
            f"h{i}.attn.W_qkv": (C, 3 * C), f"h{i}.attn.b_qkv": (3 * C,),
            f"h{i}.attn.W_o": (C, C), f"h{i}.attn.b_o": (C,),
            f"h{i}.ln_2.weight": (C,), f"h{i}.ln_2.bias": (C,),
            f"h{i}.mlp.W_fc": (C, 4 * C), f"h{i}.mlp.b_fc": (4 * C,),
            f"h{i}.mlp.W_proj": (4 * C, C), f"h{i}.mlp.b_proj": (C,),
        })
    shapes.update({"ln_f.weight": (C,), "ln_f.bias": (C,)})
    return shapes


def parameter_count(config: GPTConfig) -> int:
    """All parameters: ``V C + T C + n_layer (12 C^2 + 13 C) + 2 C`` (the head is tied)."""
    return sum(int(np.prod(s)) for s in weight_shapes(config).values())


def flops_per_token(config: GPTConfig) -> int:
    """Floating-point operations to train on one token: ``6 N + 12 n_layer C T``.

    ``N`` counts the parameters that take part in matrix products (all but the
    position table, which is only looked up; the token table counts once, as
    the head). Each takes a multiply and an add forward (2 N) and twice that
    backward (4 N). The attention scores and their weighted sum add
    ``2 * 2 * T * C`` per layer forward, three times that in all. The same
    estimate as nanoGPT's ``estimate_mfu``.
    """
    c = _config(config)
    n = parameter_count(c) - c.block_size * c.n_embd
    return 6 * n + 12 * c.n_layer * c.n_embd * c.block_size


def check_weights(config: GPTConfig, weights: Any) -> dict[str, np.ndarray]:
    """Check that ``weights`` holds exactly the arrays :func:`weight_shapes` names."""
    shapes = weight_shapes(config)
    if not isinstance(weights, Mapping):
        raise TypeError(f"weights must be a dict of NumPy arrays; got {describe(weights)}.")
    missing = [k for k in shapes if k not in weights]
    extra = [k for k in weights if k not in shapes]
    if missing or extra:
        raise ValueError(
            f"weights must hold the {len(shapes)} arrays of weight_shapes(config); "
            f"missing {missing[:4]}, unexpected {extra[:4]}."
        )
    out = {}
    for key, shape in shapes.items():
        value = np.asarray(weights[key])
        if value.shape != shape:
            raise ValueError(f"weights[{key!r}] must have shape {shape}; got {describe(value)}.")
        out[key] = value
    return out
