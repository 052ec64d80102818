# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 4: MNIST with Keras and TensorFlow
#
# **Article section covered:** §4.2.1, the TensorFlow code: a
# handwritten-digit classifier in Keras (`Flatten`, `Dense(128, relu)`,
# `Dense(10, softmax)`, Adam, sparse categorical cross-entropy, 5 epochs).
#
# **After this lesson you can**
#
# 1. explain why the article's Keras listing does not run as printed, reproduce
#    each of its errors, and repair it;
# 2. feed a Keras model from a batched, shuffled `tf.data` pipeline and train it
#    to better than 97.5 % test accuracy in five epochs on a laptop CPU;
# 3. check a trained Keras model against a NumPy forward pass of its own weights;
# 4. read learning curves, a confusion matrix, the misclassified digits and the
#    first layer's weights;
# 5. save a model to a `.keras` file, load it back and confirm it predicts the same.
#
# **Time needed:** about 30 minutes to read and run; the notebook executes in
# well under a minute on a 2-core laptop CPU.
# **Requirements:** TensorFlow (CPU) and Matplotlib, under 2 GB of memory, and
# the MNIST files (about 11 MB; downloaded once, or read from `$COURSE_DATA_DIR`
# offline, see the README). This lesson does not load PyTorch.

# %% [markdown]
# ## Setup

# %%
import inspect
import os
import tempfile
import time
import warnings
from pathlib import Path

# No C++ log lines from TensorFlow (they carry timestamps)
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import matplotlib.pyplot as plt
import numpy as np

import course_utils
from course_utils import maths, mnist_models, plotting

# Keras 3 warns that fit()'s default shuffle=True is ignored for a
# tf.data.Dataset, even when you never passed it. Our datasets shuffle
# themselves, so this one message says nothing useful here.
warnings.filterwarnings("ignore", message="`shuffle=True` was passed")

# %% tags=["tensorflow"]
import tensorflow as tf

from course_utils import tf_backend, tf_models

# %%
print("seeded:", course_utils.seed_everything(0))

# %% tags=["nbval-ignore-output"]
course_utils.versions()

# %% [markdown]
# The data: 60,000 training and 10,000 test images of handwritten digits, each
# 28 × 28 pixels with values 0 (background) to 255 (ink), and their labels 0-9.

# %%
(x_train, y_train), (x_test, y_test) = course_utils.load_mnist()
print(
    "training:",
    x_train.shape,
    x_train.dtype,
    " test:",
    x_test.shape,
    " labels:",
    y_train.dtype,
    np.unique(y_train),
)

# %% [markdown]
# ## The idea
#
# The model flattens each image into a vector $\mathbf{x} \in [0, 1]^{784}$
# (pixels divided by 255), sends it through one hidden layer of 128 ReLU units
# and an output layer of 10 units, and turns the output into probabilities with
# a softmax:
#
# $$
# \mathbf{h} = \operatorname{ReLU}(\mathbf{x} W_1 + \mathbf{b}_1), \qquad
# \mathbf{p} = \operatorname{softmax}(\mathbf{h} W_2 + \mathbf{b}_2), \qquad
# W_1 \in \mathbb{R}^{784 \times 128},\; W_2 \in \mathbb{R}^{128 \times 10}.
# $$
#
# That is $784 \cdot 128 + 128 + 128 \cdot 10 + 10 = 101{,}770$ parameters. The
# loss on a batch of $B$ examples with labels $y_n$ is the mean cross-entropy
# (Lesson 2), $L = -\frac{1}{B} \sum_n \log p_{n, y_n}$; Keras calls it
# *sparse* categorical cross-entropy because the labels are class numbers, not
# one-hot vectors.
#
# The optimizer is Adam: it keeps running averages of each parameter's
# gradient $g$, $\mathbf{m} \leftarrow \beta_1 \mathbf{m} + (1 - \beta_1) g$,
# and of its square, $\mathbf{v} \leftarrow \beta_2 \mathbf{v} + (1 - \beta_2) g^2$,
# both starting at 0, so that at step $t$ they are too small by the factors
# $1 - \beta_1^t$ and $1 - \beta_2^t$. Keras corrects for that in the step
# size and moves each parameter by
#
# $$
# \alpha_t \frac{\mathbf{m}}{\sqrt{\mathbf{v}} + \epsilon}, \qquad
# \alpha_t = \eta\, \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t},
# $$
#
# with $\beta_1 = 0.9$, $\beta_2 = 0.999$ and $\epsilon = 10^{-7}$ by default.
# Up to $\epsilon$ this is $\eta\, \hat{\mathbf{m}} / \sqrt{\hat{\mathbf{v}}}$
# with the bias-corrected averages $\hat{\mathbf{m}} = \mathbf{m}/(1 - \beta_1^t)$
# and $\hat{\mathbf{v}} = \mathbf{v}/(1 - \beta_2^t)$, so every parameter gets
# a step of roughly size $\eta$ whatever the scale of its gradient. PyTorch's
# `torch.optim.Adam` writes the same update as
# $\eta\, \hat{\mathbf{m}} / (\sqrt{\hat{\mathbf{v}}} + \epsilon)$, adding
# $\epsilon$ after the correction. Dividing Keras' numerator and denominator
# by $\sqrt{1 - \beta_2^t}$ shows that Keras' $\epsilon$ acts like
# $\epsilon / \sqrt{1 - \beta_2^t}$ in PyTorch's form: the two agree only
# when their epsilons differ by the factor $\sqrt{1 - \beta_2^t}$, which
# changes from step to step (about 0.03 at the first step, and close to 1
# after a few thousand). The cell below checks the Keras form on three steps.
#
# The course lets
# the step size $\eta$ fall along half a cosine, from $\eta_0$ at the first
# step to 0 at the last, $T$:
#
# $$
# \eta_t = \tfrac{1}{2}\, \eta_0 \left(1 + \cos \frac{\pi t}{T}\right),
# $$
#
# which allows a bold start and a careful finish.

