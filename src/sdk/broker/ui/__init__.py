"""The broker's web dashboard at ``/ui``: overview, jobs list, job page with operator actions,
process definitions, process instances, and an instance page that draws its process.

Server-rendered Jinja2 templates and one small script (``static/ui.js``), all shipped in the
package: no build step, nothing fetched from the internet. Actions call the documented API
routes; ``CrossSiteGuard`` refuses state-changing requests that browsers mark as cross-site.
"""

from ._guard import CrossSiteGuard as CrossSiteGuard
from ._limits_form import ROUTES as LIMITS_ROUTES
from ._pages import ROUTES as PAGE_ROUTES
from ._process_pages import ROUTES as PROCESS_ROUTES
from ._schedule_pages import ROUTES as SCHEDULE_ROUTES

ROUTES = [*LIMITS_ROUTES, *PROCESS_ROUTES, *SCHEDULE_ROUTES, *PAGE_ROUTES]

__all__ = ["ROUTES", "CrossSiteGuard"]
