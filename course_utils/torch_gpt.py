"""The tiny GPT of lesson 8 in PyTorch (the Keras twin: :mod:`course_utils.tf_gpt`).

Both modules have the same public functions, signatures and docstrings, and
exchange weights as NumPy arrays in the course layout of
:mod:`course_utils.gpt`. PyTorch's ``nn.Linear`` stores its weight as
(fan_out, fan_in), so matrices are transposed on the way in and out.
Batches come from :func:`course_utils.text_data.sample_batch` as NumPy ids
and go to the model's device.
"""

from __future__ import annotations

import math
import time
from typing import Any, Mapping

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .validation import check_integer, check_real, describe
from .gpt import GPTConfig, check_weights, weight_shapes
from .text_data import sample_batch

__all__ = [
    "GPT",
    "build_gpt",
    "count_parameters",
    "evaluate_loss",
    "generate",
    "get_weights",
    "loss_and_gradients",
    "set_weights",
    "train",
]


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.n_head = config.n_head
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)  # q, k, v in one matrix
        self.c_proj = nn.Linear(config.n_embd, config.n_embd)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.size()  # batch, time (positions), channels (width)
        q, k, v = self.c_attn(x).split(C, dim=2)  # each (B, T, C)
        # split the channels into heads: (B, T, C) -> (B, nh, T, hs)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        # softmax(q k^T / sqrt(hs) + causal mask) v, one fused kernel
        p = self.dropout.p if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # heads side by side again
        return self.dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)
        self.gelu = nn.GELU()  # the exact (erf) form; Keras is told the same
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    """Pre-norm: normalise, transform, add back to the residual stream."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=1e-5)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=1e-5)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))  # tokens exchange information
        x = x + self.mlp(self.ln_2(x))  # each token computes on its own
        return x


class GPT(nn.Module):
    """Token ids (B, T) in, logits (B, T, vocab_size) out; the loss too when targets are given."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.h = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd, eps=1e-5)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying, as in GPT-2
        # nanoGPT's initialisation: N(0, 0.02), residual projections scaled down
        # by sqrt(2 n_layer) so the residual stream does not grow with depth.
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))
            elif p.dim() == 2:
                nn.init.normal_(p, mean=0.0, std=0.02)
            elif name.endswith(".bias") and "ln_" not in name:
                nn.init.zeros_(p)

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        B, T = idx.size()
        if T > self.config.block_size:
            raise ValueError(f"idx has {T} positions; the model's block_size is {self.config.block_size}.")
        pos = torch.arange(T, device=idx.device)  # (T,)
        x = self.drop(self.wte(idx) + self.wpe(pos))  # (B, T, C) + (T, C) -> (B, T, C)
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))  # (B, T, vocab_size)
        if targets is None:
            return logits, None
        # cross-entropy of Lesson 2, averaged over all B * T positions
        loss = F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))
        return logits, loss


def _check_model(model: Any) -> GPT:
    if not isinstance(model, GPT):
        raise TypeError(f"model must be a GPT from build_gpt; got {describe(model)}.")
    return model


def _device(model: GPT) -> torch.device:
    return next(model.parameters()).device


def build_gpt(config: GPTConfig = GPTConfig(), *, seed: int = 0, dtype: str = "float32") -> Any:
    """Build the GPT of ``config`` with nanoGPT's initialisation, seeded.

    config : GPTConfig
    seed : int >= 0
        Seeds the initial weights (the two frameworks draw different ones;
        copy weights with :func:`set_weights` to compare them).
    dtype : {"float32", "float64"}
    """
    if not isinstance(config, GPTConfig):
        raise TypeError(f"config must be a GPTConfig; got {describe(config)}.")
    seed = check_integer("seed", seed, low=0)
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64'; got {dtype!r}.")
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        model = GPT(config).to(getattr(torch, dtype))
    finally:
        torch.random.set_rng_state(generator_state)  # leave the caller's random stream alone
    return model