# %%
print(
    "layer sizes:",
    mnist_models.layer_sizes(),
    " parameters:",
    f"{mnist_models.parameter_count():,}",
)

# %% tags=["tensorflow"]
# Three Adam steps in Keras, against the two ways of writing the update. A
# small gradient and a large epsilon make epsilon's place visible.
LR, BETA1, BETA2, EPS, GRAD = 0.1, 0.9, 0.999, 1e-3, 1e-3
variable = tf.Variable([1.0], dtype=tf.float64)
adam = tf.keras.optimizers.Adam(
    learning_rate=LR, beta_1=BETA1, beta_2=BETA2, epsilon=EPS
)
keras_form = pytorch_form = 1.0
m = v = 0.0
for t in range(1, 4):
    adam.apply_gradients([(tf.constant([GRAD], tf.float64), variable)])
    m = BETA1 * m + (1 - BETA1) * GRAD
    v = BETA2 * v + (1 - BETA2) * GRAD**2
    alpha = LR * np.sqrt(1 - BETA2**t) / (1 - BETA1**t)
    keras_form -= alpha * m / (np.sqrt(v) + EPS)
    m_hat, v_hat = m / (1 - BETA1**t), v / (1 - BETA2**t)
    pytorch_form -= LR * m_hat / (np.sqrt(v_hat) + EPS)
    print(
        f"step {t}: Keras {variable.numpy()[0]:.6f}, Keras' formula"
        f" {keras_form:.6f}, PyTorch's formula {pytorch_form:.6f},"
        f" sqrt(1 - beta2^t) = {np.sqrt(1 - BETA2**t):.4f}"
    )
np.testing.assert_allclose(variable.numpy()[0], keras_form, rtol=1e-6)
assert abs(keras_form - pytorch_form) > 1e-3
print(
    "Keras follows alpha * m / (sqrt(v) + eps) (rtol=1e-6), not PyTorch's form"
)

# %% [markdown]
# ## The article's listing, and why it does not run
#
# The article loads MNIST with TensorFlow Datasets,
# `dataset, info = tfds.load('mnist', with_info=True)`, takes
# `train_dataset = dataset['train']` and `test_dataset = dataset['test']`,
# builds the model with `Flatten(input_shape=(28, 28))`, compiles it and
# calls `model.fit` on `train_dataset` for 5 epochs. Its `test_dataset` is
# never used, and nothing shuffles the training data. TensorFlow Datasets is
# not part of this course's environment, but what `dataset['train']` holds is
# easy to build: a `tf.data.Dataset` of **one dictionary per example**,
# `{"image": uint8 (28, 28, 1), "label": int64}`. Here is a small one of
# exactly that form, made from the first 64 training digits.

# %% tags=["tensorflow"]
article_ds = tf.data.Dataset.from_tensor_slices(
    {
        "image": x_train[:64, :, :, np.newaxis],
        "label": y_train[:64].astype(np.int64),
    }
)
print(article_ds.element_spec)


