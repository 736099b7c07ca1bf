"""hw4_seq2seq's graders, a package: its test modules get names of their own (hw4_seq2seq.test_public), so
one process can collect every homework without their modules colliding."""
