from otter.test_files import test_case

OK_FORMAT = False

name = "data"
points = 6

@test_case(points=6, hidden=False, 
    success_message="the public tests of build_vocab, numericalize, make_example, pad_batch pass. The autograder runs them and hidden tests (more cases of the same functions), so they are only part of your grade.")
def test_data(env):
    from rnnkit_testing import check_notebook
    check_notebook(env, 'seq2seq', ['build_vocab', 'numericalize', 'make_example', 'pad_batch'], call_timeout=20)