# %% tags=["tensorflow"]
def article_model():
    """The article's model and compile call, as printed."""
    model = tf.keras.models.Sequential(
        [
            tf.keras.layers.Flatten(input_shape=(28, 28), name="flatten"),
            tf.keras.layers.Dense(128, activation="relu", name="fc1"),
            tf.keras.layers.Dense(10, activation="softmax", name="fc2"),
        ]
    )
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


# %% [markdown]
# **Problem 1: the dataset yields dictionaries.** Keras expects
# `(inputs, labels)` pairs. Given a dictionary, it takes the whole dictionary
# as the model's input, both the image and the label, and has no labels at
# all. The error comes from the step in which a Keras 3 model standardises
# its inputs before any layer runs (`Functional._standardize_inputs`, which
# `Sequential` goes through): the structure of the dictionary does not match
# the model's single input. (Keras 3 also warns, on the way, that
# `input_shape=` on a layer is the old style; a `tf.keras.Input(shape=...)`
# first is the new one.)

# %% tags=["tensorflow", "raises-exception"]
article_model().fit(article_ds, epochs=5)


# %% [markdown]
# **Problem 2: the dataset is never batched.** Mapping each dictionary to a
# pair fixes the first error, but each element is still a single image of
# shape (28, 28, 1). Keras treats the first axis as the batch, so it sees 28
# "examples" of shape (28, 1), which flatten to 28 numbers instead of 784.


# %% tags=["tensorflow"]
def as_pair(example):
    """A TFDS-style dictionary -> an (image, label) pair, else unchanged."""
    return example["image"], example["label"]


pairs = article_ds.map(as_pair)
print(pairs.element_spec)

# %% tags=["tensorflow", "raises-exception"]
article_model().fit(pairs, epochs=5)

# %% [markdown]
# **Problem 3: the pixels are never scaled.** Batch the pairs and Keras 3
# trains without complaint, but on integers from 0 to 255 instead of numbers
# in [0, 1], which makes the first steps far too large.
#
# The batches are (batch, 28, 28, 1) while the model declares (batch, 28, 28),
# and that mismatch is harmless, though not because `Flatten` flattens
# whatever it gets. The same input standardisation as in Problem 1
# (`Functional._adjust_input_rank`) compares each input's rank with the
# declared one: one axis too many, and of size 1, is squeezed away before
# any layer runs (one axis too few is added when the declared last axis is
# 1). The cell shows it with a layer that does care about rank: `Permute`
# swaps the two image axes and refuses a 4-D batch on its own, but inside a
# model declared (batch, 28, 28) it receives the squeezed batch.

# %% tags=["tensorflow"]
batched = pairs.batch(32)
print("the data:      ", batched.element_spec[0])
print("the model says:", article_model().input_shape)
images, _ = next(iter(batched))
swap_axes = tf.keras.layers.Permute((2, 1))
try:
    swap_axes(images)
except ValueError as error:
    print(
        f"Permute((2, 1)) alone on {tuple(images.shape)}:", type(error).__name__
    )
rank_sensitive = tf.keras.Sequential(
    [tf.keras.Input(shape=(28, 28)), tf.keras.layers.Permute((2, 1))]
)
swapped = rank_sensitive(images)
assert tuple(swapped.shape) == (32, 28, 28)
print(
    f"the same layer in a model declared (None, 28, 28): input"
    f" {tuple(images.shape)} -> output {tuple(swapped.shape)}"
)

# %% [markdown]
# **The repair** fixes each problem where it arises: one function turns a
# dictionary into an `(image, label)` pair, scales the pixels and drops the
# channel axis (so that the data has the shape the model declares, without
# relying on Keras to squeeze it); `.batch(32)` makes batches (32 is the batch size `fit` picks by
# itself when you give it arrays instead of a dataset); and the model starts
# with a `tf.keras.Input` of the shape the data really has.


# %% tags=["tensorflow"]
def repair(example):
    """A TFDS-style dictionary -> (float32 image (28, 28) in [0, 1], label)."""
    image = tf.squeeze(example["image"], axis=-1)  # (28, 28, 1) -> (28, 28)
    image = tf.cast(image, tf.float32) / 255.0
    return image, example["label"]


