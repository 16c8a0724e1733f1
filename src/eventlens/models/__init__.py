"""All models, imported here so that metadata (and Alembic) sees every table."""

from eventlens.models.api_token import ApiToken
from eventlens.models.event import Event, EventStatus, FaceDetail
from eventlens.models.event_member import EventMember, MemberRole
from eventlens.models.face import Face
from eventlens.models.face_block import BlockSource, FaceBlock, PhotoDecision
from eventlens.models.face_collection import FaceCollection
from eventlens.models.ftp_credential import FtpCredential
from eventlens.models.guest_download import GuestDownload
from eventlens.models.guest_search import GuestSearch
from eventlens.models.inbound_webhook import InboundWebhookMessage
from eventlens.models.person import Person
from eventlens.models.photo import Photo, PhotoSource, PhotoStatus
from eventlens.models.photo_bib import PhotoBib
from eventlens.models.session import UserSession
from eventlens.models.subscription import MailStatus, NotifyMail, NotifyMatch, NotifySubscription
from eventlens.models.user import Role, User
from eventlens.models.webhook import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiToken",
    "BlockSource",
    "DeliveryStatus",
    "Event",
    "EventMember",
    "EventStatus",
    "Face",
    "FaceBlock",
    "FaceCollection",
    "FaceDetail",
    "FtpCredential",
    "GuestDownload",
    "GuestSearch",
    "InboundWebhookMessage",
    "MailStatus",
    "MemberRole",
    "NotifyMail",
    "NotifyMatch",
    "NotifySubscription",
    "Person",
    "Photo",
    "PhotoBib",
    "PhotoDecision",
    "PhotoSource",
    "PhotoStatus",
    "Role",
    "User",
    "UserSession",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
