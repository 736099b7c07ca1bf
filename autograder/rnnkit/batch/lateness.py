"""How late each submission was, and the penalty an instructor's late policy gives it.

Lateness is the submission's ``created_at`` (from the export's metadata) past the due date the
instructor gives (``--due``); the export itself does not say when the homework was due. A late
policy is written as the instructor would say it, items separated by commas:

    10%/day                   10 percent of the score per started day late
    2%/hour,grace=15m         per started hour, after a 15-minute grace period
    10%/day,grace=1h,cap=50%  never more than half of the score

The penalty is a share of the score the submission earned (not of the maximum), counted per
started unit past the grace period: 25 hours late at 10%/day is two days, 20%. Without a policy
nothing is taken off; the lateness is still reported.
"""

import datetime
import math
import re
from dataclasses import dataclass

from rnnkit.errors import KitError

_UNITS = {"m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400, "w": 604800, "week": 604800}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]+?)s?\s*$")
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*/\s*([a-z]+?)s?\s*$")
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


class BadLateOption(KitError, ValueError):
    """--due or --late-policy cannot be read (one clear line for the instructor)."""


def _seconds(text, what):
    match = _DURATION.match(text.lower())
    if not match or match[2] not in _UNITS:
        raise BadLateOption(f"{what}: {text!r} is not a duration (write e.g. 15m, 2h, 1d)")
    return float(match[1]) * _UNITS[match[2]]


@dataclass(frozen=True)
class LatePolicy:
    percent_per_unit: float
    unit_seconds: float
    grace_seconds: float = 0.0
    cap_percent: float = 100.0
    text: str = ""

    @classmethod
    def parse(cls, text):
        rate = unit = None
        grace, cap = 0.0, 100.0
        for item in filter(None, (part.strip() for part in text.split(","))):
            key, _, value = item.partition("=")
            key = key.strip().lower()
            if key == "grace" and value:
                grace = _seconds(value, "--late-policy grace")
            elif key == "cap" and value:
                match = _PERCENT.match(value)
                if not match or float(match[1]) > 100:
                    raise BadLateOption(f"--late-policy cap: {value!r} is not a percentage (write e.g. cap=50%)")
                cap = float(match[1])
            elif (match := _RATE.match(item.lower())) and match[2] in _UNITS:
                rate, unit = float(match[1]), _UNITS[match[2]]
            else:
                raise BadLateOption(
                    f"--late-policy: cannot read {item!r} (write e.g. '10%/day,grace=15m,cap=50%')"
                )
        if rate is None:
            raise BadLateOption(f"--late-policy {text!r} gives no rate (write e.g. '10%/day')")
        return cls(rate, unit, grace, cap, text.strip())

    def penalty_percent(self, late_seconds):
        """The share of the score taken off for a submission ``late_seconds`` late (0 when on time)."""
        if late_seconds is None or late_seconds <= self.grace_seconds:
            return 0.0
        units = math.ceil((late_seconds - self.grace_seconds) / self.unit_seconds)
        return min(self.cap_percent, units * self.percent_per_unit)

    def describe(self):
        unit = next(name for name, seconds in _UNITS.items() if seconds == self.unit_seconds and len(name) > 1)
        parts = [f"{self.percent_per_unit:g}% of the earned score per started {unit} late"]
        if self.grace_seconds:
            parts.append(f"after a grace period of {format_lateness(self.grace_seconds)} (H:M:S)")
        if self.cap_percent < 100:
            parts.append(f"at most {self.cap_percent:g}% in all")
        return ", ".join(parts)


def parse_due(text):
    """The due date: an ISO date and time with its UTC offset ("2026-10-31T23:59-07:00")."""
    try:
        due = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadLateOption(f"--due: {text!r} is not a date and time (write e.g. 2026-10-31T23:59-07:00)") from None
    if due.tzinfo is None:
        raise BadLateOption(
            f"--due {text!r} has no UTC offset: Gradescope records submission times with one, so "
            "write the due date's too (e.g. 2026-10-31T23:59-07:00)"
        )
    return due


def submitted_at(created_at):
    """A submission's time as an aware datetime (None when missing or not Gradescope's form,
    whose times carry their UTC offset)."""
    try:
        created = datetime.datetime.fromisoformat(str(created_at or "").strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return created if created.tzinfo is not None else None


def late_seconds(created_at, due):
    """How many seconds after ``due`` the submission came (0 when on time; None when unknown)."""
    created = submitted_at(created_at)
    if due is None or created is None:
        return None
    return max(0.0, (created - due).total_seconds())


def format_lateness(seconds):
    """Gradescope's own form for lateness: H:M:S (hours may exceed 24)."""
    if seconds is None:
        return ""
    whole = int(round(seconds))
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


@dataclass(frozen=True)
class Deadline:
    """The due date and late policy a grade-export applies (either may be None)."""

    due: datetime.datetime | None = None
    policy: LatePolicy | None = None

    def late_seconds(self, submission):
        return late_seconds(submission.created_at, self.due)

    def penalty_percent(self, submission):
        return self.policy.penalty_percent(self.late_seconds(submission)) if self.policy else 0.0

    def final_score(self, submission, score):
        """``score`` after the late penalty (the score itself without a policy)."""
        return score * (1 - self.penalty_percent(submission) / 100)

    def describe(self):
        """One sentence for the report ("" when nothing was given)."""
        if self.due is None:
            return ""
        text = f"Due {self.due.isoformat(sep=' ', timespec='minutes')}; lateness is counted from each submission's time in the export."
        if self.policy:
            text += f" Late policy ({self.policy.text}): {self.policy.describe()}; the final score is the score after it."
        else:
            text += " No late policy was given: no score was changed."
        return text
