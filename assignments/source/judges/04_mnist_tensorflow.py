"""The tests of assignment 04_mnist_tensorflow, judged by the grader (course_grader.judge).

Public tests use fixed cases (the learners' self-checks, course_utils.exercises.lesson4).
Hidden tests draw their cases from ``rng``, which the grader seeds from the class
secret: this file shows how they are made, never which cases a class gets.

The answers are a tf.data pipeline, a Keras model and a compile call, so each test
has a probe, run in the kernel, that hands back plain data: the batches that the
pipeline yields for the grader's images, the model's weights and its logits on the
grader's inputs, and, for compiling, the loss that the compiled model reports on
weights and data chosen by the grader and its weights after one training step.
The grader checks that data with NumPy (course_utils.maths): pairing, scaling,
batch sizes and the shuffle's seed; logits equal to those of Flatten ->
Dense(128, relu) -> Dense(10) with the handed-back weights; the loss equal to the
cross-entropy of the logits, the accuracy metric equal to their accuracy, and a
first step of Adam with learning rate 0.001 (every weight with a gradient moves by
about 0.001). Names handed back (the optimiser's class, a layer's activation) can
only make a check fail with a clearer message: every property that a question asks
for also changes the data, so a name that lies gains nothing.
"""

import numpy as np

from course_grader.judge import Test
from course_utils import maths
from course_utils.exercises.lesson4 import example_data

PARAMETERS = 101_770

PIPELINE_PROBE = '''
def probe(answer, images, labels, batch_size, seed, other_seed):
    import numpy as np

    def run(s):
        dataset = answer(images, labels, batch_size=batch_size, seed=s)
        if type(dataset).__module__.split(".")[0] not in ("tensorflow", "keras"):
            raise TypeError(f"make_pipeline should return a tf.data.Dataset; got {type(dataset).__name__}")
        return [(x.numpy(), y.numpy()) for x, y in dataset]

    first = run(seed)
    ids = lambda batches: np.concatenate([np.asarray(x)[:, 0, 0] for x, _ in batches])
    return {"batches": tuple(tuple(b) for b in first), "again": ids(run(seed)), "other": ids(run(other_seed))}
'''

MODEL_PROBE = '''
def probe(answer, x):
    model = answer()
    dense = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
    return {"parameters": int(model.count_params()), "outputs": model(x),
            "dense": tuple((int(layer.units), getattr(layer.activation, "__name__", "")) for layer in dense),
            "weights": tuple(w for layer in dense for w in layer.get_weights())}
'''

COMPILE_PROBE = '''
def probe(answer, weights, x, y):
    import keras
    import numpy as np

    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(weights[1].shape[0], activation="relu"), keras.layers.Dense(10)])
    model.set_weights([np.asarray(w, dtype=np.float32) for w in weights])
    out = answer(model)
    model = model if out is None else out
    loss = getattr(model, "loss", None)
    config = loss.get_config() if hasattr(loss, "get_config") else {}
    optimizer = getattr(model, "optimizer", None)
    result = model.evaluate(x, y, batch_size=len(x), verbose=0, return_dict=True)
    model.train_on_batch(x, y)
    return {"optimizer": type(optimizer).__name__, "learning_rate": float(np.asarray(optimizer.learning_rate)),
            "loss": type(loss).__name__ if not isinstance(loss, str) else loss,
            "from_logits": bool(config.get("from_logits", False)),
            "metrics": {str(k): float(v) for k, v in result.items()}, "loss_value": float(result["loss"]),
            "after": tuple(model.get_weights())}
'''


def _pipeline_check(args, got):
    images, labels, batch_size, seed, other_seed = args
    n = len(images)
    if not isinstance(got, dict) or "batches" not in got:
        return "make_pipeline could not be probed"
    batches = got["batches"]
    sizes = [len(np.asarray(b[1])) for b in batches]
    want = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    if sizes != want:
        return f"{n} examples in batches of {batch_size} should give batch sizes {want}; got {sizes}"
    x = np.concatenate([np.asarray(b[0]) for b in batches])
    y = np.concatenate([np.asarray(b[1]) for b in batches])
    if x.dtype != np.float32 or y.dtype != np.int64:
        return f"images should be float32 and labels int64; got {x.dtype} and {y.dtype}"
    if x.shape != (n, 28, 28):
        return f"the images should keep their shape (28, 28); got batches of {x.shape[1:]}"
    value = np.rint(x[:, 5, 5] * 255).astype(int)
    label_of = dict(zip(np.asarray(images)[:, 0, 0].astype(int).tolist(), np.asarray(labels).tolist()))
    if sorted(value.tolist()) != sorted(label_of):
        return "the pipeline should yield every image once, scaled to [0, 1]"
    if not np.allclose(x, (value / 255.0)[:, None, None], rtol=1e-6, atol=1e-7):
        return "the images should be scaled to [0, 1] (divided by 255)"
    if y.tolist() != [label_of[v] for v in value.tolist()]:
        return "the labels should stay paired with their images"
    if np.array_equal(value, np.asarray(images)[:, 0, 0]):
        return "the examples are not shuffled"
    if not np.array_equal(np.rint(np.asarray(got["again"]) * 255).astype(int), value):
        return "two pipelines with the same seed gave different orders; pass seed to shuffle"
    if np.array_equal(np.rint(np.asarray(got["other"]) * 255).astype(int), value):
        return "another seed gave the same order; pass seed to shuffle"
    return None


