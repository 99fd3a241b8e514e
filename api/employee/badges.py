"""Badges: the program's badges, an employee's earned badges with progress, and Open Badges 2.0 hosting.

``/v1/...`` needs a credential like the rest of the API. ``/ob/...`` is public on purpose: Open Badges are
verified by fetching the documents (the issuer, the BadgeClass, the Assertion and the images) from their
URLs, by anyone the employee shows the badge to. Nothing there names the employee: the recipient is a salted
hash of their email.

A BadgeClass is one badge and tier: ``/ob/badges/sharer.gold`` (``sharer`` when the badge has no tiers), its
image ``/ob/badges/sharer.gold.png``; an assertion is ``/ob/assertions/{id}`` and, baked into its image,
``/ob/assertions/{id}.png``.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, Parameter

from api.auth import Principal, requires_admin, requires_read
from api.employee.profiles import person_for
from api.openapi import PNG, json_object
from api.problems import problem
from api.runtime import Runtime
from badges.images import TIERS, BadgeArt
from badges.openbadges import assertion, badge_class, bake, dumps, issuer_profile
from engine.rewards.badges import badge_progress, earned_badges, find_award, revoke_award
from rules import BadgeSpec

__all__ = ["BadgeController", "OpenBadgesController"]

LD_JSON = "application/ld+json"


class TierView(msgspec.Struct):
    name: str
    goal: int
    bonus: int
    image: str


class BadgeView(msgspec.Struct):
    id: str
    name: str
    description: str
    kind: str
    tiers: list[TierView]


class EarnedView(msgspec.Struct):
    badge: str
    name: str
    tier: str
    earned_in: str
    earned_at: str
    revoked: bool
    #: The Open Badges assertion: share it, or import it into a backpack.
    assertion: str


class ProgressView(msgspec.Struct):
    badge: str
    name: str
    current: int
    #: The next tier's name and goal; None when every tier is earned (in this window).
    next_tier: str | None
    goal: int | None
    earned: list[str]


class EmployeeBadges(msgspec.Struct):
    employee: str
    earned: list[EarnedView]
    progress: list[ProgressView]


class Revocation(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1)]


def _class_id(badge: str, tier: str) -> str:
    return f"{badge}.{tier}" if tier else badge


def _tier_image(runtime: Runtime, badge: BadgeSpec, tier: str) -> str:
    return f"{runtime.config.public_url}/ob/badges/{_class_id(badge.id, tier)}.png"


class BadgeController(Controller):
    path = "/v1"
    tags = ["badges"]
    guards = [requires_read]

    @get("/badges")
    async def badges(self, state: State) -> list[BadgeView]:
        """Every badge of the program, with its tiers, goals and bonus points."""
        runtime: Runtime = state.runtime
        return [
            BadgeView(
                b.id,
                b.name,
                b.description,
                b.criteria.kind,
                [
                    TierView(t.name, t.goal, t.bonus, _tier_image(runtime, b, t.name))
                    for t in b.tiers
                ],
            )
            for b in runtime.rules.badges
        ]

    @get("/employees/{ref:str}/badges", sync_to_thread=True)
    def employee_badges(self, request: Request, state: State, ref: FromPath[str]) -> EmployeeBadges:
        """What an employee earned (newest first) and how far they are toward each badge's next tier."""
        runtime: Runtime = state.runtime
        person = person_for(runtime, request.user, ref)
        db, rules = runtime.db(), runtime.rules
        names = {b.id: b.name for b in rules.badges}
        earned = [
            EarnedView(
                e.badge,
                names.get(e.badge, e.badge),
                e.tier,
                e.earned_in,
                e.earned_at.isoformat(),
                e.revoked,
                f"{runtime.config.public_url}/ob/assertions/{e.public_id}",
            )
            for e in earned_badges(db, person.id)
        ]
        progress = [
            ProgressView(
                p.badge.id,
                p.badge.name,
                p.current,
                p.next_tier.name if p.next_tier else None,
                p.next_tier.goal if p.next_tier else None,
                list(p.earned),
            )
            for p in badge_progress(db, rules, person.id)
        ]
        return EmployeeBadges(person.external_id, earned, progress)

    @post("/badge-awards/{public_id:str}/revoke", guards=[requires_admin], sync_to_thread=True)
    def revoke(
        self, request: Request, state: State, public_id: FromPath[str], data: JSONBody[Revocation]
    ) -> dict[str, str]:
        """Revoke an awarded badge (HR): its Open Badges assertion answers 410 Gone from then on."""
        runtime: Runtime = state.runtime
        principal: Principal = request.user
        if not data.reason.strip():
            raise problem(422, "a reason is required", ["reason: must not be empty"])
        if not revoke_award(runtime.db(), public_id, f"{data.reason.strip()} ({principal.name})"):
            raise problem(404, f"no badge award {public_id!r}")
        return {"revoked": public_id}


