from .agency import Agency, Department
from .calendar import DayException
from .catalogue import DocumentRequirement, Fee, Procedure, ProcedureVersion, Sector
from .rulebook import RuleSet

__all__ = [
    "Agency",
    "DayException",
    "Department",
    "DocumentRequirement",
    "Fee",
    "Procedure",
    "ProcedureVersion",
    "RuleSet",
    "Sector",
]
