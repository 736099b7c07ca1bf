"""The graders' ``student`` fixture: the submission, reached through the sandbox proxy.

``rng``, the torch seed and the ``points`` marker come from ``rnnkit_testing``, exactly as in the
folder students receive, so a public test runs unchanged in both places.
"""

import pytest

from rnnkit_testing import STUDENT

pytest_plugins = ["rnnkit_testing"]


@pytest.fixture(scope="session")
def student(request):
    proxy = request.config.stash.get(STUDENT, None)  # the engine puts it there
    if proxy is None:
        pytest.fail(
            "graders run through `rnnkit grade HW SUBMISSION`, which runs the submission in a sandbox",
            pytrace=False,
        )
    return proxy
