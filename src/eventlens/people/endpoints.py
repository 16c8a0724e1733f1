"""/api/events/{id}/people: the event's faces grouped into people, and curating them (merge, split, name)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from eventlens.context import Ctx, DbSession
from eventlens.events.dependencies import OwnedEvent, ViewEvent
from eventlens.openapi import content, errors
from eventlens.people import service
from eventlens.people.schemas import (
    PersonFaceList,
    PersonHide,
    PersonList,
    PersonMerge,
    PersonPhotoList,
    PersonRead,
    PersonSplit,
    PersonUpdate,
    RegroupQueued,
)

router = APIRouter(prefix="/api/events/{event_id}", tags=["people"])


@router.get("/people", response_model=PersonList, responses=errors(401, 404, 422))
def list_people(
    event: ViewEvent,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> PersonList:
    """The event's people (its searchable faces grouped), most photos first. Names are the
    photographer's own labels: guests never see them."""
    items, next_cursor = service.list_people(db, event, limit, cursor)
    return PersonList(items=items, next_cursor=next_cursor)


@router.post(
    "/people/regroup",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RegroupQueued,
    responses=errors(401, 403, 404, 422),
)
def regroup(event: OwnedEvent, db: DbSession) -> RegroupQueued:
    """Group the event's faces again from scratch (a job). Named, merged and split people are kept as
    they are; the others are replaced (with new ids)."""
    service.queue_regroup(db, event)
    return RegroupQueued()


@router.patch("/people/{person_id}", response_model=PersonRead, responses=errors(400, 401, 403, 404, 422))
def update_person(
    event_id: uuid.UUID, person_id: uuid.UUID, body: PersonUpdate, event: OwnedEvent, db: DbSession
) -> PersonRead:
    """Name the person (`{"name": null}` or blank removes the name). A named person is kept by a regroup."""
    return service.rename(db, event, person_id, body.name)


@router.get("/people/{person_id}/photos", response_model=PersonPhotoList, responses=errors(401, 404, 422))
def person_photos(
    event_id: uuid.UUID,
    person_id: uuid.UUID,
    event: ViewEvent,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> PersonPhotoList:
    """The person's photos in upload order, each with the person's faces in it."""
    items, next_cursor = service.person_photos(db, event, person_id, limit, cursor)
    return PersonPhotoList(items=items, next_cursor=next_cursor)


@router.get("/people/{person_id}/faces", response_model=PersonFaceList, responses=errors(401, 404, 422))
def person_faces(
    event_id: uuid.UUID, person_id: uuid.UUID, event: ViewEvent, db: DbSession
) -> PersonFaceList:
    """Every face of the person (what `split` takes), oldest first."""
    return PersonFaceList(items=service.person_faces(db, event, person_id))


@router.post(
    "/people/{person_id}/merge", response_model=PersonRead, responses=errors(400, 401, 403, 404, 409, 422)
)
def merge_person(
    event_id: uuid.UUID, person_id: uuid.UUID, body: PersonMerge, event: OwnedEvent, db: DbSession
) -> PersonRead:
    """Move all of this person's faces to `into` (a person of the same event) and remove this one.
    `into` keeps its id and name (or takes this one's name when it has none). 422 `same_person`,
    422 `unknown_person` for an `into` that is not the event's."""
    return service.merge(db, event, person_id, body.into)


@router.post("/people/{person_id}/hide", response_model=PersonRead, responses=errors(400, 401, 403, 404, 422))
def hide_person(
    event_id: uuid.UUID,
    person_id: uuid.UUID,
    event: OwnedEvent,
    db: DbSession,
    body: PersonHide | None = None,
) -> PersonRead:
    """Never show this person to a guest's search again; with `photos_too`, their photos also leave the
    guest gallery. New photos of them are hidden as they arrive, and reprocessing keeps them hidden."""
    return service.hide(db, event, person_id, photos_too=(body or PersonHide()).photos_too)


@router.post("/people/{person_id}/unhide", response_model=PersonRead, responses=errors(401, 403, 404, 422))
def unhide_person(event_id: uuid.UUID, person_id: uuid.UUID, event: OwnedEvent, db: DbSession) -> PersonRead:
    """Let guests find the person again (and show the photos their hiding took out of the gallery)."""
    return service.unhide(db, event, person_id)


@router.post(
    "/people/{person_id}/split",
    status_code=status.HTTP_201_CREATED,
    response_model=PersonRead,
    responses=errors(400, 401, 403, 404, 422),
)
def split_person(
    event_id: uuid.UUID, person_id: uuid.UUID, body: PersonSplit, event: OwnedEvent, db: DbSession
) -> PersonRead:
    """These faces of the person become a new person (answered). 422 `unknown_faces` when one is not
    this person's, `nothing_left` when they are all of them."""
    return service.split(db, event, person_id, body.face_ids)


@router.get(
    "/faces/{face_id}/thumbnail",
    response_class=Response,
    responses=content("image/webp", description="A square crop of the face (WebP, at most 160 px).")
    | errors(401, 404, 422),
)
def face_thumbnail(
    event_id: uuid.UUID, face_id: uuid.UUID, event: ViewEvent, db: DbSession, ctx: Ctx
) -> Response:
    """A crop of one face of the event, from its photo's preview (made once, then kept)."""
    data = service.face_thumbnail(db, ctx.storage, event, face_id)
    return Response(data, media_type="image/webp", headers={"Cache-Control": "private, max-age=86400"})
