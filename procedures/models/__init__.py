from .agency import Agency, Department
from .calendar import DayException

__all__ = ["Agency", "DayException", "Department"]
