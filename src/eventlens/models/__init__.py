"""All models, imported here so that metadata (and Alembic) sees every table."""

from eventlens.models.api_token import ApiToken
from eventlens.models.event import Event, EventStatus, FaceDetail
from eventlens.models.event_member import EventMember, MemberRole
from eventlens.models.face import Face
from eventlens.models.ftp_credential import FtpCredential
from eventlens.models.guest_download import GuestDownload
from eventlens.models.guest_search import GuestSearch
from eventlens.models.photo import Photo, PhotoSource, PhotoStatus
from eventlens.models.session import UserSession
from eventlens.models.user import Role, User

__all__ = [
    "ApiToken",
    "Event",
    "EventMember",
    "EventStatus",
    "Face",
    "FaceDetail",
    "FtpCredential",
    "GuestDownload",
    "GuestSearch",
    "MemberRole",
    "Photo",
    "PhotoSource",
    "PhotoStatus",
    "Role",
    "User",
    "UserSession",
]
