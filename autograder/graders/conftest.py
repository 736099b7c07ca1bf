"""The graders' ``student`` fixture: the submission, reached through the sandbox proxy.

``rng``, the torch seed and the ``points`` marker come from ``rnnkit_testing``, exactly as in the
folder students receive, so a public test runs unchanged in both places.
"""

import pytest

pytest_plugins = ["rnnkit_testing"]


@pytest.fixture(scope="session")
def student(request):
    engine = request.config.pluginmanager.get_plugin("rnnkit-sandbox")
    if engine is None:
        pytest.fail(
            "graders run through `rnnkit grade HW SUBMISSION`, which runs the submission in a sandbox",
            pytrace=False,
        )
    return engine.student
