"""The student's code as the tests call it: ``InProcessStudent`` (the student's own pytest and
grader.check) behaves as the autograder's sandbox proxy does, and ``StudentObject`` is an object
their code built."""

import copy
import os
import sys
import traceback
import warnings

import numpy as np

from .failures import StudentCodeError, SubmissionFailed

_THIS_PACKAGE = os.path.join(os.path.dirname(os.path.realpath(__file__)), "")  # its frames are not the student's


class StudentObject:
    """An object the student's code built (a ``CharLSTM``), as the tests hold it.

    In the autograder the object lives in the sandbox and this is a handle to it: ``call`` runs one
    of its methods there, tensors go in as tensors and come back as numpy arrays, and passing the
    handle to another student function (``student.generate(model, ...)``) passes the object
    itself. In the student's own pytest run it wraps the real object and behaves the same way.
    """

    rnnkit_handle = None  # the protocol sends a handle as {"__handle__": n}

    def __init__(self, call, type_name, handle=None, target=None):
        self._call_method = call
        self.type_name = type_name
        self.rnnkit_handle = handle
        self._target = target

    def __repr__(self):
        return f"<student's {self.type_name}>"

    def call(self, method, *args, **kwargs):
        """``object.method(*args, **kwargs)``, with tensors in the result as numpy arrays."""
        return self._call_method(method, args, kwargs)

    def state(self):
        """{name: numpy array} of its ``state_dict()`` (an ``nn.Module``'s weights)."""
        return dict(self.call("state_dict"))

    def load_state(self, arrays):
        """Set its weights from ``{name: array}`` (``load_state_dict``, strict)."""
        import torch

        self.call("load_state_dict", {name: torch.tensor(np.asarray(value)) for name, value in arrays.items()})

    def parameter_count(self):
        return int(sum(np.size(value) for value in self.state().values()))


def _as_sent(value):
    """A result as it would come back from the sandbox: tensors as numpy arrays, any tuple (a
    named one too) as a plain tuple."""
    if isinstance(value, tuple):
        return tuple(_as_sent(item) for item in value)
    if isinstance(value, list):
        return [_as_sent(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_sent(item) for key, item in value.items()}
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return value


def _copied(value):
    """An argument as the sandbox receives it: a copy, but a StudentObject is its object itself."""
    if isinstance(value, StudentObject):
        return value._target
    if isinstance(value, tuple):
        return tuple(_copied(item) for item in value)
    if isinstance(value, list):
        return [_copied(item) for item in value]
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    return copy.deepcopy(value)


def reseed():
    """The random state every call of the student's code starts from, here as in the sandbox
    (worker.py does the same): the same call always sees the same random numbers, so code that
    draws from the global ``np.random`` gets the same verdict here, in grader.check and graded."""
    import random

    random.seed(0)
    np.random.seed(0)
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "manual_seed"):
        torch.manual_seed(0)


class _CallTimeout(BaseException):
    pass


class _Timer:
    """``with _Timer(seconds):`` stops the block after ``seconds`` as the sandbox stops a call
    (in the main thread only, where signals can be caught; elsewhere it does nothing)."""

    def __init__(self, seconds):
        import threading

        self.seconds = seconds if threading.current_thread() is threading.main_thread() else None

    def __enter__(self):
        import signal

        if self.seconds:
            self.previous = signal.signal(signal.SIGALRM, self._alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def _alarm(self, signum, frame):
        raise _CallTimeout()

    def __exit__(self, *exc_info):
        import signal

        if self.seconds:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


class InProcessStudent:
    """Calls the student's module directly (the student's own ``pytest`` run, and grader.check).

    The autograder replaces this with a proxy to a sandbox with the same interface, and this one
    behaves the same way: the random state is reset before each call (``reseed``); arguments are
    deep-copied (they are serialized into the sandbox), ``call_with_inputs`` returns them as the
    function left them, so an in-place edit fails the same "inputs unchanged" tests here and
    there; a call that runs longer than ``call_timeout`` seconds is stopped and not made again;
    and an exception from the student's code arrives as the same ``StudentCodeError`` with the
    traceback trimmed to their files.
    """

    def __init__(self, module, call_timeout=None):
        self._module = module
        self._folder = os.path.dirname(os.path.realpath(module.__file__))
        self._file = os.path.basename(module.__file__)  # text_generation.py, or .ipynb in a notebook
        self._call_timeout = call_timeout
        self._given_up = {}

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call_with_inputs(name, *args, **kwargs)[0]

    def _run(self, label, function, args, kwargs):
        """``function(*args, **kwargs)`` as the sandbox runs a call: reseeded, timed, its
        exceptions reported as the student's."""
        if label in self._given_up:
            raise SubmissionFailed(self._given_up[label])
        reseed()
        try:
            with _Timer(self._call_timeout):
                return function(*args, **kwargs)
        except _CallTimeout:
            self._given_up[label] = (
                f"`{label}` did not return within {self._call_timeout:g} s "
                "(an infinite loop, or far too slow); it is not called again"
            )
            raise SubmissionFailed(self._given_up[label]) from None
        except Exception as error:  # the student's bug, reported as the sandbox reports it
            raise self._student_error(label, error) from error

    def call_with_inputs(self, name, *args, **kwargs):
        """Call ``name`` and return ``(result, args_after, kwargs_after)``: the arguments as the
        student's function left them, to check that it did not modify its inputs."""
        function = getattr(self._module, name, None)
        if not callable(function):
            raise SubmissionFailed(f"{self._file} has no function named `{name}`")
        args, kwargs = _copied(args), _copied(kwargs)
        result = self._run(name, function, args, kwargs)
        return _as_sent(result), args, kwargs

    def make(self, name, *args, **kwargs):
        """Build an object with the student's ``name`` and hold it (see StudentObject)."""
        function = getattr(self._module, name, None)
        if not callable(function):
            raise SubmissionFailed(f"{self._file} has no function named `{name}`")
        target = self._run(name, function, _copied(args), _copied(kwargs))

        def call(method, method_args, method_kwargs):
            label = f"{name}.{method}"
            try:
                bound = getattr(target, method)
            except Exception as error:
                raise self._student_error(label, error) from error
            return _as_sent(self._run(label, bound, _copied(method_args), _copied(method_kwargs)))

        return StudentObject(call, type(target).__name__, target=target)

    def _student_error(self, name, error):
        folder = os.path.join(self._folder, "")
        frames = [
            frame for frame in traceback.extract_tb(error.__traceback__)
            if os.path.realpath(frame.filename).startswith(folder)
            and not os.path.realpath(frame.filename).startswith(_THIS_PACKAGE)
        ]
        for frame in frames:
            frame.filename = os.path.relpath(os.path.realpath(frame.filename), folder)
        message = "".join(traceback.format_exception_only(type(error), error)).strip()
        return StudentCodeError(
            f"`{name}` raised {message.replace(folder, '')}",
            [cls.__name__ for cls in type(error).__mro__],
            "".join(traceback.format_list(frames)),
        )

    def call_with_warnings(self, name, *args, **kwargs):
        """Call ``name`` and return ``(result, warnings)``: the warnings the call raised, each as
        ``"Category: message"`` (for example numpy's "RuntimeWarning: overflow encountered in exp")."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = self.call_with_inputs(name, *args, **kwargs)[0]
        return result, [f"{w.category.__name__}: {w.message}" for w in caught]
