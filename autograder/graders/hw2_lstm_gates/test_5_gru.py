"""Hidden graders for gru_cell_forward: parity with torch.nn.GRUCell and the slides' GRU."""

import numpy as np
import pytest

from . import hw2_reference as ref
from rnnkit_testing import assert_array, assert_close, assert_unchanged

ORDER_HINT = (
    "PyTorch stacks the GRU's gates in the order r, z, n: rows 0:H of W_ih, W_hh, b_ih and b_hh "
    "belong to the reset gate r, rows H:2H to the update gate z, rows 2H:3H to the candidate n."
)
RESET_AFTER_HINT = (
    "reset_after=True (the default, torch.nn.GRUCell and Keras' default) applies the reset gate after "
    "the product, to the whole recurrent term, bias included: n = tanh(x W_in^T + b_in + "
    "r * (h_prev W_hn^T + b_hn)). reset_after=False (the slides' GRU) resets h_prev before the "
    "product and keeps b_hn as it is: n = tanh(x W_in^T + b_in + (r * h_prev) W_hn^T + b_hn)."
)
UPDATE_HINT = (
    "The new state is h = (1 - z) * n + z * h_prev: an update gate z close to 1 keeps the old state "
    "h_prev, z close to 0 takes the candidate n (as in torch.nn.GRUCell and the slides)."
)
GRU_NAMES = ("x", "h_prev", "W_ih", "W_hh", "b_ih", "b_hh")


def gru_problem(rng, N=4, D=3, H=5):
    """x (N, D), nonzero h_prev (N, H) and stacked weights (3H, ...) whose gate blocks differ."""
    x, h_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    return (x, h_prev, *ref.random_stacked_params(rng, D, H, 3))


def diagnose(h, args, reset_after):
    """A hint that names the mistake when h equals a known wrong variant, computed with torch.

    Every variant is computed before h is compared with any: the torch results stored for grading
    are recorded on the reference solution, and must hold every variant whatever h matches first."""
    x, h_prev = args[:2]
    if not (isinstance(h, np.ndarray) and h.shape == np.shape(h_prev) and h.dtype.kind in "fiu"):
        return ""

    def equals(wrong):
        return np.allclose(h, wrong, rtol=1e-6, atol=1e-8)

    reading = ref.wrong_gate_order(
        equals, lambda *rearranged: ref.gru_cell_forward(x, h_prev, *rearranged, reset_after=reset_after),
        ref.GRU_GATES, *args[2:],
    )
    moved = None
    if reset_after:
        # r * (h_prev W_hn^T) + b_hn is torch's GRU with b_hn moved over to b_in.
        W_ih, W_hh, b_ih, b_hh = args[2:]
        moved_ih, moved_hh = b_ih.copy(), b_hh.copy()
        H = len(b_hh) // 3
        moved_ih[2 * H:] += b_hh[2 * H:]
        moved_hh[2 * H:] = 0.0
        moved = ref.gru_cell_forward(x, h_prev, W_ih, W_hh, moved_ih, moved_hh)
    other_form = ref.gru_cell_forward(*args, reset_after=not reset_after)
    _, z, n = ref.gru_gates(*args, reset_after=reset_after)
    if reading is not None:
        return f"{ORDER_HINT} Your h is what you get when the row blocks are read as {', '.join(reading)}."
    if moved is not None and equals(moved):
        return (
            "With reset_after=True the reset gate multiplies b_hn too: n = tanh(x W_in^T + b_in + "
            "r * (h_prev W_hn^T + b_hn)); b_hn sits inside the reset, which is why torch keeps it "
            "apart from b_in."
        )
    if equals(other_form):
        which = "reset_after=False, the slides' form" if reset_after else "reset_after=True, torch's form"
        return f"Your h is the GRU of {which}, not the one asked for. {RESET_AFTER_HINT}"
    if equals(z * n + (1 - z) * h_prev):
        return f"You swapped the roles of z and 1 - z. {UPDATE_HINT}"
    return ""


def n_formula(reset_after):
    if reset_after:
        return "With reset_after=True, n = tanh(x W_in^T + b_in + r * (h_prev W_hn^T + b_hn))."
    return "With reset_after=False, n = tanh(x W_in^T + b_in + (r * h_prev) W_hn^T + b_hn)."


