"""Pages of the notify e-mails' links: ``/n/{token}`` (the guest's photos, no selfie needed) and
``/unsubscribe/{token}`` (GET: a confirmation page; POST: RFC 8058 one-click, deletes at once)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from eventlens.context import Ctx
from eventlens.errors import NotFound
from eventlens.notify import links
from eventlens.notify import service as notify
from eventlens.notify.dependencies import Notify
from eventlens.web.rendering import render, t

router = APIRouter(include_in_schema=False)


def _missing(request: Request) -> Response:
    return render(request, "guest_missing.html", status_code=404, message=t("notify.missing"))


@router.get("/n/{token}")
def results_page(token: str, request: Request, ctx: Ctx, config: Notify) -> Response:
    try:
        found = notify.results(ctx.sessions, ctx.faces, config, token)
    except NotFound:
        return _missing(request)
    base = f"/api/public/events/{found.event.slug}/photos"
    photos = [
        {
            "id": str(m.photo_id),
            "tier": m.tier,
            "thumbnail": f"{base}/{m.photo_id}/thumbnail?t={found.guest_pass}",
            "preview": f"{base}/{m.photo_id}/preview?t={found.guest_pass}",
            "download": f"{base}/{m.photo_id}/download?t={found.guest_pass}",
        }
        for m, _photo in found.hits
    ]
    return render(
        request,
        "notify_results.html",
        event=found.event,
        high=[p for p in photos if p["tier"] == "high"],
        maybe=[p for p in photos if p["tier"] != "high"],
        unsubscribe_url=links.unsubscribe_url(config.base_url, config.secret, found.subscription_id),
    )


@router.get("/unsubscribe/{token}")
def unsubscribe_page(token: str, request: Request, ctx: Ctx, config: Notify) -> Response:
    try:
        name = notify.subscription_event(ctx.sessions, config, token)
    except NotFound:
        return _missing(request)
    if name is None:  # already gone
        return render(request, "notify_unsubscribe.html", done=True, event_name="")
    return render(request, "notify_unsubscribe.html", done=False, event_name=name, token=token)


@router.post("/unsubscribe/{token}")
def unsubscribe(token: str, request: Request, ctx: Ctx, config: Notify) -> Response:
    """The mail client's one-click POST (body ``List-Unsubscribe=One-Click``) or the page's button."""
    try:
        notify.unsubscribe(ctx.sessions, config, token)
    except NotFound:
        return _missing(request)
    return render(request, "notify_unsubscribe.html", done=True, event_name="")
