"""A runbook as declared: its parameters and steps, plain frozen values.

A run keeps a copy of this value as it was when it started (`model/runbook.py`),
so editing `plans/` never changes a runbook halfway through. Everything here is
plain data (text, numbers, timedeltas): templates stay as the text written and
are parsed where they are rendered (`model/argv.py`), so the frozen copy can be
stored and read back without the plans layer.

Step kinds and properties follow SSM Automation, which Incident Manager runs:
`on_failure` abort | continue | step:NAME, `max_attempts`, `timeout`,
`critical` (a failure makes the run failed; by default true unless the step
continues on failure), and `idempotent` (may it run again on its own after a
crash left its outcome unknown?).
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from warroom.model.value import Value


class StepKind(StrEnum):
    MANUAL = "manual"  # a responder does it and confirms
    COMMAND = "command"  # argv run on the bastion, never a shell
    HTTP = "http"  # one request, its status checked
    APPROVE = "approve"  # a second responder (not the starter) approves
    WAIT = "wait"  # a duration, or until the incident's alerts resolve
    NOTIFY = "notify"  # a message to a contact or schedule
    BRANCH = "branch"  # the next step chosen from an earlier step's result

    @property
    def automated(self) -> bool:
        """Done by the process holding the lease (a process, a request, a delivery):
        its outcome is unknown after a crash, unlike a confirmation or a wait."""
        return self in (StepKind.COMMAND, StepKind.HTTP, StepKind.NOTIFY)


class FailureAction(StrEnum):
    ABORT = "abort"
    CONTINUE = "continue"
    GOTO = "step"


ALERTS_RESOLVED = "alerts-resolved"
# how long an automated step may take when the file does not say
DEFAULT_TIMEOUTS = {
    StepKind.COMMAND: timedelta(minutes=10),
    StepKind.HTTP: timedelta(seconds=30),
    StepKind.NOTIFY: timedelta(minutes=5),
}


class Parameter(Value, frozen=True):
    name: str
    description: str = ""
    default: str | None = None  # a template over the alert, e.g. "{labels.instance}"
    required: bool = True


class Manual(Value, frozen=True):
    instructions: str  # Markdown; may name {params.NAME}


class Command(Value, frozen=True):
    argv: tuple[str, ...]  # argv[0] literal; the rest may name {params.NAME}
    cwd: str | None = None
    env: tuple[str, ...] = ()  # variables passed through from warroom's environment


class Http(Value, frozen=True):
    url: str  # may name {params.NAME}
    method: str = "GET"
    expect_status: tuple[int, ...] = ()  # empty: any 2xx


class Approve(Value, frozen=True):
    message: str = ""


class Wait(Value, frozen=True):
    duration: timedelta | None = None
    until: str | None = None  # ALERTS_RESOLVED


class Notify(Value, frozen=True):
    to: str  # contact:NAME or schedule:NAME
    text: str


class Choice(Value, frozen=True):
    """All conditions given must hold; the first choice that holds is taken."""

    goto: str
    exit_code: int | None = None
    status: int | None = None
    output_contains: str | None = None
    output_matches: str | None = None  # a regular expression, searched


class Branch(Value, frozen=True):
    on: str  # an earlier command or http step
    choices: tuple[Choice, ...]
    default: str | None = None  # else the next step in order


Spec = Manual | Command | Http | Approve | Wait | Notify | Branch


class Step(Value, frozen=True):
    name: str
    kind: StepKind
    spec: Spec
    on_failure: FailureAction = FailureAction.ABORT
    goto: str | None = None  # with on_failure step:NAME
    max_attempts: int = 1
    timeout: timedelta | None = None
    critical: bool = True
    idempotent: bool = False

    @property
    def deadline(self) -> timedelta | None:
        """How long one attempt may take: the step's own timeout, else its kind's."""
        if self.timeout is not None:
            return self.timeout
        if isinstance(self.spec, Wait) and self.spec.duration is not None:
            return self.spec.duration
        return DEFAULT_TIMEOUTS.get(self.kind)


class Runbook(Value, frozen=True):
    name: str
    steps: tuple[Step, ...]
    description: str = ""
    parameters: tuple[Parameter, ...] = ()

    def index(self, step: str) -> int:
        for i, candidate in enumerate(self.steps):
            if candidate.name == step:
                return i
        raise KeyError(f"runbook {self.name!r} has no step {step!r}")