def count_parameters(model: Any) -> int:
    """The number of trainable numbers in ``model`` (a tied matrix counts once)."""
    return sum(p.numel() for p in _check_model(model).parameters())


def _course_pairs(model: GPT) -> list[tuple[str, torch.Tensor, bool]]:
    """(course name, parameter, transpose?) for every weight, in weight_shapes order."""
    pairs: list[tuple[str, torch.Tensor, bool]] = [("wte", model.wte.weight, False),
                                                   ("wpe", model.wpe.weight, False)]
    for i, block in enumerate(model.h):
        pairs += [
            (f"h{i}.ln_1.weight", block.ln_1.weight, False), (f"h{i}.ln_1.bias", block.ln_1.bias, False),
            (f"h{i}.attn.W_qkv", block.attn.c_attn.weight, True),
            (f"h{i}.attn.b_qkv", block.attn.c_attn.bias, False),
            (f"h{i}.attn.W_o", block.attn.c_proj.weight, True), (f"h{i}.attn.b_o", block.attn.c_proj.bias, False),
            (f"h{i}.ln_2.weight", block.ln_2.weight, False), (f"h{i}.ln_2.bias", block.ln_2.bias, False),
            (f"h{i}.mlp.W_fc", block.mlp.c_fc.weight, True), (f"h{i}.mlp.b_fc", block.mlp.c_fc.bias, False),
            (f"h{i}.mlp.W_proj", block.mlp.c_proj.weight, True),
            (f"h{i}.mlp.b_proj", block.mlp.c_proj.bias, False),
        ]
    pairs += [("ln_f.weight", model.ln_f.weight, False), ("ln_f.bias", model.ln_f.bias, False)]
    return pairs


def get_weights(model: Any) -> dict[str, np.ndarray]:
    """The model's weights as NumPy arrays in the course layout (see ``gpt.weight_shapes``)."""
    model = _check_model(model)
    return {name: (p.detach().T if t else p.detach()).cpu().numpy().copy()
            for name, p, t in _course_pairs(model)}


def set_weights(model: Any, weights: Mapping[str, np.ndarray]) -> None:
    """Load weights in the course layout (matrices fan_in x fan_out) into ``model``."""
    model = _check_model(model)
    weights = check_weights(model.config, weights)
    with torch.no_grad():
        for name, p, t in _course_pairs(model):
            value = torch.from_numpy(np.ascontiguousarray(weights[name]))
            p.copy_(value.T if t else value)  # nn.Linear: (fan_out, fan_in)


def _tensors(model: GPT, x: np.ndarray, y: np.ndarray | None = None) -> tuple[torch.Tensor, ...]:
    device = _device(model)
    out = [torch.from_numpy(np.asarray(x, dtype=np.int64)).to(device)]
    if y is not None:
        out.append(torch.from_numpy(np.asarray(y, dtype=np.int64)).to(device))
    return tuple(out)


