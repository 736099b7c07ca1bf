from otter.test_files import test_case

OK_FORMAT = False

name = "generate"
points = 1

@test_case(points=1, hidden=False, 
    success_message="the public tests of generate pass. The autograder runs them and hidden tests (more cases of the same functions), so they are only part of your grade.")
def test_generate(env):
    from rnnkit_testing import check_notebook
    check_notebook(env, 'text_generation', ['generate'], call_timeout=20)

