from .code import DossierCodeCounter
from .document import DocumentPreview, DossierDocument, StoredDocument
from .dossier import Dossier
from .event import DossierEvent, EventAnchor
from .lookup import NationalDataLookup
from .payment import DossierDelivery, Payment, PaymentCallback, PaymentRefund
from .process import AgencyDigest, Consultation, DossierResult, DossierStep
from .quality import IndexRule, IndexRuleSet, MissionTarget
from .saved_filter import SavedFilter
from .slip import Slip
from .stats import DailyStat, MonthlyStat, ReportFormat, StatsSubscription

__all__ = [
    "AgencyDigest",
    "DailyStat",
    "Consultation",
    "DocumentPreview",
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
    "NationalDataLookup",
    "Payment",
    "PaymentCallback",
    "PaymentRefund",
    "ReportFormat",
    "SavedFilter",
    "Slip",
    "StatsSubscription",
    "StoredDocument",
]
