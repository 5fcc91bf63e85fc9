"""Differentiable maps with a flat parameter vector, written in NumPy.

Each has ``params`` (a flat float64 vector), ``__call__(s)`` for one state or a batch, and
``jacobian(s)``: the derivative of the outputs with respect to ``params`` at one state, shaped
``(n_params, n_outputs)`` — the orientation of the DPG paper's ∇θμθ(s).
"""

from __future__ import annotations

import numpy as np

from ..features import RBFFeatures


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow warning for large |x|


class LinearMap:
    """``f(s) = Θᵀ φ(s)`` with fixed features ``φ`` (``Θ`` is ``k x m``, flattened row-major)."""

    def __init__(self, features: RBFFeatures, n_out: int, params: np.ndarray | None = None):
        self.features, self.n_out = features, int(n_out)
        k = features.size
        self.params = np.zeros(k * self.n_out) if params is None else np.asarray(params, dtype=np.float64)

    def __call__(self, s: np.ndarray) -> np.ndarray:
        return self.features(s) @ self.params.reshape(-1, self.n_out)

    def jacobian(self, s: np.ndarray) -> np.ndarray:
        # d f_j / d Θ[i, l] = φ_i [j == l]
        return np.kron(self.features(s)[:, None], np.eye(self.n_out))

    def value_and_jacobian(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self(s), self.jacobian(s)


class SigmoidMLP:
    """One hidden layer of sigmoid units; sigmoid outputs (``squash=True``) or linear outputs.

    ``params = [W1 (H x d), b1 (H), W2 (m x H), b2 (m)]``; initial weights ``N(0, init_scale^2 / fan_in)``.
    """

    def __init__(
        self,
        n_in: int,
        n_hidden: int,
        n_out: int,
        squash: bool,
        rng: np.random.Generator,
        init_scale: float = 1.0,
        input_scale: float | list[float] | np.ndarray = 1.0,
    ):
        self.shapes = ((n_hidden, n_in), (n_hidden,), (n_out, n_hidden), (n_out,))
        ends = np.cumsum([int(np.prod(shape)) for shape in self.shapes])
        self._slices = [slice(end - int(np.prod(shape)), end) for shape, end in zip(self.shapes, ends)]
        self.squash = squash
        self.input_scale = np.asarray(input_scale, dtype=np.float64)
        w1 = rng.normal(0.0, init_scale / np.sqrt(n_in), size=self.shapes[0])
        w2 = rng.normal(0.0, init_scale / np.sqrt(n_hidden), size=self.shapes[2])
        self.params = np.concatenate([w1.ravel(), np.zeros(n_hidden), w2.ravel(), np.zeros(n_out)])

    def _unpack(self):
        return [self.params[sl].reshape(shape) for sl, shape in zip(self._slices, self.shapes)]

    def _forward(self, s):
        W1, b1, W2, b2 = self._unpack()
        x = np.asarray(s, dtype=np.float64) * self.input_scale
        z = sigmoid(x @ W1.T + b1)
        pre = z @ W2.T + b2
        return x, z, (sigmoid(pre) if self.squash else pre)

    def __call__(self, s: np.ndarray) -> np.ndarray:
        return self._forward(s)[2]

    def jacobian(self, s: np.ndarray) -> np.ndarray:
        return self.value_and_jacobian(s)[1]

    def value_and_jacobian(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(f(s), jacobian(s))`` from one forward pass."""
        _, _, W2, _ = self._unpack()
        x, z, y = self._forward(s)
        H, m = z.shape[0], y.shape[0]
        g = y * (1.0 - y) if self.squash else np.ones(m)  # d output / d pre-activation
        dz = z * (1.0 - z)
        back = (g[:, None] * W2) * dz  # (m, H): d y_j / d hidden pre-activation h
        J_W1 = back.T[:, None, :] * x[None, :, None]  # (H, d, m)
        J_W2 = np.zeros((m, H, m))
        J_W2[np.arange(m), :, np.arange(m)] = g[:, None] * z
        return y, np.concatenate([J_W1.reshape(-1, m), back.T, J_W2.reshape(-1, m), np.diag(g)])
