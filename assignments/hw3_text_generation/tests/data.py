from otter.test_files import test_case

OK_FORMAT = False

name = "data"
points = 4

@test_case(points=4, hidden=False, 
    success_message="the public tests of build_vocab, make_segments, vectorize pass. The autograder runs them and hidden tests (more cases of the same functions), so they are only part of your grade.")
def test_data(env):
    from rnnkit_testing import check_notebook
    check_notebook(env, 'text_generation', ['build_vocab', 'make_segments', 'vectorize'], call_timeout=20)

