"""Graders reach a student's torch objects through handles: build one in the sandbox, set and read
its weights as arrays, call its methods, pass it back to student functions, train it a few steps.
The students' own pytest run (InProcessStudent) behaves the same way."""

import importlib.util

import numpy as np
import pytest
import torch

from rnnkit.sandbox import SandboxSpec, SandboxStudent
from rnnkit_testing import InProcessStudent, StudentCodeError

TORCH_MODULE = '''
import torch
from torch import nn


class Tiny(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.fc = nn.Linear(n_in, n_out)

    def forward(self, x):
        return self.fc(x)


def summed(model, x):
    return model(x).sum(dim=1)


def train_steps(model, x, y, steps):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    return losses
'''


@pytest.fixture(params=["sandbox", "in-process"])
def student(request, tmp_path):
    (tmp_path / "tiny.py").write_text(TORCH_MODULE)
    if request.param == "sandbox":
        proxy = SandboxStudent(SandboxSpec(tmp_path, "tiny", hidden=[]))
        yield proxy
        proxy.close()
    else:
        spec = importlib.util.spec_from_file_location("tiny", tmp_path / "tiny.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield InProcessStudent(module)


def test_a_module_is_built_read_set_called_and_trained_through_its_handle(student):
    rng = np.random.default_rng(0)
    model = student.make("Tiny", 3, 2)
    assert model.type_name == "Tiny"
    state = model.state()
    assert {name: value.shape for name, value in state.items()} == {"fc.weight": (2, 3), "fc.bias": (2,)}
    assert model.parameter_count() == 8

    W, b = rng.normal(size=(2, 3)).astype(np.float32), rng.normal(size=2).astype(np.float32)
    model.load_state({"fc.weight": W, "fc.bias": b})
    x = rng.normal(size=(4, 3)).astype(np.float32)
    out = model.call("forward", torch.tensor(x))
    assert isinstance(out, np.ndarray) and out.dtype == np.float32  # a tensor comes back as an array
    np.testing.assert_allclose(out, x @ W.T + b, rtol=1e-5)
    # Handed to a student function, the handle is the object itself, with the weights just set.
    np.testing.assert_allclose(student.summed(model, torch.tensor(x)), (x @ W.T + b).sum(axis=1), rtol=1e-5)

    losses = student.train_steps(model, torch.tensor(x), torch.zeros(4, 2), 20)
    assert len(losses) == 20 and losses[-1] < 0.5 * losses[0]
    assert not np.allclose(model.state()["fc.weight"], W)  # trained in place: the object persists


def test_a_method_the_object_lacks_is_the_students_error(student):
    model = student.make("Tiny", 3, 2)
    with pytest.raises(StudentCodeError, match="AttributeError"):
        model.call("backward_pass")
