from .membership import OfficerMembership
from .notification import Notification
from .organisation import Organisation, OrganisationInvitation, OrganisationMembership
from .profile import CitizenProfile
from .token import ApiToken
from .user import User

__all__ = [
    "ApiToken",
    "CitizenProfile",
    "Notification",
    "OfficerMembership",
    "Organisation",
    "OrganisationInvitation",
    "OrganisationMembership",
    "User",
]
