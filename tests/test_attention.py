"""course_utils.attention and bigram: the NumPy references, checked by hand and against both frameworks."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from course_utils import attention, bigram

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

B, T, C, H = 2, 7, 12, 3
TOL = {"float64": 1e-12, "float32": 1e-5}


def random_case(dtype: str, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(B, T, C)).astype(dtype)
    params = {
        "W_qkv": rng.normal(scale=C**-0.5, size=(C, 3 * C)).astype(dtype),
        "b_qkv": rng.normal(scale=0.1, size=3 * C).astype(dtype),
        "W_o": rng.normal(scale=C**-0.5, size=(C, C)).astype(dtype),
        "b_o": rng.normal(scale=0.1, size=C).astype(dtype),
    }
    return x, params


def test_attention_by_hand():
    # Two positions, one dimension: position 0 sees only itself; position 1 mixes both.
    q = k = np.array([[[0.0], [math.log(3.0)]]])
    v = np.array([[[1.0], [5.0]]])
    out, weights = attention.scaled_dot_product_attention(q, k, v)
    # scores of position 1: (0, ln(3)^2); softmax gives e^0 : e^(ln3^2)
    w1 = 1 / (1 + math.exp(math.log(3.0) ** 2))
    np.testing.assert_allclose(weights[0], [[1.0, 0.0], [w1, 1 - w1]], rtol=1e-15)
    np.testing.assert_allclose(out[0, :, 0], [1.0, w1 * 1 + (1 - w1) * 5], rtol=1e-15)
    _, no_mask = attention.scaled_dot_product_attention(q, k, v, causal=False)
    assert no_mask[0, 0, 1] == pytest.approx(0.5)  # without the mask, position 0 sees the future


def test_causal_weights_are_lower_triangular_rows_summing_to_one():
    x, params = random_case("float64")
    out, weights = attention.multi_head_self_attention(x, params, H)
    assert out.shape == (B, T, C) and weights.shape == (B, H, T, T)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-14)
    assert np.all(weights[..., ~attention.causal_mask(T)] == 0)
    # changing the last position changes no earlier output: no information flows backwards
    later = x.copy()
    later[:, -1] += 1.0
    out2, _ = attention.multi_head_self_attention(later, params, H)
    np.testing.assert_array_equal(out2[:, :-1], out[:, :-1])
    assert not np.allclose(out2[:, -1], out[:, -1])


def test_bad_inputs_are_named():
    x, params = random_case("float64")
    with pytest.raises(ValueError, match="n_head must divide the width C=12"):
        attention.multi_head_self_attention(x, params, 5)
    with pytest.raises(TypeError, match="x must be a floating-point NumPy array"):
        attention.multi_head_self_attention(x.astype(int), params, H)
    with pytest.raises(ValueError, match=r"params\['W_o'\] must have shape \(12, 12\)"):
        attention.multi_head_self_attention(x, {**params, "W_o": params["W_o"][:4]}, H)
    with pytest.raises(ValueError, match="same shape"):
        attention.scaled_dot_product_attention(x, x[:, :3], x)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_numpy_matches_torch_scaled_dot_product_attention(dtype):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    x, p = random_case(dtype)
    reference, _ = attention.multi_head_self_attention(x.astype(np.float64),
                                                       {k: v.astype(np.float64) for k, v in p.items()}, H)
    qkv = torch.from_numpy(x) @ torch.from_numpy(p["W_qkv"]) + torch.from_numpy(p["b_qkv"])
    q, k, v = (a.view(B, T, H, C // H).transpose(1, 2) for a in qkv.split(C, dim=-1))
    y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, T, C)
    y = y @ torch.from_numpy(p["W_o"]) + torch.from_numpy(p["b_o"])
    np.testing.assert_allclose(y.numpy(), reference, rtol=0, atol=TOL[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_numpy_matches_keras_multi_head_attention(dtype):
    keras = pytest.importorskip("keras")
    x, p = random_case(dtype)
    reference, weights = attention.multi_head_self_attention(x.astype(np.float64),
                                                             {k: v.astype(np.float64) for k, v in p.items()}, H)
    hs = C // H
    layer = keras.layers.MultiHeadAttention(num_heads=H, key_dim=hs, dtype=dtype)
    layer(x, x)  # build
    wq, wk, wv = np.split(p["W_qkv"], 3, axis=1)
    bq, bk, bv = np.split(p["b_qkv"], 3)
    layer.set_weights([wq.reshape(C, H, hs), bq.reshape(H, hs), wk.reshape(C, H, hs), bk.reshape(H, hs),
                       wv.reshape(C, H, hs), bv.reshape(H, hs), p["W_o"].reshape(H, hs, C), p["b_o"]])
    out, scores = layer(x, x, use_causal_mask=True, return_attention_scores=True)
    np.testing.assert_allclose(np.asarray(out), reference, rtol=0, atol=TOL[dtype])
    np.testing.assert_allclose(np.asarray(scores), weights, rtol=0, atol=TOL[dtype])
    plain = layer(x, x)  # forgetting the mask: the outputs differ
    assert np.abs(np.asarray(plain) - reference).max() > 1e-2


def test_bigram_counts_and_loss_by_hand():
    ids = np.array([0, 1, 0, 1, 1])
    counts = bigram.bigram_counts(ids, 3)
    np.testing.assert_array_equal(counts, [[0, 2, 0], [1, 1, 0], [0, 0, 0]])
    log_probs = bigram.bigram_log_probs(counts, alpha=1.0)
    # row 0: (0+1, 2+1, 0+1) / 5; row 2 never seen: uniform
    np.testing.assert_allclose(np.exp(log_probs), [[0.2, 0.6, 0.2], [0.4, 0.4, 0.2], [1 / 3] * 3], rtol=1e-15)
    loss = bigram.bigram_loss(log_probs, np.array([0, 1, 2]))
    assert loss == pytest.approx(-(math.log(0.6) + math.log(0.2)) / 2, rel=1e-15)
    uniform = bigram.bigram_log_probs(np.zeros((65, 65), dtype=np.int64))
    assert bigram.bigram_loss(uniform, np.arange(65)) == pytest.approx(math.log(65), rel=1e-15)
    with pytest.raises(ValueError, match="0..2"):
        bigram.bigram_counts(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match="alpha"):
        bigram.bigram_log_probs(counts, alpha=0)
