from otter.test_files import test_case

OK_FORMAT = False

name = "sampling"
points = 1

@test_case(points=1, hidden=False, 
    success_message="the public tests of sample_next pass. The autograder runs them and hidden tests (more cases of the same functions), so they are only part of your grade.")
def test_sampling(env):
    from rnnkit_testing import check_notebook
    check_notebook(env, 'text_generation', ['sample_next'], call_timeout=20)

