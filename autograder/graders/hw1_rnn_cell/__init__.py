"""hw1_rnn_cell's graders, a package: its test modules get names of their own (hw1_rnn_cell.test_public), so
one process can collect every homework without their modules colliding."""
