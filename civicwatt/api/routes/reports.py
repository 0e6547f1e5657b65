"""GET /api/v1/reports[/{date}[/{name}]]: the daily reports' files, listed and downloaded.

Files are found by listing `report.out_dir` and matching the report's own naming
(`<site>-<date>-<kind>.<lang>.<ext>`); a download serves only a name that listing found,
resolved inside that folder, so no path a client writes reaches the file system.
"""


import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from starlette.responses import FileResponse

from civicwatt.api.auth import Principal, require_site
from civicwatt.api.context import Api
from civicwatt.api.ids import LocalDate
from civicwatt.api.models import ReportDay, ReportList
from civicwatt.api.problems import ApiError

NAME = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,200}$"
_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf",
          "csv": "text/csv; charset=utf-8"}


def router(api: Api) -> APIRouter:
    routes = APIRouter(tags=["reports"])
    folder = (api.site.base_dir / api.site.report.out_dir).resolve()
    pattern = re.compile(rf"^{re.escape(api.site.site.id)}-(\d{{4}}-\d{{2}}-\d{{2}})-"
                         r"([a-z0-9_]+)\.(zh|en)\.(html|pdf|csv)$")

    def listing() -> dict[str, list[dict]]:
        days: dict[str, list[dict]] = {}
        if not folder.is_dir():
            return days
        for entry in folder.iterdir():
            match = pattern.match(entry.name)
            if match and entry.is_file() and not entry.is_symlink():
                day, kind, language, fmt = match.groups()
                days.setdefault(day, []).append({
                    "name": entry.name, "kind": kind, "language": language, "format": fmt,
                    "bytes": entry.stat().st_size,
                    "url": f"/api/v1/reports/{day}/{entry.name}"})
        return {d: sorted(f, key=lambda f: f["name"]) for d, f in days.items()}

    async def site_reader(who: Annotated[Principal, Depends(api.deps.reader)]) -> Principal:
        return require_site(who)

    @routes.get("/reports", response_model=ReportList, summary="Daily reports, newest first")
    async def reports(
        request: Request, _: Annotated[Principal, Depends(site_reader)],
        start: Annotated[LocalDate | None, Query(alias="from", description="first day")] = None,
        end: Annotated[LocalDate | None, Query(alias="to", description="day after the last")
                       ] = None,
        limit: Annotated[int, Query(ge=1, le=366)] = 31,
        offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    ):
        days = await api.run(listing)
        chosen = sorted((d for d in days if (start is None or d >= start.isoformat())
                         and (end is None or d < end.isoformat())), reverse=True)
        page = chosen[offset:offset + limit]
        nxt = None
        if offset + limit < len(chosen):
            query = {k: v for k, v in request.query_params.items() if k != "offset"}
            nxt = f"/api/v1/reports?{urlencode({**query, 'offset': offset + limit})}"
        return api.json({"reports": [{"date": d, "files": days[d]} for d in page], "next": nxt})

    @routes.get("/reports/{day}", response_model=ReportDay, summary="One day's report files")
    async def report_day(_: Annotated[Principal, Depends(site_reader)], day: LocalDate):
        files = (await api.run(listing)).get(day.isoformat())
        if not files:
            raise ApiError(404, f"no report files for {day} (GET /api/v1/reports lists them)",
                           reason="no report")
        return api.json({"date": day.isoformat(), "files": files})

    @routes.get("/reports/{day}/{name}", summary="Download one report file",
                response_class=FileResponse,
                responses={200: {"content": {t.split(";")[0]: {} for t in _TYPES.values()}}})
    async def report_file(_: Annotated[Principal, Depends(site_reader)], day: LocalDate,
                          name: Annotated[str, PathParam(pattern=NAME)]):
        files = {f["name"]: f for f in (await api.run(listing)).get(day.isoformat(), [])}
        if name not in files:
            raise ApiError(404, f"no report file {name!r} for {day} (GET /api/v1/reports/"
                           f"{day} lists them)", reason="no report file")
        path = (folder / name).resolve()
        if path.parent != folder:  # belt and braces: the listing already proved it
            raise ApiError(404, f"no report file {name!r}", reason="outside the report folder")
        return FileResponse(path, media_type=_TYPES[files[name]["format"]], filename=name,
                            content_disposition_type="attachment")

    return routes