def check_h(h, expected, args, reset_after, name):
    hint = diagnose(h, args, reset_after) or f"{ORDER_HINT} {n_formula(reset_after)} {UPDATE_HINT}"
    assert_array(h, name, shape=expected.shape, hint="h has one row per example and H columns.")
    assert_close(h, expected, name, hint=hint)


@pytest.mark.points(2)
def test_matches_grucell(student, rng):
    """gru_cell_forward: default reset_after=True matches torch.nn.GRUCell (N = 4 and N = 1)"""
    for N in (4, 1):
        args = gru_problem(rng, N=N, D=3, H=5)
        check_h(student.gru_cell_forward(*args), ref.gru_cell_forward(*args), args, True, f"h (N = {N})")


@pytest.mark.points(2)
def test_reset_before_product(student, rng):
    """gru_cell_forward: reset_after=False matches the slides' GRU"""
    for N in (3, 1):
        args = gru_problem(rng, N=N, D=4, H=2)
        h = student.gru_cell_forward(*args, reset_after=False)
        check_h(h, ref.gru_cell_forward(*args, reset_after=False), args, False, f"h (reset_after=False, N = {N})")


@pytest.mark.points(1)
def test_closed_reset_gate(student, rng):
    """gru_cell_forward: a closed reset gate (r = 0) drops b_hn only when reset_after=True"""
    x, h_prev, W_ih, W_hh, b_ih, b_hh = gru_problem(rng, N=3, D=2, H=4)
    b_ih = b_ih.copy()
    b_ih[:4] -= 60.0  # r = sigmoid(-60 + ...) = 0 to double precision
    args = (x, h_prev, W_ih, W_hh, b_ih, b_hh)
    hint = (
        "With r = 0, reset_after=True resets the whole recurrent term, b_hn included, so "
        "n = tanh(x W_in^T + b_in); reset_after=False resets only h_prev, so b_hn stays: "
        "n = tanh(x W_in^T + b_in + b_hn)."
    )
    for reset_after in (True, False):
        h = student.gru_cell_forward(*args, reset_after=reset_after)
        name = f"h (r = 0, reset_after={reset_after})"
        assert_array(h, name, shape=(3, 4), hint="h has one row per example and H columns.")
        assert_close(h, ref.gru_cell_forward(*args, reset_after=reset_after), name,
                     hint=f"{diagnose(h, args, reset_after)} {hint}".strip())


@pytest.mark.points(1)
def test_gate_order(student, rng):
    """gru_cell_forward: gate rows are in torch's order r, z, n"""
    args = gru_problem(rng, N=2, D=3, H=4)
    h = student.gru_cell_forward(*args)
    expected = ref.gru_cell_forward(*args)
    assert_array(h, "h", shape=expected.shape, hint="h has one row per example and H columns.")
    assert_close(h, expected, "h", hint=diagnose(h, args, True) or ORDER_HINT)


@pytest.mark.points(1)
def test_update_gate_direction(student, rng):
    """gru_cell_forward: an update gate z close to 1 keeps the old state"""
    x, h_prev, W_ih, W_hh, b_ih, b_hh = gru_problem(rng, N=2, D=4, H=3)
    for shift, name in ((60.0, "h (z = 1)"), (-60.0, "h (z = 0)")):
        shifted = b_ih.copy()
        shifted[3:6] += shift  # the update gate's block: z = sigmoid(+-60 + ...) is 1 or 0
        args = (x, h_prev, W_ih, W_hh, shifted, b_hh)
        h = student.gru_cell_forward(*args)
        assert_array(h, name, shape=(2, 3), hint="h has one row per example and H columns.")
        assert_close(
            h, ref.gru_cell_forward(*args), name,
            hint=diagnose(h, args, True) or f"{UPDATE_HINT} Writing h = z * n + (1 - z) * h_prev is the "
            "other convention, which neither torch nor this homework uses.",
        )


@pytest.mark.points(1)
def test_inputs_unchanged(student, rng):
    """gru_cell_forward: does not modify its inputs"""
    args = gru_problem(rng, N=3, D=2, H=4)
    for reset_after in (True, False):
        h, after, _ = student.call_with_inputs("gru_cell_forward", *args, reset_after=reset_after)
        assert_array(h, "h", shape=(3, 4), hint="This test needs a working gru_cell_forward.")
        for before, now, name in zip(args, after, GRU_NAMES):
            assert_unchanged(before, now, name)
