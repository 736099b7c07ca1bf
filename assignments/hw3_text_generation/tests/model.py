from otter.test_files import test_case

OK_FORMAT = False

name = "model"
points = 4

@test_case(points=4, hidden=False, 
    success_message="the public tests of CharLSTM pass. The autograder runs them and hidden tests (more cases of the same functions), so they are only part of your grade.")
def test_model(env):
    from rnnkit_testing import check_notebook
    check_notebook(env, 'text_generation', ['CharLSTM'], call_timeout=20)

