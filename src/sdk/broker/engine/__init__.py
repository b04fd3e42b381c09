"""The process engine's pure core: an instance's state and one command give the new state and
the effects (jobs, timers, subscriptions, incidents, history) for the store to persist in the
same transaction. No I/O, no clock, no threads: the store passes the time and the keys.

Zeebe is the reference for every behaviour: element lifecycles, variable scopes and their
propagation, incidents and their resolution, error and escalation catching.
"""

from ._commands import BroadcastSignal as BroadcastSignal
from ._commands import CallFailed as CallFailed
from ._commands import CancelInstance as CancelInstance
from ._commands import CatchFromChild as CatchFromChild
from ._commands import Command as Command
from ._commands import CompleteChild as CompleteChild
from ._commands import CompleteJob as CompleteJob
from ._commands import CompleteUserTask as CompleteUserTask
from ._commands import CorrelateMessage as CorrelateMessage
from ._commands import CreateInstance as CreateInstance
from ._commands import FailJob as FailJob
from ._commands import ResolveIncident as ResolveIncident
from ._commands import ResumeThrow as ResumeThrow
from ._commands import SetVariables as SetVariables
from ._commands import ThrowError as ThrowError
from ._commands import TriggerTimer as TriggerTimer
from ._commands import UpdateJobRetries as UpdateJobRetries
from ._effects import ChildCanceled as ChildCanceled
from ._effects import ChildRequested as ChildRequested
from ._effects import Effect as Effect
from ._effects import ElementChanged as ElementChanged
from ._effects import FlowTaken as FlowTaken
from ._effects import IncidentCreated as IncidentCreated
from ._effects import IncidentResolved as IncidentResolved
from ._effects import InstanceCompleted as InstanceCompleted
from ._effects import InstanceTerminated as InstanceTerminated
from ._effects import JobCanceled as JobCanceled
from ._effects import JobCreated as JobCreated
from ._effects import JobRetriesChanged as JobRetriesChanged
from ._effects import SignalThrown as SignalThrown
from ._effects import Step as Step
from ._effects import SubscriptionClosed as SubscriptionClosed
from ._effects import SubscriptionOpened as SubscriptionOpened
from ._effects import ThrownToCaller as ThrownToCaller
from ._effects import ThrowReturned as ThrowReturned
from ._effects import TimerCanceled as TimerCanceled
from ._effects import TimerScheduled as TimerScheduled
from ._effects import UserTaskCanceled as UserTaskCanceled
from ._effects import UserTaskCreated as UserTaskCreated
from ._effects import VariableSet as VariableSet
from ._engine import Engine as Engine
from ._engine import Rejected as Rejected
from ._run import Definition as Definition
from ._state import ElementInstance as ElementInstance
from ._state import ElementState as ElementState
from ._state import Incident as Incident
from ._state import InstanceState as InstanceState
from ._state import Job as Job
from ._state import Subscription as Subscription
from ._state import Timer as Timer
from ._timers import start_event_due as start_event_due
from ._variables import visible as visible_variables

__all__ = [
    "BroadcastSignal",
    "CallFailed",
    "CancelInstance",
    "CatchFromChild",
    "ChildCanceled",
    "ChildRequested",
    "Command",
    "CompleteChild",
    "CompleteJob",
    "CompleteUserTask",
    "CorrelateMessage",
    "CreateInstance",
    "Definition",
    "Effect",
    "ElementChanged",
    "ElementInstance",
    "ElementState",
    "Engine",
    "FailJob",
    "FlowTaken",
    "Incident",
    "IncidentCreated",
    "IncidentResolved",
    "InstanceCompleted",
    "InstanceState",
    "InstanceTerminated",
    "Job",
    "JobCanceled",
    "JobCreated",
    "JobRetriesChanged",
    "Rejected",
    "ResolveIncident",
    "ResumeThrow",
    "SetVariables",
    "SignalThrown",
    "Step",
    "Subscription",
    "SubscriptionClosed",
    "SubscriptionOpened",
    "ThrowError",
    "ThrowReturned",
    "ThrownToCaller",
    "Timer",
    "TimerCanceled",
    "TimerScheduled",
    "TriggerTimer",
    "UpdateJobRetries",
    "UserTaskCanceled",
    "UserTaskCreated",
    "VariableSet",
    "start_event_due",
    "visible_variables",
]