def loss_and_gradients(model: Any, x: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
    """The mean cross-entropy of one batch and its gradients, in the course layout.

    x, y : numpy.ndarray of int, shape (B, T)
        Token ids and the ids that follow them. Dropout is off (evaluation mode).
    """
    model = _check_model(model)
    model.eval()
    model.zero_grad(set_to_none=True)
    xt, yt = _tensors(model, x, y)
    _, loss = model(xt, yt)
    loss.backward()
    grads = {name: (p.grad.T if t else p.grad).cpu().numpy().copy() for name, p, t in _course_pairs(model)}
    model.zero_grad(set_to_none=True)
    return float(loss.item()), grads


def evaluate_loss(
    model: Any, ids: np.ndarray, *, batch_size: int = 32, n_batches: int = 20, seed: int = 1234
) -> float:
    """Mean cross-entropy (nats per token) on ``n_batches`` seeded random batches of ``ids``.

    The same seed gives the same batches in both frameworks.
    """
    model = _check_model(model)
    n_batches = check_integer("n_batches", n_batches, low=1)
    rng = np.random.default_rng(check_integer("seed", seed, low=0))
    model.eval()
    total = 0.0
    with torch.no_grad():
        for _ in range(n_batches):
            x, y = sample_batch(ids, batch_size, model.config.block_size, rng)
            _, loss = model(*_tensors(model, x, y))
            total += loss.item()
    return total / n_batches


def train(
    model: Any,
    train_ids: np.ndarray,
    val_ids: np.ndarray,
    *,
    steps: int,
    batch_size: int = 12,
    learning_rate: float = 1e-3,
    weight_decay: float = 0.1,
    beta2: float = 0.99,
    eval_every: int = 100,
    eval_batches: int = 20,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Train with AdamW at a constant learning rate on seeded random batches.

    AdamW (betas 0.9 and ``beta2``, 0.99 by default as in nanoGPT; epsilon
    1e-8) decays only the matrices, as nanoGPT does. Every ``eval_every``
    steps and at the end, the mean loss on ``eval_batches`` seeded batches of
    training and validation ids is recorded.

    Returns a dict of lists: ``step``, ``train_loss``, ``val_loss`` (one entry
    per evaluation), ``batch_loss`` (every step), and ``seconds``: the time
    spent in training steps alone, evaluation excluded, as a one-item list.
    """
    model = _check_model(model)
    steps = check_integer("steps", steps, low=1)
    beta2 = check_real("beta2", beta2, low=0, high=1, high_open=True)
    eval_every = check_integer("eval_every", eval_every, low=1)
    rng = np.random.default_rng(check_integer("seed", seed, low=0))
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=learning_rate, betas=(0.9, beta2), eps=1e-8,
    )
    history: dict[str, list[float]] = {"step": [], "train_loss": [], "val_loss": [], "batch_loss": []}
    seconds = 0.0
    for step in range(1, steps + 1):
        x, y = sample_batch(train_ids, batch_size, model.config.block_size, rng)
        start = time.perf_counter()
        model.train()
        _, loss = model(*_tensors(model, x, y))  # steps 2 and 3: forward pass and loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # step 4: gradients
        optimizer.step()  # step 5: update
        history["batch_loss"].append(loss.item())
        seconds += time.perf_counter() - start
        if step % eval_every == 0 or step == steps:
            history["step"].append(step)
            history["train_loss"].append(evaluate_loss(model, train_ids, n_batches=eval_batches))
            history["val_loss"].append(evaluate_loss(model, val_ids, n_batches=eval_batches))
    history["seconds"] = [seconds]
    return history


def generate(
    model: Any, prompt_ids: np.ndarray, max_new_tokens: int, *, seed: int = 0, temperature: float = 1.0
) -> np.ndarray:
    """Continue ``prompt_ids`` by ``max_new_tokens`` ids, sampled one at a time.

    The model sees at most its last ``block_size`` ids; the next id is drawn
    from ``softmax(logits / temperature)`` with a NumPy generator seeded by
    ``seed``. Returns the prompt and the new ids as one 1-D ``int64`` array.
    """
    model = _check_model(model)
    max_new_tokens = check_integer("max_new_tokens", max_new_tokens, low=1)
    if not isinstance(temperature, (int, float)) or isinstance(temperature, bool) or temperature <= 0:
        raise ValueError(f"temperature must be a number > 0; got {describe(temperature)}.")
    ids = np.asarray(prompt_ids, dtype=np.int64).ravel()
    if ids.size == 0:
        raise ValueError("prompt_ids must hold at least one id; got an empty array.")
    rng = np.random.default_rng(check_integer("seed", seed, low=0))
    model.eval()
    with torch.no_grad():
        for _ in range(max_new_tokens):
            context = ids[-model.config.block_size:][None, :]  # (1, T)
            logits, _ = model(*_tensors(model, context))
            last = logits[0, -1].double().cpu().numpy() / temperature  # (vocab_size,)
            p = np.exp(last - last.max())
            ids = np.append(ids, rng.choice(len(p), p=p / p.sum()))
    return ids
