"""The tiny GPT of lesson 8: twin APIs, the parameter count, and the same numbers in both frameworks."""

from __future__ import annotations

import inspect
import os

import numpy as np
import pytest

from course_utils import gpt
from course_utils.gpt import GPTConfig

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
torch = pytest.importorskip("torch")
tf = pytest.importorskip("tensorflow")
from course_utils import tf_gpt, torch_gpt  # noqa: E402

SMALL = GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16)
TOL = {"float32": {"loss": 1e-5, "rtol": 1e-4, "atol": 1e-6}, "float64": {"loss": 1e-9, "rtol": 1e-7, "atol": 1e-9}}


def batch(config: GPTConfig, seed: int = 0, size: int = 3):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, config.vocab_size, (size, config.block_size)),
            rng.integers(0, config.vocab_size, (size, config.block_size)))


def test_the_twins_have_the_same_public_api():
    assert torch_gpt.__all__ == tf_gpt.__all__
    for name in torch_gpt.__all__:
        a, b = getattr(torch_gpt, name), getattr(tf_gpt, name)
        if inspect.isfunction(a):
            assert inspect.signature(a) == inspect.signature(b), name
            assert inspect.getdoc(a) == inspect.getdoc(b), name
            assert inspect.getdoc(a), f"{name} has no docstring"


def test_parameter_count_and_flops_by_hand():
    c = GPTConfig()  # nanoGPT's CPU recipe
    C, L, V, T = 128, 4, 65, 64
    assert gpt.parameter_count(c) == V * C + T * C + L * (12 * C * C + 13 * C) + 2 * C == 809_856
    assert gpt.flops_per_token(c) == 6 * (809_856 - T * C) + 12 * L * C * T == 5_203_200
    assert list(gpt.weight_shapes(SMALL))[:3] == ["wte", "wpe", "h0.ln_1.weight"]
    with pytest.raises(ValueError, match="n_head must divide n_embd"):
        GPTConfig(n_embd=10, n_head=4)
    with pytest.raises(ValueError, match="dropout must lie in"):
        GPTConfig(dropout=1.0)
    with pytest.raises(TypeError, match="config must be a GPTConfig"):
        gpt.parameter_count({"n_layer": 4})


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_weights_same_loss_and_gradients(dtype):
    pt = torch_gpt.build_gpt(SMALL, seed=1, dtype=dtype)
    keras_model = tf_gpt.build_gpt(SMALL, seed=2, dtype=dtype)
    assert torch_gpt.count_parameters(pt) == tf_gpt.count_parameters(keras_model) == gpt.parameter_count(SMALL)
    x, y = batch(SMALL)
    before, _ = tf_gpt.loss_and_gradients(keras_model, x, y)
    weights = torch_gpt.get_weights(pt)
    tf_gpt.set_weights(keras_model, weights)
    back = tf_gpt.get_weights(keras_model)
    assert all(np.array_equal(back[k], weights[k]) for k in weights)
    loss_pt, grads_pt = torch_gpt.loss_and_gradients(pt, x, y)
    loss_tf, grads_tf = tf_gpt.loss_and_gradients(keras_model, x, y)
    tol = TOL[dtype]
    assert abs(before - loss_pt) > 100 * tol["loss"]  # different weights: different losses
    assert abs(loss_pt - loss_tf) < tol["loss"]
    assert loss_pt == pytest.approx(np.log(SMALL.vocab_size), abs=0.05)  # small initial weights: near uniform
    assert sorted(grads_pt) == sorted(grads_tf) == sorted(gpt.weight_shapes(SMALL))
    for key in grads_pt:
        np.testing.assert_allclose(grads_tf[key], grads_pt[key], rtol=tol["rtol"], atol=tol["atol"], err_msg=key)
    # the gradients are not trivially small: the tolerance means something
    assert max(np.abs(g).max() for g in grads_pt.values()) > 1e3 * tol["atol"]


def test_a_wrong_copy_is_caught():
    pt = torch_gpt.build_gpt(SMALL, seed=1)
    keras_model = tf_gpt.build_gpt(SMALL, seed=2)
    weights = torch_gpt.get_weights(pt)
    # a square matrix copied without its transpose still fits, and gives other numbers
    wrong = {**weights, "h0.attn.W_o": weights["h0.attn.W_o"].T.copy()}
    tf_gpt.set_weights(keras_model, wrong)
    x, y = batch(SMALL)
    _, grads_pt = torch_gpt.loss_and_gradients(pt, x, y)
    _, grads_tf = tf_gpt.loss_and_gradients(keras_model, x, y)
    assert not np.allclose(grads_tf["h0.attn.W_o"], grads_pt["h0.attn.W_o"], rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match=r"weights\['wte'\] must have shape \(11, 16\)"):
        torch_gpt.set_weights(pt, {**weights, "wte": weights["wte"][:3]})
    with pytest.raises(ValueError, match="missing"):
        tf_gpt.set_weights(keras_model, {k: v for k, v in weights.items() if k != "wpe"})
    with pytest.raises(TypeError, match="model must be a GPT"):
        torch_gpt.get_weights(keras_model)


@pytest.mark.parametrize("module", [torch_gpt, tf_gpt], ids=["torch", "keras"])
def test_training_learns_a_repeating_text_and_generation_is_seeded(module):
    config = GPTConfig(vocab_size=5, block_size=8, n_layer=1, n_head=2, n_embd=16)
    ids = np.tile(np.arange(5), 200)  # 0 1 2 3 4 0 1 2 ...: every next id is certain
    model = module.build_gpt(config, seed=0)
    history = module.train(model, ids, ids, steps=60, batch_size=8, learning_rate=1e-2, eval_every=30,
                           eval_batches=2)
    assert history["step"] == [30, 60] and len(history["batch_loss"]) == 60
    assert history["val_loss"][-1] < 0.1 < np.log(5) - 0.5 < history["batch_loss"][0]
    assert history["seconds"][0] > 0
    out = module.generate(model, np.array([0]), 12, seed=3)
    np.testing.assert_array_equal(out, np.arange(13) % 5)
    assert np.array_equal(module.generate(model, np.array([2]), 5, seed=1, temperature=3.0),
                          module.generate(model, np.array([2]), 5, seed=1, temperature=3.0))
    with pytest.raises(ValueError, match="temperature"):
        module.generate(model, np.array([0]), 3, temperature=0)


def test_importing_the_description_loads_no_framework():
    import subprocess
    import sys

    code = ("import sys\nimport course_utils.gpt, course_utils.attention, course_utils.bigram\n"
            "import course_utils.text_data\n"
            "print(sorted(m for m in ('tensorflow', 'torch', 'keras') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
