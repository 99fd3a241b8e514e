"""The web pages, served by the API process: the employee board, profile and shoutouts; HR's rules editor,
simulation, KPIs, month close and the review queue; Piccolo Admin at /admin/.

Pages are rendered on the server (Jinja) from the same engine calls as the JSON API, so a page is one request
with no client-side framework: light on a phone, and nothing fetched from a CDN. ``install_pages`` is an
``on_app_init`` hook for ``api.app.create_app``.
"""

from __future__ import annotations

from pathlib import Path

from litestar.config.app import AppConfig
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import MethodNotAllowedException, NotFoundException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from admin.pages._page import unknown_path
from admin.pages.employee.board import BoardPage
from admin.pages.employee.profile import ProfilePage
from admin.pages.employee.shoutouts import ShoutoutsPage
from admin.pages.hr.kpis import KpiPage
from admin.pages.hr.month_close import MonthClosePage
from admin.pages.hr.piccolo_admin import piccolo_admin
from admin.pages.hr.review import ReviewPage
from admin.pages.hr.rules_editor import RulesEditorPage
from admin.pages.i18n import install_translations
from admin.pages.login import LoginPages, page_session, session_secret
from api.app import API_PATHS

__all__ = ["install_pages"]

HERE = Path(__file__).parent
#: Forms of the pages carry a CSRF token; the JSON API (bearer credentials) and Piccolo Admin (its own) don't.
NOT_PAGES = [*API_PATHS, "^/admin", "^/static/"]


def install_pages(app_config: AppConfig) -> AppConfig:
    runtime = app_config.state["runtime"]
    secret = session_secret(runtime.config)
    app_config.route_handlers += [
        LoginPages,
        BoardPage,
        ProfilePage,
        ShoutoutsPage,
        RulesEditorPage,
        KpiPage,
        MonthClosePage,
        ReviewPage,
        piccolo_admin,
        create_static_files_router(
            path="/static",
            directories=[HERE / "static"],
            opt={"exclude_from_auth": True},
            cache_control=None,
            include_in_schema=False,
        ),
    ]
    app_config.middleware.append(page_session(secret, exclude=NOT_PAGES).middleware)
    app_config.csrf_config = CSRFConfig(
        secret=secret.hex(), cookie_name="plaudit_csrf", exclude=NOT_PAGES, cookie_samesite="lax"
    )
    # Routing's own 404 and 405 come before any controller: without this a browser would get the API's JSON.
    not_routed = unknown_path(API_PATHS)
    app_config.exception_handlers[NotFoundException] = not_routed
    app_config.exception_handlers[MethodNotAllowedException] = not_routed
    app_config.template_config = TemplateConfig(
        directory=HERE / "templates",
        engine=JinjaTemplateEngine,
        engine_callback=install_translations,
    )
    return app_config
