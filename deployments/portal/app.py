"""The participant portal: one FastAPI app, one process, for everything people send in.

- `POST /ideas`: the golden-idea intake for programs and forms (JSON; `ideas`);
- `/ideas`, `/ideas/form`, `/ideas/support`, `/ideas/similar`: the idea form for residents,
  with the similar ideas already submitted, and the submitter's status link `/s/<token>`
  (`residents`);
- `/gongshi/<year>`: the awards' 公示 and its real-name objection form (`gongshi`);
- `/r/<token>`: personal links, where a teacher, an invitee or a community office answers what
  a message asked (`answers`); a judge's link leads to their scoring page `/j/<token>`
  (`judging`);
- `/calendar/<year>.ics`: the year's meetings to subscribe to in a calendar program;
- `/static/portal.css`, `/`, `/health`.

Everything it stores is stored before it is acknowledged, then announced to the one Prefect
API it is given (`prefect`): the address `learning-district up` runs, or PREFECT_API_URL.
With none it announces nothing and never starts a server of its own; the sweepers announce
what it stored. Serve it with ONE process: its writer threads are what make SQLite fast.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from deployments.portal.answers import Answers
from deployments.portal.calendar import calendar_router
from deployments.portal.gongshi import BODY_MAX as GONGSHI_MAX_BYTES
from deployments.portal.gongshi import Gongshi
from deployments.portal.ideas import Emit, Enqueue, IdeaForm, Intake, emit_on, enqueue_on
from deployments.portal.judging import Judging
from deployments.portal.limits import Limit, PortalGuard, TokenBuckets, refuse, validation_problems
from deployments.portal.pages import Office, Pages, stylesheet
from deployments.portal.residents import IdeaPages
from models.settings import get_settings
from models.timeutil import utcnow
from tasks.common import clock
from tasks.common.events import PrefectApi
from tasks.ideas.similar import CampaignIndexes

logger = logging.getLogger(__name__)
ANSWER_MAX_BYTES = 16 * 1024  # a reply form: a choice, a reason, a name, a note


# A personal link's handler: (token, request) -> the response.
TokenHandler = Callable[[str, Request], Awaitable[Response]]


class HotRoutes:
    """ASGI: `GET`/`POST` of `<prefix><token>` (one path segment) straight to its handler.

    Personal links are the portal's hottest paths: without this, the router would try every
    route before theirs, and FastAPI's layers (exception middleware, exit stack) would wrap each
    request. Everything else goes to the app as usual; an error still reaches the app's
    handler of last resort (it sits outside every middleware).
    """

    def __init__(self, app: ASGIApp, *, routes: Mapping[tuple[str, str], TokenHandler]) -> None:
        self.app = app
        self.routes = dict(routes)  # (method, prefix such as "/r/") -> handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            cut = path.find("/", 1) + 1
            handler = self.routes.get((scope["method"], path[:cut])) if cut else None
            token = path[cut:]
            if handler is not None and token and "/" not in token:
                response = await handler(token, Request(scope, receive))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class Site:
    """What every page shows, from the district profile in force."""

    def __init__(self, pages: Pages, zone: ZoneInfo) -> None:
        self.pages = pages
        self.zone = zone


def site() -> Site:
    """The pages as the district profile in force names the site and the office."""
    from models.db import session_scope
    from tasks.common.district import active_profile

    with session_scope() as session:
        profile = active_profile(session)
    centre = profile.contacts.centre
    office = Office(name=centre.name, phone=centre.phone, address=centre.address)
    pages = Pages(site=f"{profile.district}社区教育服务平台", office=office)
    return Site(pages, clock.district_zone(profile))


def create_app(
    *,
    prefect: PrefectApi | None = None,
    enqueue: Enqueue | None = None,
    emit: Emit | None = None,
    clock: Callable[[], datetime] = utcnow,
    rate_per_minute: int | None = None,
    max_body_bytes: int | None = None,
) -> FastAPI:
    """The portal app; limits default to the settings (`LD_INTAKE_*`).

    `prefect` is the API answers and submissions are announced to (none: nothing is
    announced, the sweepers do it); `enqueue` and `emit` replace the intake's announcing.
    """
    settings = get_settings()
    indexes = CampaignIndexes()
    intake = Intake(
        enqueue=enqueue or enqueue_on(prefect),
        emit=emit or emit_on(prefect),
        clock=clock,
        on_stored=lambda form, ack: indexes.add(
            year=ack.year, idea_id=ack.id, title=form.title, content=form.content
        ),
    )
    here = site()
    pages = here.pages
    secure_cookie = settings.public_url.startswith("https://")
    idea_pages = IdeaPages(
        pages=pages,
        intake=intake,
        indexes=indexes,
        zone=here.zone,
        clock=clock,
        secure_cookie=secure_cookie,
    )
    gongshi = Gongshi(
        pages=pages, prefect=prefect, zone=here.zone, clock=clock, secure_cookie=secure_cookie
    )
    answers = Answers(
        pages=pages,
        prefect=prefect,
        zone=here.zone,
        clock=clock,
        secure_cookie=secure_cookie,
    )

    judging = Judging(
        pages=pages,
        zone=here.zone,
        clock=clock,
        secure_cookie=settings.public_url.startswith("https://"),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await intake.start()
        await answers.start()
        yield
        await intake.stop()
        await idea_pages.stop()
        await answers.stop()
        await judging.stop()

    app = FastAPI(
        title="learning-district portal",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.add_middleware(
        HotRoutes,
        routes={("GET", "/r/"): answers.show, ("POST", "/r/"): answers.answer},
    )
    app.add_middleware(  # outside HotRoutes: the hot paths are guarded too
        PortalGuard,
        limits=[
            Limit(
                paths={"/ideas"},
                buckets=TokenBuckets(per_minute=rate_per_minute or settings.intake_rate_per_minute),
                max_body_bytes=max_body_bytes or settings.intake_max_body_bytes,
                refuse=refuse,
            ),
            Limit(
                paths={"/ideas/form", "/ideas/support"},
                buckets=TokenBuckets(per_minute=rate_per_minute or settings.intake_rate_per_minute),
                max_body_bytes=max_body_bytes or settings.intake_max_body_bytes,
                refuse=pages.refuse,
            ),
            Limit(
                prefix="/gongshi/",
                buckets=TokenBuckets(per_minute=rate_per_minute or settings.intake_rate_per_minute),
                max_body_bytes=GONGSHI_MAX_BYTES,
                refuse=pages.refuse,
            ),
            Limit(
                prefix="/r/",
                buckets=TokenBuckets(per_minute=rate_per_minute or settings.intake_rate_per_minute),
                max_body_bytes=ANSWER_MAX_BYTES,
                refuse=pages.refuse,
            ),
            Limit(
                prefix="/j/",
                buckets=TokenBuckets(per_minute=rate_per_minute or settings.intake_rate_per_minute),
                max_body_bytes=ANSWER_MAX_BYTES,
                refuse=pages.refuse,
            ),
        ],
    )

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = validation_problems(exc.errors(), fields=IdeaForm.model_fields)
        return JSONResponse({"errors": problems}, status_code=422)

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> Response:
        logger.error("portal failed: %s", type(exc).__name__)
        if request.url.path == "/ideas":
            return JSONResponse(
                {"errors": {"server": "服务器内部错误，请稍后重试"}}, status_code=500
            )
        return pages.refusal(500, "系统暂时无法处理", "请稍后再试；如仍有问题，请联系经办部门。")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    async def home() -> HTMLResponse:
        year = clock().astimezone(here.zone).year
        return pages.page("home.html", year=year)

    @app.get("/static/portal.css")
    async def css() -> Response:
        return stylesheet()

    app.include_router(intake.router)
    app.include_router(idea_pages.router)
    app.include_router(gongshi.router)
    app.include_router(calendar_router(pages))
    app.include_router(answers.router)
    app.include_router(judging.router)
    return app
