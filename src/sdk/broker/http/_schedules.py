"""``/v2/ext/schedules``: jobs the broker creates on a cron expression or an interval
(``store/_schedules.py``). A real Camunda has no such routes; viewers may read schedules, not
change them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...models import Schedule, ScheduleList, ScheduleRequest
from ._request import read_model, store_of

SCHEDULES_PATH = "/v2/ext/schedules"
SCHEDULE_PATH = "/v2/ext/schedules/{name}"


def _json(model: Schedule | ScheduleList) -> Response:
    return Response(model.to_wire(), media_type="application/json")


def _name(request: Request) -> str:
    name: str = request.path_params["name"]
    return name


async def list_schedules(request: Request) -> Response:
    return _json(ScheduleList(items=await store_of(request).schedules.all()))


async def get_schedule(request: Request) -> Response:
    return _json(await store_of(request).schedules.get(_name(request)))


async def put_schedule(request: Request) -> Response:
    body = await read_model(request, ScheduleRequest)
    return _json(await store_of(request).schedules.put(_name(request), body))


async def pause_schedule(request: Request) -> Response:
    return _json(await store_of(request).schedules.pause(_name(request)))


async def resume_schedule(request: Request) -> Response:
    return _json(await store_of(request).schedules.resume(_name(request)))


async def delete_schedule(request: Request) -> Response:
    await store_of(request).schedules.delete(_name(request))
    return Response(status_code=204)


ROUTES = [
    Route(SCHEDULES_PATH, list_schedules, methods=["GET"]),
    Route(SCHEDULE_PATH, get_schedule, methods=["GET"]),
    Route(SCHEDULE_PATH, put_schedule, methods=["PUT"]),
    Route(SCHEDULE_PATH, delete_schedule, methods=["DELETE"]),
    Route(SCHEDULE_PATH + "/pause", pause_schedule, methods=["POST"]),
    Route(SCHEDULE_PATH + "/resume", resume_schedule, methods=["POST"]),
]
