"""hw2_lstm_gates's graders, a package: its test modules get names of their own (hw2_lstm_gates.test_public), so
one process can collect every homework without their modules colliding."""
