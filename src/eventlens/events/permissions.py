"""Who may do what on an event: the one permission table, and the one check every door goes through.

A caller is one of ``Access`` to an event (its owner, an admin, a member with a role) or nothing at
all (a stranger). Each route names one ``Action``; ``ALLOWED`` says which callers may take it. The
README's "Roles per event" table lists every route with its action; a test walks that table.

- A stranger gets 404 for any action, never 403: whether an event exists is not theirs to learn.
- A member whose role does not allow the action gets 403 ``role_not_allowed``: they already know the
  event (it is in their list), and a 404 would tell them it was deleted.
"""

from __future__ import annotations

import enum

from sqlalchemy.orm import Session

from eventlens.errors import ApiError, NotFound
from eventlens.members.repository import MemberRepository
from eventlens.models import Event, User


class Access(enum.StrEnum):
    """What the caller is to one event. An admin who is also a member is still an admin."""

    owner = "owner"
    admin = "admin"
    photographer = "photographer"
    viewer = "viewer"


class Action(enum.StrEnum):
    view = "view"  # the dashboard read-only: the event, its photos, faces, images, counts, QR, members
    upload = "upload"  # add photos (API, pages, FTP) and keep one's own FTP logins
    manage = "manage"  # settings, status, deletion, members, curating photos, everyone's FTP logins


ALLOWED: dict[Action, frozenset[Access]] = {
    Action.view: frozenset(Access),
    Action.upload: frozenset({Access.owner, Access.admin, Access.photographer}),
    Action.manage: frozenset({Access.owner, Access.admin}),
}


class RoleNotAllowed(ApiError):
    def __init__(self, access: Access, action: Action) -> None:
        super().__init__(
            403,
            "role_not_allowed",
            f"As a {access.value} of this event you cannot {action.value} it; ask its owner.",
            {"role": access.value, "action": action.value},
        )


def access_to(db: Session, user: User, event: Event) -> Access | None:
    """What ``user`` is to ``event``; None for a stranger."""
    if event.owner_id == user.id:
        return Access.owner
    if user.is_admin:
        return Access.admin
    role = MemberRepository(db).role(event.id, user.id)
    return Access(role.value) if role is not None else None


def allows(access: Access | None, action: Action) -> bool:
    return access is not None and access in ALLOWED[action]


def require(db: Session, user: User, event: Event | None, action: Action, what: str = "event") -> Access:
    """The caller's access when it allows ``action``: else 404 ``not_found`` for a stranger (or when
    there is no event), 403 ``role_not_allowed`` for a member whose role does not allow it."""
    access = access_to(db, user, event) if event is not None else None
    if access is None:
        raise NotFound(what)
    if access not in ALLOWED[action]:
        raise RoleNotAllowed(access, action)
    return access
