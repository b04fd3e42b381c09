"""Zeebe-flavoured BPMN 2.0: read a file safely, validate it as Zeebe does, and give the engine
an immutable model to interpret (and the dashboard the diagram to draw).

``parse(data)`` returns ``Definitions`` or raises ``BpmnParseError`` (unreadable or hostile
XML) or ``BpmnValidationError`` (every problem, each naming the element). ``read(data)`` returns
the model and its problems without raising for the latter. Pure: no I/O beyond the bytes given.
"""

from ._activities import USER_TASK_JOB_TYPE as USER_TASK_JOB_TYPE
from ._api import ReadResult as ReadResult
from ._api import parse as parse
from ._api import read as read
from ._diagram import Bounds as Bounds
from ._diagram import Diagram as Diagram
from ._diagram import Edge as Edge
from ._diagram import Plane as Plane
from ._diagram import Point as Point
from ._diagram import Shape as Shape
from ._errors import BpmnError as BpmnError
from ._errors import BpmnParseError as BpmnParseError
from ._errors import BpmnValidationError as BpmnValidationError
from ._errors import Problem as Problem
from ._model import CalledElement as CalledElement
from ._model import Definitions as Definitions
from ._model import ElementType as ElementType
from ._model import Error as Error
from ._model import Escalation as Escalation
from ._model import EventDefinition as EventDefinition
from ._model import EventKind as EventKind
from ._model import Expr as Expr
from ._model import FlowNode as FlowNode
from ._model import IoMapping as IoMapping
from ._model import JobDefinition as JobDefinition
from ._model import Message as Message
from ._model import MultiInstance as MultiInstance
from ._model import Participant as Participant
from ._model import Process as Process
from ._model import Script as Script
from ._model import SequenceFlow as SequenceFlow
from ._model import Signal as Signal
from ._model import Timer as Timer
from ._model import TimerKind as TimerKind
from ._model import UserTask as UserTask
from ._model import Value as Value
from ._model import VariableMapping as VariableMapping
from ._reader import CheckExpression as CheckExpression
from ._timer import CronSchedule as CronSchedule
from ._timer import IsoDuration as IsoDuration
from ._timer import RepeatingInterval as RepeatingInterval
from ._timer import TimerValueError as TimerValueError
from ._timer import parse_cycle as parse_cycle
from ._timer import parse_date as parse_date
from ._timer import parse_duration as parse_duration
from ._xml import DEFAULT_MAX_DEPTH as DEFAULT_MAX_DEPTH
from ._xml import DEFAULT_MAX_SIZE_BYTES as DEFAULT_MAX_SIZE_BYTES

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_SIZE_BYTES",
    "USER_TASK_JOB_TYPE",
    "Bounds",
    "BpmnError",
    "BpmnParseError",
    "BpmnValidationError",
    "CalledElement",
    "CheckExpression",
    "CronSchedule",
    "Definitions",
    "Diagram",
    "Edge",
    "ElementType",
    "Error",
    "Escalation",
    "EventDefinition",
    "EventKind",
    "Expr",
    "FlowNode",
    "IoMapping",
    "IsoDuration",
    "JobDefinition",
    "Message",
    "MultiInstance",
    "Participant",
    "Plane",
    "Point",
    "Problem",
    "Process",
    "ReadResult",
    "RepeatingInterval",
    "Script",
    "SequenceFlow",
    "Shape",
    "Signal",
    "Timer",
    "TimerKind",
    "TimerValueError",
    "UserTask",
    "Value",
    "VariableMapping",
    "parse",
    "parse_cycle",
    "parse_date",
    "parse_duration",
    "read",
]
