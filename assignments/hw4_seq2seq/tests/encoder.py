from otter.test_files import test_case

OK_FORMAT = False

name = "encoder"
points = 2

@test_case(points=2, hidden=False, 
    success_message="the public tests of EncoderRNN pass. The autograder runs them and hidden tests (more cases of the same functions), so they are only part of your grade.")
def test_encoder(env):
    from rnnkit_testing import check_notebook
    check_notebook(env, 'seq2seq', ['EncoderRNN'], call_timeout=20)

