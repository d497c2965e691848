from .code import DossierCodeCounter
from .document import DossierDocument, StoredDocument
from .dossier import Dossier
from .event import DossierEvent
from .process import Consultation, DossierResult, DossierStep
from .slip import Slip

__all__ = [
    "Consultation",
    "Dossier",
    "DossierResult",
    "DossierStep",
    "DossierCodeCounter",
    "DossierDocument",
    "DossierEvent",
    "Slip",
    "StoredDocument",
]
