"""The figures of lesson 7: loss against scale on log-log axes, and isoFLOP curves.

Every function takes NumPy arrays (or fits from :mod:`course_utils.scaling`)
and returns a Matplotlib figure in the Okabe-Ito palette of
:mod:`course_utils.plotting`, series told apart by colour, line style and
marker together.
"""

from __future__ import annotations

from typing import Any, Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from .validation import describe
from .plotting import _SERIES_STYLES, OKABE_ITO
from .scaling import ExponentFit, IsoflopOptimum, PowerLawFit

__all__ = ["plot_isoflop", "plot_scaling"]


def _points(name: str, value: Any) -> tuple[np.ndarray, np.ndarray]:
    if not (isinstance(value, tuple) and len(value) == 2):
        raise TypeError(f"{name} must be a pair (x, loss) of arrays; got {describe(value)}.")
    x, y = (np.asarray(v, dtype=np.float64) for v in value)
    if x.ndim != 1 or x.shape != y.shape or x.size == 0 or np.any(x <= 0):
        raise ValueError(
            f"{name} must hold two 1-D arrays of one length, x > 0; got {x.shape}, {y.shape}."
        )
    return x, y


def plot_scaling(
    series: Mapping[str, Any],
    fit: PowerLawFit,
    *,
    xlabel: str,
    title: str | None = None,
) -> Figure:
    """Test loss against ``x`` on log-log axes (left) and the fit's residuals (right).

    series : mapping from a label to a pair ``(x, loss)``; the first series is
        the one ``fit`` was made from, and its residuals are drawn.
    fit : PowerLawFit, drawn as a black line with its asymptote ``L_inf`` dotted.
    """
    if not isinstance(series, Mapping) or not series:
        raise TypeError(
            f"series must be a non-empty mapping label -> (x, loss); got {describe(series)}."
        )
    if not isinstance(fit, PowerLawFit):
        raise TypeError(f"fit must be a PowerLawFit from fit_power_law(); got {describe(fit)}.")
    fig, (ax, rax) = plt.subplots(1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [3, 2]})
    lows, highs = [], []
    for index, (label, value) in enumerate(series.items()):
        x, y = _points(f"series[{label!r}]", value)
        colour, _, marker = _SERIES_STYLES[index % len(_SERIES_STYLES)]
        ax.plot(x, y, linestyle="none", marker=marker, color=colour, markersize=6, label=label)
        lows.append(x.min())
        highs.append(x.max())
    grid = np.geomspace(min(lows) / 1.3, max(highs) * 1.3, 200)
    ax.plot(grid, fit.predict(grid), color=OKABE_ITO["black"], linestyle="-", linewidth=1,
            label=f"fit: {fit.l_inf:.3f} + {fit.a:.3g}·x^(−{fit.alpha:.2f})")
    ax.axhline(fit.l_inf, color=OKABE_ITO["black"], linestyle=":", linewidth=1,
               label=f"L_inf = {fit.l_inf:.3f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test loss (nats)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(frameon=False, fontsize=8)
    colour, _, marker = _SERIES_STYLES[0]
    rax.axhline(0, color=OKABE_ITO["black"], linewidth=1)
    rax.plot(fit.x, fit.residuals, marker=marker, color=colour, linestyle="-")
    rax.set_xscale("log")
    rax.set_xlabel(xlabel)
    rax.set_ylabel("measured − fitted (nats)")
    rax.set_title(f"Residuals of the fit ({next(iter(series))})", fontsize=9)
    rax.grid(True, alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_isoflop(
    curves: Mapping[float, Any],
    optima: Mapping[float, IsoflopOptimum],
    fit: ExponentFit,
    *,
    live: Mapping[float, Any] | None = None,
    title: str | None = None,
) -> Figure:
    """IsoFLOP curves (left: loss against N, one curve per budget) and N* against C (right).

    curves : mapping budget C -> (parameters, loss) of the stored sweep.
    optima : mapping budget C -> IsoflopOptimum of that curve (parabola and vertex).
    fit : ExponentFit of N* against C, drawn with a slope-0.5 line for reference.
    live : optional mapping budget -> (parameters, loss), drawn hollow.
    """
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError(
            f"curves must be a non-empty mapping budget -> (N, loss); got {describe(curves)}."
        )
    if not isinstance(optima, Mapping) or set(optima) != set(curves):
        raise ValueError("optima must have one IsoflopOptimum per budget of curves.")
    if not isinstance(fit, ExponentFit):
        raise TypeError(f"fit must be an ExponentFit from fit_exponent(); got {describe(fit)}.")
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.8))
    budgets = sorted(curves)
    for index, budget in enumerate(budgets):
        n, loss = _points(f"curves[{budget:g}]", curves[budget])
        colour, style, marker = _SERIES_STYLES[index % len(_SERIES_STYLES)]
        grid = np.geomspace(n.min(), n.max(), 100)
        ax.plot(n, loss, linestyle="none", marker=marker, color=colour, label=f"C = {budget:.0e}")
        ax.plot(grid, optima[budget].predict(grid), linestyle=style, color=colour, linewidth=1)
        ax.plot([optima[budget].parameters], [optima[budget].loss], marker="*", markersize=12,
                color=colour, markeredgecolor=OKABE_ITO["black"], linestyle="none")
    for index, (budget, value) in enumerate(sorted((live or {}).items())):
        n, loss = _points(f"live[{budget:g}]", value)
        colour = OKABE_ITO["reddish purple"]
        ax.plot(n, loss, linestyle="--", marker="o", markerfacecolor="none", color=colour,
                label=f"this run, C = {budget:.0e}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("parameters N")
    ax.set_ylabel("test loss (nats)")
    ax.set_title("Loss at fixed compute (star: fitted minimum)", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(frameon=False, fontsize=8)
    c = np.array(budgets, dtype=np.float64)
    stars = np.array([optima[b].parameters for b in budgets])
    grid = np.geomspace(c.min() / 1.5, c.max() * 1.5, 50)
    colour, _, marker = _SERIES_STYLES[0]
    bx.plot(c, stars, linestyle="none", marker="*", markersize=12, color=colour, label="N*(C)")
    bx.plot(grid, fit.predict(grid), color=OKABE_ITO["black"], linewidth=1,
            label=f"fit: N* ∝ C^{fit.exponent:.2f}")
    anchor = float(np.exp(np.mean(np.log(stars))) / np.exp(0.5 * np.mean(np.log(c))))
    bx.plot(grid, anchor * grid**0.5, color=OKABE_ITO["vermillion"], linestyle="--", linewidth=1,
            label="slope 0.5 (Chinchilla)")
    bx.set_xscale("log")
    bx.set_yscale("log")
    bx.set_xlabel("compute C = 6ND (FLOPs)")
    bx.set_ylabel("loss-minimising N*")
    bx.grid(True, which="both", alpha=0.3)
    bx.legend(frameon=False, fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
