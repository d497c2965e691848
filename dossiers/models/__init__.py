from .code import DossierCodeCounter
from .document import DossierDocument, StoredDocument
from .dossier import Dossier
from .event import DossierEvent
from .slip import Slip

__all__ = ["Dossier", "DossierCodeCounter", "DossierDocument", "DossierEvent", "Slip", "StoredDocument"]