def _logits(weights, x):
    """Flatten -> Dense(relu) -> Dense on Keras weights [kernel, bias, kernel, bias], in float64."""
    params = {key: np.asarray(w, dtype=np.float64) for key, w in zip(("W1", "b1", "W2", "b2"), weights)}
    x = np.asarray(x, dtype=np.float64)
    return maths.mlp_forward(params, x.reshape(len(x), -1))[0]


def _model_check(args, got):
    (x,) = args
    if not isinstance(got, dict) or "outputs" not in got:
        return "build_model could not be probed"
    if got["parameters"] != PARAMETERS:
        return f"the model should have {PARAMETERS} parameters; got {got['parameters']}"
    outputs = np.asarray(got["outputs"])
    if outputs.shape != (len(x), 10):
        return f"{len(x)} images should give outputs of shape ({len(x)}, 10); got {outputs.shape}"
    dense = [tuple(d) for d in got["dense"]]
    if dense[-1:] != [(10, "linear")]:
        return "the last layer should be Dense(10) with no activation (logits)"
    if dense != [(128, "relu"), (10, "linear")]:
        return f"two Dense layers of 128 (ReLU) and 10 units are expected; got {dense}"
    weights = [np.asarray(w) for w in got["weights"]]
    if [w.shape for w in weights] != [(784, 128), (128,), (128, 10), (10,)]:
        return "the Dense layers' weights should have the shapes (784, 128), (128,), (128, 10) and (10,)"
    if not np.allclose(outputs, _logits(weights, x), rtol=1e-4, atol=1e-5):  # the data decides, not the names
        return "the logits are not Dense(10)(relu(Dense(128)(flatten(x))))"
    return None


def _compile_check(args, got):
    weights, x, y = args
    if not isinstance(got, dict) or "loss_value" not in got:
        return "compile_model could not be probed"
    if got["optimizer"] != "Adam":
        return f"the optimizer should be Adam; got {got['optimizer']}"
    if not np.isclose(got["learning_rate"], 1e-3, rtol=1e-6):
        return f"the learning rate should be 0.001; got {got['learning_rate']:.6g}"
    if got["loss"] != "SparseCategoricalCrossentropy" or not got["from_logits"]:
        return ("the loss should be SparseCategoricalCrossentropy(from_logits=True); a string such as "
                "'sparse_categorical_crossentropy' means from_logits=False")
    if "accuracy" not in got["metrics"]:
        return f"accuracy should be among the metrics; the model reports {sorted(got['metrics'])}"
    logits = _logits(weights, x)
    if not np.isclose(got["metrics"]["accuracy"], float((logits.argmax(axis=1) == np.asarray(y)).mean()),
                      rtol=1e-6, atol=1e-6):
        return "the metric reported as accuracy is not the accuracy of the logits"
    expected = float(maths.cross_entropy(np.asarray(y), logits, from_logits=True))
    if not np.isclose(got["loss_value"], expected, rtol=1e-4, atol=1e-6):
        return f"the compiled loss is not the cross-entropy of the logits ({got['loss_value']:.5f})"
    steps = np.concatenate([np.abs(np.asarray(a, dtype=np.float64) - np.asarray(w, dtype=np.float64)).ravel()
                            for a, w in zip(got["after"], weights)])
    moved = steps[steps > 1e-5]
    if steps.max() > 1.05e-3 or not moved.size or not 0.9e-3 < float(np.median(moved)) < 1.05e-3:
        return "one training step does not move the weights as Adam with learning rate 0.001 does"
    return None


def pipeline_hidden(rng):
    cases = []
    for n in (int(rng.integers(60, 256)), int(rng.integers(20, 60))):
        ids = rng.permutation(256)[:n].astype(np.uint8)
        images = np.broadcast_to(ids[:, None, None], (n, 28, 28)).copy()
        labels = rng.integers(0, 10, size=n).astype(rng.choice(["int32", "int64", "uint8"]))
        batch = int(rng.integers(7, n // 2))
        seed = int(rng.integers(0, 2**31))
        cases.append((images, labels, batch, seed, seed + 1))
    return cases


def _compile_case(rng, hidden, n):
    weights = [rng.normal(scale=0.05, size=(784, hidden)).astype(np.float32),
               rng.normal(scale=0.1, size=hidden).astype(np.float32),
               rng.normal(scale=0.3, size=(hidden, 10)).astype(np.float32),
               rng.normal(scale=0.1, size=10).astype(np.float32)]
    return (weights, rng.random((n, 28, 28)).astype(np.float32), rng.integers(0, 10, size=n))


TESTS = {
    "L4-q1-public": Test("make_pipeline", lambda rng: [(*example_data(), 32, 0, 1)], None,
                         check=_pipeline_check, probe=PIPELINE_PROBE),
    "L4-q1-hidden": Test("make_pipeline", pipeline_hidden, None, hidden=True, check=_pipeline_check,
                         probe=PIPELINE_PROBE),
    "L4-q2-public": Test("build_model", lambda rng: [(np.zeros((3, 28, 28), dtype=np.float32),)], None,
                         check=_model_check, probe=MODEL_PROBE),
    "L4-q2-hidden": Test("build_model", lambda rng: [(rng.random((int(rng.integers(2, 9)), 28, 28))
                                                      .astype(np.float32),)],
                         None, hidden=True, check=_model_check, probe=MODEL_PROBE),
    "L4-q3-public": Test("compile_model", lambda rng: [_compile_case(np.random.default_rng(4), 128, 32)], None,
                         check=_compile_check, probe=COMPILE_PROBE),
    "L4-q3-hidden": Test("compile_model", lambda rng: [_compile_case(rng, int(rng.integers(8, 40)),
                                                                      int(rng.integers(10, 60)))],
                         None, hidden=True, check=_compile_check, probe=COMPILE_PROBE),
}
