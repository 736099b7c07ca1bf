"""hw3_text_generation's graders, a package: its test modules get names of their own (hw3_text_generation.test_public), so
one process can collect every homework without their modules colliding."""