repaired_ds = article_ds.map(repair).batch(32)
repaired_model = tf.keras.Sequential(
    [
        tf.keras.Input(shape=(28, 28)),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(128, activation="relu"),
        tf.keras.layers.Dense(10, activation="softmax"),
    ]
)
repaired_model.compile(
    optimizer="adam",
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
small_history = repaired_model.fit(repaired_ds, epochs=5, verbose=0)
print(
    "data:", repaired_ds.element_spec[0], " model:", repaired_model.input_shape
)
assert all(np.isfinite(small_history.history["loss"]))
print("the repaired listing trains for 5 epochs; every loss is finite:", True)

# %% [markdown]
# ## The course's pipeline: `tf.data` from NumPy arrays
#
# The course reads MNIST into NumPy arrays once (`course_utils.load_mnist`) and
# `course_utils.tf_backend.make_dataset` turns them into a `tf.data.Dataset`
# that does all of the above: `(image, label)` pairs, shuffled afresh every
# epoch from a seed, batched, scaled to [0, 1] as `float32`, and prefetched so
# the next batch is ready while the model trains on the current one. The test
# set is batched in order and never shuffled.

# %% tags=["tensorflow"]
settings = tf_models.COURSE
train_ds = tf_backend.make_dataset(
    x_train, y_train, batch_size=settings.batch_size, seed=0
)
test_ds = tf_backend.make_dataset(
    x_test, y_test, batch_size=1000, shuffle=False
)
print(train_ds.element_spec)
print(
    f"{len(train_ds)} training batches of {settings.batch_size}; "
    f"{len(test_ds)} test batches"
)

# %% [markdown]
# ## The model and how it is trained
#
# `course_utils.tf_models.build_mlp()` builds the article's model (with an
# `Input` layer, and names `fc1`, `fc2` shared with the PyTorch version), and
# `compile_mlp` compiles it with the course's settings. Written out, the compile
# call for these settings is
#
# ```python
# model.compile(
#     optimizer=tf.keras.optimizers.Adam(
#         tf.keras.optimizers.schedules.CosineDecay(0.01, decay_steps=5 * len(train_ds))),
#     loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=False),
#     metrics=["accuracy"],
#     steps_per_execution=32,
# )
# ```
#
# Compared with the article, the course uses batches of 256 instead of 32 (8
# times fewer steps per epoch, each making better use of the CPU's matrix
# units), a 10 times larger initial learning rate that the cosine schedule
# brings down to 0, and `steps_per_execution=32`, which lets Keras run 32
# steps per call into its compiled graph instead of returning to Python after
# every step. `benchmarks/mnist.py` measures what each change buys; the README
# has the table.

# %% tags=["tensorflow"]
print(settings)
model = tf_models.compile_mlp(
    tf_models.build_mlp(), settings, steps_per_epoch=len(train_ds)
)
initial_kernel, initial_bias = (w.copy() for w in model.get_weights()[:2])
model.summary()
assert model.count_params() == mnist_models.parameter_count() == 101_770

# %% [markdown]
# ## Training
#
# `fit` runs the whole loop: for each batch, the forward pass, the loss, the
# gradients and Adam's update. Passing the test set as `validation_data` only
# measures it after each epoch; it never trains on it. (In a real project you
# would watch a validation split cut from the training data and look at the test
# set once, at the end.) The progress bar and the timings differ from run to
# run, so nbval ignores this cell's output; the numbers that matter are asserted below.

# %% tags=["tensorflow", "nbval-ignore-output"]
timer = (
    tf_models.EpochTimer()
)  # a Keras callback that records each epoch's seconds
history = model.fit(
    train_ds,
    epochs=settings.epochs,
    validation_data=test_ds,
    callbacks=[timer],
    verbose=1,
)
print()
print("epoch  train loss  train acc  test loss  test acc  seconds")
for epoch in range(settings.epochs):
    h = {key: values[epoch] for key, values in history.history.items()}
    print(
        f"{epoch + 1:5d}  {h['loss']:10.4f}  {h['accuracy']:9.4f}  "
        f"{h['val_loss']:9.4f}  {h['val_accuracy']:8.4f}  "
        f"{timer.seconds[epoch]:7.2f}"
    )
print(
    f"{len(x_train) / np.median(timer.seconds):,.0f} training examples per "
    "second (median epoch)"
)

# %% [markdown]
# ### Check: test accuracy

# %% tags=["tensorflow"]
test_loss, test_accuracy = model.evaluate(test_ds, verbose=0)
assert len(history.history["loss"]) == settings.epochs == 5
assert np.all(np.diff(history.history["loss"]) < 0)
print("training loss fell in every epoch:", True)
train_loss, val_loss = history.history["loss"], history.history["val_loss"]
assert val_loss[-1] > train_loss[-1]
assert val_loss[-1] / val_loss[0] > train_loss[-1] / train_loss[0]
print(
    "test loss fell by a smaller factor and ends above the training loss:", True
)
print(f"test accuracy >= 97.5%: {test_accuracy >= 0.975}")
assert test_accuracy >= 0.975, test_accuracy

# %% [markdown]
# ### Check: NumPy computes the same probabilities from the model's weights
#
# The trained model is just four arrays. The NumPy reference below applies the
# equations of *The idea* to them with `course_utils.maths`, and must reproduce
# Keras' output on the whole test set. Both compute in `float32`, possibly
# summing in a different order, so they agree to about $10^{-6}$, not exactly.

# %% tags=["tensorflow"]
W1, b1, W2, b2 = model.get_weights()
print("weights:", [w.shape for w in (W1, b1, W2, b2)])
x = course_utils.normalize_images(x_test).reshape(len(x_test), 784)
numpy_probabilities = maths.softmax(maths.relu(x @ W1 + b1) @ W2 + b2)
keras_probabilities = model.predict(test_ds, verbose=0)

TOLERANCE = 1e-5
worst = float(np.abs(numpy_probabilities - keras_probabilities).max())
assert worst < TOLERANCE, worst
agree = float(
    np.mean(
        numpy_probabilities.argmax(axis=1) == keras_probabilities.argmax(axis=1)
    )
)
assert agree > 0.999, agree
print(
    f"NumPy and Keras probabilities agree within {TOLERANCE:g} on all "
    f"{len(x_test):,} test images"
)

# %% [markdown]
# ## Figures
#
# Every figure comes from `course_utils.plotting`, whose functions take NumPy
# arrays, so Lesson 5 draws its PyTorch model with the same code.

# %%
fig = plotting.plot_learning_curves(
    history.history, title="Keras MLP on MNIST: loss and accuracy per epoch"
)
plt.show()

# %% [markdown]
# **Figure 4.1.** Loss (left) and accuracy (right) after each of the five
# epochs, on the training batches (`loss`, `accuracy`: blue, solid, circles) and
# on the test set (`val_loss`, `val_accuracy`: vermillion, dashed, squares). The
# training numbers are averages over an epoch during which the model kept
# changing; the test numbers are measured at the end of each epoch. Training
# loss falls in every epoch. The test loss falls by a smaller factor over
# the five epochs and ends above the training loss (the check above asserts
# both; the table printed by the training cell gives the values), as the
# model starts to fit details of the training set.

# %%
predicted = tf_models.predict_classes(model, x_test)
counts = plotting.confusion_matrix(y_test, predicted)
assert counts.sum() == len(y_test) and np.trace(counts) == np.sum(
    predicted == y_test
)
fig = plotting.plot_confusion_matrix(
    y_test, predicted, title="Keras MLP, test set"
)
plt.show()

# %% [markdown]
# **Figure 4.2.** Confusion matrix on the 10,000 test images: row = true digit,
# column = predicted digit, each cell with its count (log colour scale: darker
# is more). Almost everything sits on the diagonal; the off-diagonal cells show
# which confusions remain, typically between digits of similar shape such as
# 4 and 9, 3 and 5, or 7 and 2.

# %%
fig = plotting.plot_misclassified(
    x_test, y_test, predicted, max_images=24, ncols=8
)
plt.show()

# %% [markdown]
# **Figure 4.3.** The first 24 misclassified test digits in test-set order,
# each titled with its true and predicted label. Many are unusual or ambiguous
# handwriting that a person might also hesitate over; some are plain mistakes.

# %%
fig = plotting.plot_first_layer_weights(
    tf_models.first_layer_weights(model), ncols=16
)
plt.show()

# %% [markdown]
# **Figure 4.4.** The 784 weights into each of the 128 hidden units, drawn as
# a 28 × 28 image (orange: positive, purple: negative, white: near 0; one
# scale for all). A unit responds strongly to digits whose ink falls on its
# orange pixels and avoids its purple ones, so each image is a template the
# unit matches against. Pixels near the border are almost never inked, get
# almost no gradient, and keep weights close to their small initial values.
# The units that look faint everywhere are "dead" ReLUs: the next cell counts
# the units whose output is 0 for at least 99 % of the training digits, shows
# that each of them was active at initialisation (so training killed them)
# and that their weights are smaller on average than the other units'. A
# dead unit receives a zero gradient, so once dead it stopped learning.

# %% tags=["tensorflow", "nbval-ignore-output"]
x_all = course_utils.normalize_images(x_train).reshape(len(x_train), 784)
W1_final, b1_final = model.get_weights()[:2]
active_now = (x_all @ W1_final + b1_final > 0).mean(axis=0)
active_then = (x_all @ initial_kernel + initial_bias > 0).mean(axis=0)
dead = active_now < 0.01
size_dead = float(np.abs(W1_final[:, dead]).mean())
size_alive = float(np.abs(W1_final[:, ~dead]).mean())
print(
    f"{dead.sum()} of {len(dead)} hidden units are active on fewer than 1 %"
    f" of the {len(x_all):,} training digits: units {np.flatnonzero(dead)}"
)
print(
    "least active fraction of any of them at initialisation:"
    f" {active_then[dead].min():.2f}"
)
print(f"mean |weight|: dead units {size_dead:.3f}, the others {size_alive:.3f}")
assert dead.any() and (active_then[dead] > 0.01).all()
assert size_dead < size_alive

# %% [markdown]
# ## Saving and reloading
#
# A `.keras` file holds the architecture, the weights and the compile settings
# (including the optimizer's state). The model goes into a temporary folder
# that disappears afterwards.

# %% tags=["tensorflow"]
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "mnist_mlp.keras"
    model.save(path)
    print(f"saved {path.name}: {path.stat().st_size / 1e6:.1f} MB")
    reloaded = tf.keras.models.load_model(path)

same_weights = all(
    np.array_equal(a, b)
    for a, b in zip(model.get_weights(), reloaded.get_weights())
)
reloaded_predicted = tf_models.predict_classes(reloaded, x_test)
assert same_weights and np.array_equal(reloaded_predicted, predicted)
np.testing.assert_array_equal(
    reloaded.predict(test_ds, verbose=0), keras_probabilities
)
print(
    "reloaded model: identical weights, and identical probabilities on all "
    "10,000 test images:",
    True,
)

# %% [markdown]
# ## Pitfalls
#
# 1. **A `tf.data.Dataset` must be batched by you.** `fit(x_array, y_array)`
#    batches arrays by itself (32 per batch unless told otherwise), but a
#    dataset is taken as it is: every element is one batch. An unbatched
#    dataset either fails (as above) or, worse, trains on single examples.
# 2. **Dictionaries are inputs, not (input, label) pairs.** Keras passes a
#    dictionary element to the model as named inputs. Map TensorFlow Datasets'
#    dictionaries to pairs, or load them with `as_supervised=True`, which yields pairs.
# 3. **Declared shape versus real shape.** Keras 3 squeezes or adds a
#    trailing axis of size 1 to fit the declared input, so a missing or extra
#    channel axis passes unnoticed; any other mismatch fails. Print
#    `dataset.element_spec` and `model.input_shape` side by side whenever you
#    connect the two.
# 4. **Scale the pixels.** Raw 0-255 inputs make the first layer's
#    pre-activations about 255 times larger than intended; training still
#    moves, but the first steps are far too large and accuracy suffers.
# 5. **Softmax output and `from_logits`.** The last layer here applies a
#    softmax, so the loss must use `from_logits=False` (the string
#    `"sparse_categorical_crossentropy"` does). With a softmax output and
#    `from_logits=True` the loss applies a second softmax and the model trains
#    badly; without a softmax (logits) and `from_logits=False` the loss
#    misreads the scores as probabilities. `compile_mlp` looks at the last
#    layer and chooses for you.
# 6. **Test data is for testing.** Watching the test set during training is
#    fine for a lesson; choosing epochs or learning rates by it makes the final
#    test accuracy an optimistic estimate.

# %% [markdown]
# ## Exercises
#
# These are for practice. Each exercise has a worked solution folded under it
# (open *Solution* once you have tried), and where the answer is a number, a
# check cell: put your answer in `answer` and run the cell. Training times
# depend on your machine and on what else it is doing, so the solutions
# describe what to look for rather than promise figures. The graded versions
# are in the repository's `assignments/` folder; check your answers as you go
# with `from course_utils.exercises import lesson4` (see the README, *For
# instructors*).

# %% [markdown]
# ### Exercise 4.1: The article's settings
#
# Build a fresh model and compile it with `tf_models.ARTICLE` (Adam, learning
# rate 0.001, batches of 32, no schedule). How long does an epoch take, and
# what test accuracy do you get after five? Compare with the course's
# settings.
#
# <details>
# <summary>Solution</summary>
#
# ```python
# article_batches = tf_backend.make_dataset(x_train, y_train, batch_size=32,
#                                           seed=0)
# article_run = tf_models.compile_mlp(
#     tf_models.build_mlp(), tf_models.ARTICLE,
#     steps_per_epoch=len(article_batches))
# article_timer = tf_models.EpochTimer()
# article_run.fit(article_batches, epochs=5, callbacks=[article_timer],
#                 verbose=0)
# _, article_accuracy = article_run.evaluate(test_ds, verbose=0)
# print(f"article: {len(article_batches)} steps per epoch, median epoch "
#       f"{np.median(article_timer.seconds):.1f} s, "
#       f"test accuracy {article_accuracy:.4f}")
# print(f"course:  {len(train_ds)} steps per epoch, median epoch "
#       f"{np.median(timer.seconds):.1f} s, test accuracy {test_accuracy:.4f}")
# ```
#
# The article's settings take 1,875 steps per epoch against the course's 235,
# and each step returns to Python (no `steps_per_execution`), so an epoch
# takes several times longer: about five times in our run on a busy 2-core
# machine. After five epochs the test accuracy was a little lower than the
# course's (0.977 against 0.979 in the same script). So the course's settings
# buy speed without losing accuracy; `benchmarks/mnist.py` measures the
# effect of each change on its own.
#
# </details>

# %% [markdown]
# ### Exercise 4.2: Unscaled pixels
#
# Train on a pipeline that skips the division by 255 (map
# `tf.cast(image, tf.float32)` yourself). What happens to the first epoch's
# loss and to the final accuracy?
#
# <details>
# <summary>Solution</summary>
#
# ```python
# def unscaled_dataset(images, labels, batch_size, shuffle):
#     data = tf.data.Dataset.from_tensor_slices(
#         (images, labels.astype(np.int64)))
#     if shuffle:
#         data = data.shuffle(len(images), seed=0)
#     return data.batch(batch_size).map(
#         lambda image, label: (tf.cast(image, tf.float32), label))
#
#
# raw_train = unscaled_dataset(x_train, y_train, settings.batch_size, True)
# raw_test = unscaled_dataset(x_test, y_test, 1000, False)
# raw_model = tf_models.compile_mlp(tf_models.build_mlp(), settings,
#                                   steps_per_epoch=len(raw_train))
# raw_history = raw_model.fit(raw_train, epochs=settings.epochs, verbose=0)
# _, raw_accuracy = raw_model.evaluate(raw_test, verbose=0)
# print("training loss per epoch, pixels 0-255:",
#       np.round(raw_history.history["loss"], 4))
# print("training loss per epoch, pixels 0-1:  ",
#       np.round(history.history["loss"], 4))
# print(f"test accuracy {raw_accuracy:.4f} (scaled: {test_accuracy:.4f})")
# ```
#
# In our run the first epoch's mean loss was about 10 instead of about 0.24,
# and the final test accuracy about 0.90 instead of 0.98. The weights start at
# the same small Glorot values, so with inputs up to 255 instead of 1 every
# first-layer pre-activation is up to 255 times larger: the first logits are
# huge, the softmax is saturated and the loss of a wrong guess enormous.
# Adam's steps have roughly a fixed size in weight space (about the learning
# rate for each weight), and with inputs 255 times
# larger each such step moves the pre-activations 255 times further: in effect
# a learning rate far too large. Scaling the inputs is part of the model.
#
# </details>

# %% [markdown]
# ### Exercise 4.3: Width
#
# Try 32 and 512 hidden units (`build_mlp(hidden=...)`). How do the parameter
# count, the time per epoch and the test accuracy change?
#
# <details>
# <summary>Solution</summary>
#
# With $h$ hidden units the model has $784h + h$ parameters in the first layer
# and $10h + 10$ in the second: $795h + 10$ in all, 25,450 for $h = 32$,
# 101,770 for 128 and 407,050 for 512.
#
# ```python
# for hidden in (32, 128, 512):
#     wide = tf_models.compile_mlp(tf_models.build_mlp(hidden=hidden),
#                                  settings, steps_per_epoch=len(train_ds))
#     wide_timer = tf_models.EpochTimer()
#     wide.fit(train_ds, epochs=settings.epochs, callbacks=[wide_timer],
#              verbose=0)
#     _, wide_accuracy = wide.evaluate(test_ds, verbose=0)
#     print(f"{hidden:3d} units: {wide.count_params():7,d} parameters, "
#           f"median epoch {np.median(wide_timer.seconds):.1f} s, "
#           f"test accuracy {wide_accuracy:.4f}")
# ```
#
# The parameter count grows in proportion to the width, and so, roughly, does
# the arithmetic per step; the time per epoch grows with it, though less than
# in proportion for small widths, where fixed costs per step dominate. In our
# run the test accuracy went from about 0.958 with 32 units to 0.979 with 128
# and 0.984 with 512: four times the parameters buy less and less.
#
# </details>

# %%
from course_utils.practice import lesson4 as practice

answer = None  # your answer: (parameters with 32 units, with 512 units)
practice.exercise_3.check(answer)

# %% [markdown]
# ### Exercise 4.4: Logits
#
# Build the model with `output="logits"` and compile it with `compile_mlp`.
# Check that `tf.nn.softmax` of its outputs gives probabilities that sum to
# 1, and that its accuracy is as good.
#
# <details>
# <summary>Solution</summary>
#
# `compile_mlp` looks at the model's last layer and passes
# `from_logits=True` to the loss when the model has no softmax:
#
# ```python
# logit_model = tf_models.compile_mlp(tf_models.build_mlp(output="logits"),
#                                     settings, steps_per_epoch=len(train_ds))
# print("from_logits:", logit_model.loss.get_config()["from_logits"])
# logit_model.fit(train_ds, epochs=settings.epochs, verbose=0)
# scores = logit_model.predict(test_ds, verbose=0)
# probabilities = tf.nn.softmax(scores).numpy()
# print(f"scores from {scores.min():.1f} to {scores.max():.1f}; largest "
#       f"|row sum - 1| of the softmax {np.abs(probabilities.sum(1) - 1).max():.1e}")
# logit_accuracy = np.mean(probabilities.argmax(axis=1) == y_test)
# print(f"test accuracy {logit_accuracy:.4f} (probabilities model: "
#       f"{test_accuracy:.4f})")
# ```
#
# The raw scores are not probabilities (they range over tens of units, of
# both signs); after `tf.nn.softmax` every row sums to 1 within `float32`
# rounding (a few times $10^{-7}$). The accuracy matches the probabilities
# model's to within the run-to-run spread: the two models compute the same
# function, and the loss `from_logits=True` is the more stable way to train
# it (Lesson 2).
#
# </details>

# %% [markdown]
# ### Exercise 4.5: Templates
#
# Find the hidden unit with the largest total absolute weight in Figure 4.4's
# data (`tf_models.first_layer_weights(model)`) and list the test digits that
# activate it most. Do they share a shape?
#
# <details>
# <summary>Solution</summary>
#
# ```python
# templates = tf_models.first_layer_weights(model)  # (128, 28, 28)
# unit = int(np.abs(templates).reshape(len(templates), -1).sum(axis=1).argmax())
# pixels = course_utils.normalize_images(x_test).reshape(len(x_test), 784)
# fc1 = model.get_layer("fc1")
# unit_output = np.maximum(pixels @ fc1.kernel.numpy() + fc1.bias.numpy(), 0)
# strongest = np.argsort(unit_output[:, unit])[::-1][:20]
# print(f"unit {unit}: labels of its 20 strongest test digits:",
#       y_test[strongest].tolist())
# fig, axes = plt.subplots(1, 9, figsize=(10, 1.5))
# axes[0].imshow(templates[unit], cmap="PuOr_r")
# axes[0].set_title(f"unit {unit}", fontsize=8)
# for ax, index in zip(axes[1:], strongest):
#     ax.imshow(x_test[index], cmap="gray_r")
#     ax.set_title(f"label {y_test[index]}", fontsize=8)
# for ax in axes:
#     ax.axis("off")
# plt.show()
# ```
#
# The unit's output is the ReLU of the dot product of its weights with the
# image, so its strongest digits are those whose ink covers its positive
# weights and avoids its negative ones. Which unit and which digits depend on
# the run. In one run of this model that we made, the unit's 20 strongest
# test digits were 17 fives and 3 threes: a template of the lower, curved
# half that 5 and 3 share.
#
# </details>

# %% [markdown]
# ## Summary
#
# * The article's Keras listing fails because TensorFlow Datasets yields
#   dictionaries and because the dataset is never batched, and it trains on
#   unscaled pixels; map to scaled `(image, label)` pairs and batch. A
#   trailing channel axis of size 1 is harmless: Keras 3 squeezes it before
#   any layer runs.
# * `course_utils.tf_backend.make_dataset` builds the whole pipeline from
#   NumPy arrays: pairs, shuffling, batching, scaling and prefetching.
# * With batches of 256, Adam from 0.01 on a cosine schedule and 32 steps per
#   execution, the article's 101,770-parameter model passes 97.5 % test accuracy
#   in five epochs of a few seconds or less each on a laptop CPU.
# * The trained model is four arrays: NumPy reproduces its probabilities, and a
#   `.keras` file stores and restores it exactly.
