from .code import DossierCodeCounter
from .document import DossierDocument, StoredDocument
from .dossier import Dossier
from .event import DossierEvent, EventAnchor
from .payment import DossierDelivery, Payment, PaymentCallback, PaymentRefund
from .process import AgencyDigest, Consultation, DossierResult, DossierStep
from .quality import IndexRule, IndexRuleSet, MissionTarget
from .slip import Slip
from .stats import DailyStat, MonthlyStat, ReportFormat, StatsSubscription

__all__ = [
    "AgencyDigest",
    "DailyStat",
    "Consultation",
    "Dossier",
    "DossierResult",
    "DossierStep",
    "DossierCodeCounter",
    "DossierDelivery",
    "DossierDocument",
    "DossierEvent",
    "EventAnchor",
    "IndexRule",
    "IndexRuleSet",
    "MissionTarget",
    "MonthlyStat",
    "Payment",
    "PaymentCallback",
    "PaymentRefund",
    "ReportFormat",
    "Slip",
    "StatsSubscription",
    "StoredDocument",
]
