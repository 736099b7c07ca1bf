"""Numerical gradients for the graders of every homework (never shipped to students)."""

import numpy as np

from memo import data_key

# The same test asks for the same numerical gradient of every submission (its data is seeded by
# its name, and the loss is the reference's): a process that grades a whole class computes it once.
_computed = {}


def numerical_grad(loss, array, eps=1e-6):
    """Central differences of the scalar function loss() with respect to every entry of array.

    `array` is changed in place entry by entry and restored afterwards.
    """
    closure = [cell.cell_contents for cell in loss.__closure__ or ()]
    data = data_key((array, eps, closure))
    key = None if data is None else (loss.__code__, data)
    if key is not None and key in _computed:
        return _computed[key].copy()
    grad = np.zeros(array.shape)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + eps
        plus = loss()
        array[index] = saved - eps
        minus = loss()
        array[index] = saved
        grad[index] = (plus - minus) / (2 * eps)
    if key is not None:
        _computed[key] = grad.copy()
    return grad
