"""The pytest side: ``pytest_plugins = ["rnnkit_testing"]`` in a conftest.py brings the ``points``
marker, the ``rng`` fixture and the torch seed; the conftest adds only its ``student`` fixture."""

import sys
import zlib

import numpy as np
import pytest

# Where the autograder's engine leaves the sandbox proxy for the graders' ``student`` fixture
# (``config.stash``); the students' own conftest builds an in-process one instead.
STUDENT = pytest.StashKey()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "points(value, visibility='visible'): the test's weight and Gradescope visibility"
    )


@pytest.fixture
def rng(request):
    """A numpy Generator seeded from the test's name: the same test always sees the same data."""
    test_name = request.node.nodeid.split("::", 1)[-1]
    return np.random.default_rng(zlib.crc32(test_name.encode("utf-8")))


@pytest.fixture(autouse=True)
def _seed_torch():
    # Only where a test module or the student's code imported torch: loading it here would cost
    # grading a numpy homework, whose torch results are stored (oracles.py), more than the rest.
    torch = sys.modules.get("torch")
    if torch is None:
        return
    # The CPU generator is the one tests use; torch.manual_seed would also visit every accelerator
    # backend, which costs milliseconds per test.
    torch.random.default_generator.manual_seed(0)
