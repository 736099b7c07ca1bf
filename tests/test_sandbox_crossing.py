"""What crosses into the sandbox: the jail's and the worker's typed settings, checked on arrival, and
the frames both ends read with the one reader of channel.py."""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rnnkit import protocol
from rnnkit.sandbox.channel import FrameReader, ReplyTooLarge
from rnnkit.sandbox.settings import JailSettings, ResourceLimits, SettingsError, WorkerSettings

SANDBOX_DIR = Path(__file__).resolve().parents[1] / "autograder" / "rnnkit" / "sandbox"


def jail_settings(**changes):
    worker = WorkerSettings(submission_dir="/s", module="rnn_cell", refused_modules=["torch"], allowed_packages=[])
    fields = dict(
        namespaces=False, python=sys.executable, worker_dir="/w", submission_dir="/s", tmp_dir="/t",
        root_dir="/r", read_only=["/usr"], listable=[], hidden=["/g"], secrets=["/g/x.py"], blocked_samples=[],
        protected_pids=[1, 2], user=(2000, 2000), fallback_user=(65534, 65534), status_fd=5, disk_mb=64,
        limits=ResourceLimits(cpu_seconds=10, memory_mb=1024, data_mb=512, processes=64, file_mb=16, open_files=256),
        env={"LANG": "C.UTF-8"}, worker=worker,
    )
    fields.update(changes)
    return JailSettings(**fields)


def test_settings_cross_as_json_and_come_back_equal():
    settings = jail_settings()
    assert JailSettings.from_json(settings.to_json()) == settings
    assert JailSettings.from_json(jail_settings(user=None).to_json()).user is None


@pytest.mark.parametrize("change, named", [
    (lambda d: d.update(disk_mb="64"), "JailSettings.disk_mb: expected int, got str"),
    (lambda d: d.update(namespaces=1), "JailSettings.namespaces: expected bool, got int"),
    (lambda d: d["limits"].update(data_mb=True), "JailSettings.limits.data_mb: expected int, got bool"),
    (lambda d: d.update(user=[1, 2, 3]), "JailSettings.user: expected 2 items, got 3"),
    (lambda d: d["read_only"].append(7), "JailSettings.read_only[1]: expected str, got int"),
    (lambda d: d["worker"].pop("module"), "JailSettings.worker: missing keys ['module']"),
    (lambda d: d.update(memory_mb=1024), "JailSettings: unknown keys ['memory_mb']"),
    (lambda d: d["env"].update(PATH=None), "JailSettings.env['PATH']: expected str, got NoneType"),
])
def test_a_setting_of_the_wrong_shape_is_refused_naming_the_field(change, named):
    data = json.loads(jail_settings().to_json())
    change(data)
    with pytest.raises(SettingsError) as raised:
        JailSettings.from_json(json.dumps(data))
    assert str(raised.value) == named


def test_the_jail_refuses_bad_settings_before_building_anything():
    data = json.loads(jail_settings().to_json())
    data["limits"]["cpu_seconds"] = "lots"
    proc = subprocess.run([sys.executable, "-I", "-S", str(SANDBOX_DIR / "jail.py"), json.dumps(data)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "SettingsError: JailSettings.limits.cpu_seconds: expected int, got str" in proc.stderr


def test_one_reader_drops_an_oversized_frame_and_reads_the_next():
    read_end, write_end = os.pipe()
    frames = [protocol.encode_frame({"op": "result", "value": "x" * 5000}), protocol.encode_frame({"op": "ready"})]
    writer = threading.Thread(target=lambda: [os.write(write_end, frame) for frame in frames])
    writer.start()
    idle = []
    reader = FrameReader(read_end, on_idle=lambda: idle.append(1))
    with pytest.raises(ReplyTooLarge) as raised:
        reader.read_payload(time.monotonic() + 10, max_bytes=1000)
    assert raised.value.size == len(frames[0]) - protocol.HEADER_SIZE
    assert protocol.decode_payload(reader.read_payload(time.monotonic() + 10)) == {"op": "ready"}
    writer.join()
    with pytest.raises(TimeoutError):  # nothing more comes: the deadline ends the wait
        reader.read_payload(time.monotonic() + 0.3)
    assert idle  # the grader's end checked the disk while it waited
    os.close(write_end)
    with pytest.raises(EOFError):
        FrameReader(read_end).read_payload()  # the worker's end: blocking, until the grader is gone
    os.close(read_end)