class OpenBadgesController(Controller):
    """Open Badges 2.0 hosted verification: public, stable URLs under ``PLAUDIT_PUBLIC_URL``."""

    path = "/ob"
    tags = ["open badges"]

    @get(
        "/issuer",
        media_type=LD_JSON,
        opt={"content": {LD_JSON: json_object("Open Badges 2.0 Profile")}},
    )
    async def issuer(self, state: State) -> Response[bytes]:
        runtime: Runtime = state.runtime
        config = runtime.config
        doc = issuer_profile(
            config.public_url, runtime.rules.name, config.public_url, config.issuer_email
        )
        return Response(dumps(doc), media_type=LD_JSON)

    @get(
        "/badges/{name:str}",
        opt={"content": {LD_JSON: json_object("Open Badges 2.0 BadgeClass"), "image/png": PNG}},
    )
    async def badge_class(self, state: State, name: FromPath[str]) -> Response[bytes]:
        """The BadgeClass of a badge tier, or its image (``….png``; ``?size=512`` for the large one)."""
        runtime: Runtime = state.runtime
        image = name.endswith(".png")
        class_id = name.removesuffix(".png")
        badge_id, _, tier = class_id.partition(".")
        badge = next((b for b in runtime.rules.badges if b.id == badge_id), None)
        known = badge is not None and tier in {t.name for t in badge.tiers}
        if badge is None or not known or _class_id(badge.id, tier) != class_id:
            raise problem(404, f"no badge {class_id!r}")
        if image:
            return Response(
                runtime.badge_images.get(_art(badge, tier, 256)),
                media_type="image/png",
                headers={"cache-control": "public, max-age=86400"},
            )
        narrative = badge.description or badge.name
        doc = badge_class(
            runtime.config.public_url,
            class_id,
            f"{badge.name} ({tier})" if tier else badge.name,
            badge.description or badge.name,
            narrative,
            _tier_image(runtime, badge, tier),
        )
        return Response(dumps(doc), media_type=LD_JSON)

    @get(
        "/assertions/{name:str}",
        sync_to_thread=True,
        opt={"content": {LD_JSON: json_object("Open Badges 2.0 Assertion"), "image/png": PNG}},
    )
    def assertion(
        self,
        state: State,
        name: FromPath[str],
        size: int = Parameter(default=256, description="256 or 512 (baked image only)"),
    ) -> Response[bytes]:
        """An Assertion (JSON-LD), or its baked PNG (``….png``): the badge image carrying the assertion."""
        runtime: Runtime = state.runtime
        public_id = name.removesuffix(".png")
        award = find_award(runtime.db(), public_id)
        if award is None or not award.email:
            raise problem(404, f"no badge award {public_id!r}")
        badge = next((b for b in runtime.rules.badges if b.id == award.badge), None)
        if badge is None:
            raise problem(404, f"badge {award.badge!r} is no longer in the program")
        doc = assertion(
            runtime.config.public_url,
            award.public_id,
            _class_id(award.badge, award.tier),
            award.email,
            award.salt,
            award.earned_at,
            revoked=award.revoked,
            revocation_reason=award.revocation_reason,
        )
        if award.revoked:
            return Response(dumps(doc), media_type=LD_JSON, status_code=410)
        if not name.endswith(".png"):
            return Response(dumps(doc), media_type=LD_JSON)
        if size not in (256, 512):
            raise problem(422, "unknown size", ["size: expected 256 or 512"])
        png = runtime.badge_images.get(_art(badge, award.tier, size))
        return Response(bake(png, doc), media_type="image/png")


def _art(badge: BadgeSpec, tier: str, size: int) -> BadgeArt:
    return BadgeArt(
        badge.name,
        shape=badge.shape,
        colour=badge.colour,
        icon=badge.icon,
        tier=tier if tier in TIERS else None,
        size=size,
    )
