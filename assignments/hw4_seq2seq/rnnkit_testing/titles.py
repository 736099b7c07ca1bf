"""What a test is called and what it is about, parsed from its docstring in one place."""


def test_title(item):
    """A test's name as students read it: its docstring's first line, plus the case of a
    parametrized test ("rnn_forward: h_last is the state after the last step [relu]")."""
    doc = (getattr(item.function, "__doc__", None) or "").strip()
    name = doc.splitlines()[0] if doc else item.originalname
    callspec = getattr(item, "callspec", None)
    return f"{name} [{callspec.id}]" if callspec is not None else name


def test_subject(title):
    """What a test is about, from its title: the function or method before the colon
    ("CharLSTM.forward: logits ..." -> CharLSTM.forward), or, for a test about a topic that is
    parametrized by function ("LSTM gates: ... [forget_gate]"), that function."""
    subject = title.split(":", 1)[0].strip()
    case = title.rsplit("[", 1)[-1].rstrip("]") if title.endswith("]") else ""
    if not subject.replace(".", "_").isidentifier() and case.isidentifier():
        return case
    return subject


def tested_function(title):
    """The student function (or class) a test's title names: "CharLSTM.forward: logits ..." -> CharLSTM."""
    return test_subject(title).split(".", 1)[0]
