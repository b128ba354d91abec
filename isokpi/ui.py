"""The one module of isokpi that imports streamlit: shared resources, sign-in, filters, and page scaffolding.

Every page calls `start_page()` at its very top. Streamlit runs a `pages/` script directly on the first
visit to its URL after a restart, before app.py runs, so a page must not depend on app.py having run:
the database, the user, the role check and the filters all come from here.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import ipaddress
import os
import re
import threading

import pandas as pd
import streamlit as st

from isokpi import auth, cache, gate, records
from isokpi import format as fmt
from isokpi.charts import PLOTLY_CONFIG, sanitise
from isokpi.db import Database, DatabaseBusyError
from isokpi.demo_batches import DemoShare, demo_share, removal_sentence, remove_demo, share_sentence
from isokpi.errors import IsokpiError
from isokpi.kpis import Filters
from isokpi.navigation import page_of
from isokpi.opening import open_database
from isokpi.periods import period_name, period_start
from isokpi.queries import dataset_summaries, filter_options
from isokpi.safety import plain, spreadsheet_cell
from isokpi.views import Chart

APP_TITLE = "isokpi"
PAGE_ICON = "📈"  # an emoji: a Material favicon would be fetched from Google's servers
GRAIN_LABELS = {"month": "Month", "quarter": "Quarter", "year": "Year"}
EARLIEST = dt.date(1990, 1, 1)
_DEMO_LOADING = threading.Lock()  # outlives Streamlit's caches, which any client can clear


# --- the database -----------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def _database() -> Database:
    # Runs again whenever Streamlit's resource cache is cleared (a restart, or any client's clear-cache message),
    # so the demo goes only into a database that has never held a batch: an emptied one stays empty.
    database = open_database()
    if os.environ.get("ISOKPI_NO_DEMO") != "1":
        from isokpi.demo import load_demo, never_held_a_batch

        # A cache cleared while the demo loads would start a second load beside it: one at a time, then look again.
        with _DEMO_LOADING:
            if never_held_a_batch(database):
                load_demo(database, actor=auth.system_user("isokpi (first run)"))
    return database


def database() -> Database:
    """The process-wide database; a new one (no batch ever loaded) is filled with demo data on its first view.

    When it cannot be opened the page says why and stops; the next run tries again (a failure is not cached)."""
    try:
        with st.spinner("Opening the database (a new one is filled with demo data)…"):
            return _database()
    except DatabaseBusyError as busy:
        st.error(
            f"The database {plain(busy.location)} is in use by {busy.holder}, probably another isokpi server or "
            "command: a DuckDB file is open to one process at a time. Stop that process and reload this page, or "
            "use the isokpi server that already has it open. Several servers over one database need the DuckLake "
            "backend (README: Many servers, one database).",
            icon=":material/lock:",
        )
    except IsokpiError as error:
        st.error(f"isokpi cannot open its database: {plain(error)}", icon=":material/error:")
    st.stop()


def data_version(db: Database) -> int:
    """Changes whenever the data changes, in this process or another server's (see Database.data_version)."""
    return db.data_version()


# Pages wrap library calls in the library's one cache (isokpi.cache), keyed by the data version: a load on any
# server shows at once, with nothing to clear.
cached = cache.cached


def demo_notice(db: Database, removal_for: auth.User | None = None, *, only_beside_real: bool = False) -> None:
    """While any demo batch is loaded, a banner saying how much of what is shown is demo data; with
    `removal_for`, the offer to remove it under the banner, which the banner then points to."""
    removed = st.session_state.pop("demo-removed", None)
    if removed is not None:
        kind, text = removed
        (st.success if kind == "success" else st.error)(text, icon=":material/delete_sweep:")
    share = cached(demo_share)(db)
    if not share.remains:
        return
    offered = removal_for is not None and removal_offered(share, removal_for, only_beside_real)
    st.info(share_sentence(share, where="below" if offered else "Data page"), icon=":material/science:")
    if offered:
        _removal_box(removal_for, share)


def removal_offered(share: DemoShare, user: auth.User, only_beside_real: bool) -> bool:
    """Whether `user` is offered to remove the demo: a quality lead while a demo batch is loaded (with
    `only_beside_real`, once real data is loaded too: the offer after the first real upload)."""
    return user.can(auth.QUALITY_LEAD) and (share.offers_removal if only_beside_real else share.remains)


def _remove_demo(user: auth.User) -> None:
    db = database()
    st.session_state.pop("demo-remove-confirm", None)
    if not allowed_now(db, auth.QUALITY_LEAD):  # callbacks run before the page's own role check
        st.session_state["demo-removed"] = ("error", "Removing the demo data needs the Quality lead role.")
        return
    try:
        outcome = remove_demo(db, actor=user)
    except IsokpiError as error:
        st.session_state["demo-removed"] = ("error", f"The demo data was not removed: {plain(error)}")
    else:
        st.session_state["demo-removed"] = ("success", removal_sentence(outcome))


def _removal_box(user: auth.User, share: DemoShare) -> None:
    """The offer to remove every demo batch (demo_notice shows it to quality leads)."""
    with st.container(border=True, key="demo-removal"):
        st.markdown("**Remove the demo data**")
        st.caption(
            f"Every demo batch goes ({fmt.count(share.demo_rows)} rows shown now), whatever was loaded after it. "
            "Your own rows stay exactly as they are, including any that replaced a demo row; a row of yours that "
            "a demo row had replaced comes back. The audit trail records it; it cannot be undone."
        )
        confirmed = st.checkbox("Yes, remove every demo batch", key="demo-remove-confirm")
        st.button(
            "Remove the demo data",
            icon=":material/delete_sweep:",
            disabled=not confirmed,
            on_click=_remove_demo,
            args=(user,),
            key="demo-remove",
        )


# --- who is signed in ---------------------------------------------------------------------------------


def auth_configured() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section (OpenID Connect sign-in)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def settings() -> auth.AuthSettings:
    """The [isokpi] section of secrets.toml."""
    try:
        section = st.secrets.get("isokpi", {})
    except Exception:
        section = {}
    return auth.AuthSettings.from_mapping(section)


def _listening_locally() -> bool:
    address = st.get_option("server.address") or ""
    if address in ("localhost", ""):
        return address == "localhost"
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _request_from_this_machine() -> bool:
    """False when the browser asked for this page under a name other than localhost or a loopback address (a web
    page whose own name resolves to 127.0.0.1: DNS rebinding), or when a proxy says it came from another machine
    (its Host proves nothing then). No Host at all (AppTest) is not a browser."""
    headers = st.context.headers
    if gate.forwarded_from_elsewhere(headers):
        return False
    host = headers.get("Host")
    return host is None or gate.is_loopback_host(host)


def current_user(db: Database) -> auth.User | None:
    """The signed-in user with their role; None when nobody is signed in yet (sign-in mode).

    In local mode the local user is admin only on a page this machine asked for by a loopback name."""
    if not auth_configured():
        role = auth.ADMIN if _request_from_this_machine() else None
        return auth.User(auth.LOCAL_USER, auth.local_user_name(settings()), role)
    if not st.user.get("is_logged_in", False):
        return None
    identity = auth.Identity.from_claims(st.user)
    return auth.sign_in(db, identity, str(st.user.get("name") or identity.email), settings())


def allowed_now(db: Database, role: str) -> bool:
    """For widget callbacks, which Streamlit runs before the page script and so before its start_page():
    the signed-in user's role, checked again now."""
    user = current_user(db)
    return user is not None and user.can(role)


def _sign_in_screen() -> None:
    st.title(APP_TITLE, anchor=False)
    st.write("Sign in to see whether your management system is improving.")
    if st.button("Sign in", icon=":material/login:", type="primary"):
        st.login()
    st.stop()


# --- the top of every page ----------------------------------------------------------------------------


def _clear_for_uploads(allowed: bool) -> None:
    """Tell the gate (isokpi/gate.py) whether this session may send files: only while a quality lead is on a page
    with a file uploader. Every other session's uploads are refused before Streamlit reads them."""
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    if context is None:
        return
    is_active = runtime.get_instance().is_active_session if runtime.exists() else None
    gate.CLEARED.set(context.session_id, allowed, is_active=is_active)


UPLOAD_STAGE = "upload-stage"  # session state: the upload the Upload page keeps (file id, database serial, stage)


def drop_upload_stage() -> None:
    """Close the upload the Upload page kept (uploads.UploadStage), deleting its private copy and staged CSV."""
    slot = st.session_state.pop(UPLOAD_STAGE, None)
    if slot is not None:
        slot[-1].close()


def start_page(script: str, *, caption: str | None = None, uploads: bool = False) -> tuple[Database, auth.User]:
    """Open the database, check who is here and that their role allows this page (the page passes its __file__;
    its heading and role come from isokpi.navigation), and title it.

    Stops the script (nothing below runs) when nobody is signed in or the role is too low. A page with a file
    uploader passes uploads=True: the session may then send files, if the user is a quality lead.
    """
    spec = page_of(script)
    title, role = spec.heading, spec.role
    # app.py sets this too; a page opened directly after a restart runs without app.py.
    st.set_page_config(page_title=f"{title} · {APP_TITLE}", page_icon=PAGE_ICON, layout="wide")
    if not uploads:
        _clear_for_uploads(False)
        drop_upload_stage()  # the user left the Upload page: the copy of their file goes now, not with the session
    if not auth_configured() and not _listening_locally():
        st.error(
            "Sign-in is not configured, so isokpi runs in local mode and must listen on this machine only. "
            'Set server.address = "127.0.0.1" in .streamlit/config.toml, or turn sign-in on (README: Turning sign-in on).',
            icon=":material/lock:",
        )
        st.stop()
    if not auth_configured() and not _request_from_this_machine():
        st.error(
            "isokpi runs in local mode (sign-in is not configured) and answers only to localhost and 127.0.0.1, "
            f"not to {plain(gate.host_name(st.context.headers.get('Host')) or 'this name')}. Open it at "
            f"http://localhost:{st.get_option('server.port')}, or turn sign-in on (README: Turning sign-in on).",
            icon=":material/lock:",
        )
        st.stop()
    db = database()
    user = current_user(db)
    if uploads:  # set once per run: a quality lead's upload is never refused in the middle of a rerun
        _clear_for_uploads(user is not None and user.can(auth.QUALITY_LEAD))
    if user is None:
        _sign_in_screen()
    if user.role is None:
        st.error(
            f"{plain(user.email)} has no access to isokpi. Ask an administrator for a role.", icon=":material/block:"
        )
        st.stop()
    if not user.can(role):
        st.title(title, anchor=False)
        st.warning(
            f"This page needs the {auth.ROLE_NAMES[role]} role; you are signed in as {plain(user.email)} "
            f"({auth.ROLE_NAMES[user.role]}). Ask an administrator if you need it.",
            icon=":material/lock:",
        )
        st.stop()
    st.title(title, anchor=False)
    if caption:
        st.caption(caption)
    return db, user


# --- filters in the sidebar, kept in the URL --------------------------------------------------------------


def page_menu(sections: dict[str, list]) -> None:
    """The menu of pages, by section, as plain links (Streamlit's own menu is a list whose items are not list
    items, which screen readers and axe-core refuse). The filters follow: they are the frame's (frame_filters)."""
    for section, pages in sections.items():
        st.caption(section)
        for page in pages:
            st.page_link(page, label=page.title, icon=page.icon, help=page.help or None)


KEPT = {"bind": "query-params", "persist_state": "session"}  # a filter's choice: in the address and the session
_FRAME = threading.local()  # the filters app.py drew for the page it is running


FILTER_KEYS = ("from", "to", "site", "department", "standard", "period")  # the filters' keys, in the URL too
_LINKED, _DRAWN = "linked-filters", "filters-drawn"  # session keys: a link's filters kept; filters drawn once


def keep_linked_filters() -> None:
    """At the very start of the frame's run (app.py), before anything slow: the filters a link brings in its URL,
    kept in the session until the filters are first drawn. A run cut short before it drew them (the user clicked a
    menu link while the first run was still opening the database) would otherwise lose them: the widgets that
    read them from the URL never ran, and the next page's address has none."""
    if st.session_state.get(_DRAWN):
        return
    linked = {key: st.query_params.get_all(key) for key in FILTER_KEYS if key in st.query_params}
    if linked:
        st.session_state[_LINKED] = {**st.session_state.get(_LINKED, {}), **linked}


def _restore_linked_filters(options: dict[str, list]) -> None:
    """Before the filters are first drawn: a kept link's filters as their widgets' values (their widgets read the
    address only as it was when this run began), unless the address or the session has a value of its own. What
    the widgets would refuse (a date that is not one, a site not in the data) is left out, as they leave it out."""
    if st.session_state.get(_DRAWN):
        return
    for key, values in st.session_state.pop(_LINKED, {}).items():
        if key in st.query_params or key in st.session_state:
            continue
        value = _linked_value(key, values, options)
        if value is not None:
            st.session_state[key] = value


def _linked_value(key: str, values: list[str], options: dict[str, list]) -> object:
    if key in ("from", "to"):
        try:
            day = dt.date.fromisoformat(values[0])
        except (IndexError, ValueError):
            return None
        return day if day >= EARLIEST else None
    if key == "period":
        return next((grain for grain, label in GRAIN_LABELS.items() if values and values[0] in (grain, label)), None)
    known = options[{"site": "sites", "department": "departments", "standard": "standards"}[key]]
    return [value for value in values if value in known] or None


def frame_filters(db: Database, *, standards: bool = True) -> None:
    """Draw the filters in the app's frame (app.py), before it runs a page that has them: widgets of the frame are
    the same on every page, so the choices follow the user from page to page (a page's own widgets, and their
    place in the address, are dropped when another page opens). The page then reads them with sidebar_filters."""
    _FRAME.filters = _draw_filters(db, standards=standards, grain=True)


def page_done() -> None:
    """After app.py ran a page: the next run draws its filters anew."""
    _FRAME.filters = None


def sidebar_filters(db: Database, *, standards: bool = True, grain: bool = True) -> Filters:
    """The sidebar's filters for this page: those app.py drew in the frame, or, when the page runs without app.py
    (its first visit after a restart), drawn by the page itself."""
    drawn = getattr(_FRAME, "filters", None)
    return drawn if drawn is not None else _draw_filters(db, standards=standards, grain=grain)


def _draw_filters(db: Database, *, standards: bool, grain: bool) -> Filters:
    """Date range, site, department, standard and period in the sidebar; every choice lives in the URL
    query string, so a link opens the same view and a reload keeps it, and in the session (persist_state), so it
    is still there after a page without filters."""
    options = cached(filter_options)(db)
    _restore_linked_filters(options)
    with st.sidebar:
        st.subheader("Filters", anchor=False)
        # Without min_value Streamlit stops ten years back, and drops an older ?from= from a link.
        dates = {"format": "YYYY-MM-DD", "min_value": EARLIEST, "value": None, **KEPT}
        date_from = st.date_input("From", key="from", **dates)
        date_to = st.date_input("To", key="to", **dates)
        sites = st.multiselect("Site", options["sites"], key="site", placeholder="All sites", **KEPT)
        departments = st.multiselect(
            "Department", options["departments"], key="department", placeholder="All departments", **KEPT
        )
        chosen_standards = (
            st.multiselect("Standard", options["standards"], key="standard", placeholder="All standards", **KEPT)
            if standards
            else []
        )
        period = (
            st.segmented_control(
                "Period",
                list(GRAIN_LABELS),
                format_func=GRAIN_LABELS.get,
                key="period",
                default="month",
                **KEPT,
            )
            if grain
            else "month"
        )
    st.session_state[_DRAWN] = True
    date_from = date_from if isinstance(date_from, dt.date) else None
    date_to = date_to if isinstance(date_to, dt.date) else None
    if date_from and date_to and date_from > date_to:
        st.sidebar.warning("From is after To: the two dates are read the other way round.", icon=":material/swap_vert:")
        date_from, date_to = date_to, date_from
    return Filters(
        date_from=date_from,
        date_to=date_to,
        sites=tuple(sites),
        departments=tuple(departments),
        standards=tuple(chosen_standards),
        grain=period or "month",
    )


def number_from_url(key: str, minimum: int, maximum: int) -> bool:
    """Start the number input keyed `key` at the URL's ?key= when that is a whole number from `minimum` to `maximum`;
    take anything else out of the URL and return True, for the page to say so.

    For a number input that keeps its value in the URL by hand (the page writes it back): one bound with
    bind="query-params" fails before any page code runs on a link such as ?baseline=inf."""
    text = st.query_params.get(key)
    if text is None:
        return False
    if re.fullmatch(r"[0-9]{1,6}", text) and minimum <= int(text) <= maximum:
        if key not in st.session_state:  # the page's first run; later the input holds what the user chose
            st.session_state[key] = int(text)
        return False
    del st.query_params[key]
    return text != ""


# --- charts and downloads -------------------------------------------------------------------------------


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A CSV download: UTF-8 with BOM for Excel, and text that could run as a formula neutralised."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(spreadsheet_cell)
    buffer = io.StringIO()
    safe.to_csv(buffer, index=False)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def chart(figure, data: pd.DataFrame, *, name: str, key: str | None = None) -> None:
    """A plotly chart with its data (the aggregate it was drawn from) downloadable as CSV. Its text is escaped once
    more here (theme() did it already), so that nothing a figure added after theme() is read as markup."""
    st.plotly_chart(sanitise(figure), config=PLOTLY_CONFIG, key=key)
    chart_data(data, name=name, key=key)


def view_chart(
    view: Chart,
    *,
    empty: str,
    name: str,
    key: str,
    caption: str = "",
    data: pd.DataFrame | None = None,
    drill: tuple[Database, Filters] | None = None,
    points: tuple[str, list[dt.date]] | None = None,
) -> bool:
    """A page's chart (a views.Chart) with its data's download (`data`, else the chart's frame) and `caption` below,
    or, when there is nothing to draw, `empty`: what would fill it. A KPI's chart (view.series) given `drill`, the
    database and the filters, opens the records behind a clicked point; so does another chart of one KPI's points
    given `points`, that KPI's id and the periods it has a point in. True when drawn."""
    if view.figure is None:
        empty_state(empty)
        return False
    frame = view.frame if data is None else data
    if drill is not None and points is not None:
        drill_chart(drill[0], points[0], points[1], view.figure, frame, drill[1], name=name, key=key)
    elif drill is not None and view.series is not None:
        kpi_chart(drill[0], view.series, view.figure, frame, drill[1], name=name, key=key)
    else:
        chart(view.figure, frame, name=name, key=key)
    if caption:
        st.caption(caption)
    return True


def sparkline(figure, *, key: str) -> None:
    """A tile's sparkline (charts.sparkline): drawn still, no toolbar, no hover, no download."""
    st.plotly_chart(figure, config={"staticPlot": True, "displayModeBar": False}, key=key)


def chart_data(data: pd.DataFrame, *, name: str, key: str | None) -> None:
    """The download of a chart's data: the aggregate it was drawn from, as CSV."""
    # Made when it is asked for, not on every run: 24 charts' CSVs cost the Sites page 1.1 s a run.
    download("Download data (CSV)", lambda: csv_bytes(data), file_name=f"{name}.csv", key=f"download-{key or name}")


def download(label: str, data, *, file_name: str, key: str | None, mime: str = "text/csv", icon: str = "", where=st):
    """A download button (in `where`: st or a column) that does not rerun the page; data may be a callable that
    makes the file only when it is asked for."""
    where.download_button(
        label, data, file_name=file_name, mime=mime, icon=icon or ":material/download:", key=key, on_click="ignore"
    )


def kpi_chart(db: Database, series, figure, data: pd.DataFrame, filters: Filters, *, name: str, key: str) -> None:
    """A KPI's chart (as chart()) whose points open the records behind them below it (drill_chart)."""
    periods = [point.period for point in series.shown if point.value is not None]
    drill_chart(db, series.kpi.id, periods, figure, data, filters, name=name, key=key)


def drill_chart(
    db: Database,
    kpi_id: str,
    periods: list[dt.date],
    figure,
    data: pd.DataFrame,
    filters: Filters,
    *,
    name: str,
    key: str,
    frozen: dict[dt.date, float | None] | None = None,
) -> None:
    """A chart of `kpi_id`'s points (as chart()) that opens the records behind a point below it, with `filters`:
    a click selects a point's period (a double click clears it), and, without a mouse, the period picked in the
    form under the chart and "Show records". `frozen` holds the values a closed review presented, per period."""
    st.plotly_chart(
        sanitise(figure),
        config=PLOTLY_CONFIG,
        key=key,
        on_select=functools.partial(_opened_by_click, key, filters.grain),
        selection_mode="points",
    )
    chart_data(data, name=name, key=key)
    if periods:
        with st.form(key=f"{key}-keys", border=False, enter_to_submit=False):
            left, right = st.columns([2, 1], vertical_alignment="bottom")
            left.selectbox(
                "Records of the period",
                list(reversed(periods)),
                format_func=lambda day: period_name(day, filters.grain),
                key=f"{key}-period",
            )
            right.form_submit_button(
                "Show records", icon=":material/table_rows:", on_click=_opened_by_keys, args=(key, filters.grain)
            )
    period = _open_period(key, filters.grain, periods)
    if period is None:
        st.caption(DRILL_HINT)
        return
    records_panel(db, kpi_id, period, filters, key=f"records-{key}", frozen=(frozen or {}).get(period, _NOT_FROZEN))


DRILL_HINT = "Click a point, or pick its period above and press Show records, to see the records behind it."
_NOT_FROZEN = object()


def _opened_by_click(key: str, grain: str) -> None:
    """A click on the chart keyed `key` (its selection event in the session): open that point's records."""
    st.session_state[f"{key}-open"] = (selected_period(st.session_state.get(key), grain), grain)


def _opened_by_keys(key: str, grain: str) -> None:
    """ "Show records" under the chart keyed `key`: open the records of the period its form holds."""
    st.session_state[f"{key}-open"] = (st.session_state.get(f"{key}-period"), grain)


def _open_period(key: str, grain: str, periods: list[dt.date]) -> dt.date | None:
    """The period whose records are open under the chart keyed `key`, while it is still one of its points at this
    grain: a change of the Period filter, the date range or the review since closes it (a quarter's start is a
    month's start too, so the period alone cannot tell)."""
    opened = st.session_state.get(f"{key}-open")
    if not opened:
        return None
    period, at_grain = opened
    if period is None or at_grain != grain or period not in periods:
        st.session_state.pop(f"{key}-open", None)
        return None
    return period


def selected_period(event, grain: str) -> dt.date | None:
    """The period of the first point a plotly selection event holds (its x, a date), or None."""
    points = (event or {}).get("selection", {}).get("points", []) if hasattr(event, "get") else []
    for point in points:
        try:
            return period_start(dt.date.fromisoformat(str(point.get("x", ""))[:10]), grain)
        except ValueError:
            continue
    return None


def records_panel(
    db: Database, kpi_id: str, period: dt.date, filters: Filters, *, key: str, frozen: object = _NOT_FROZEN
) -> None:
    """The records behind one point: what they add up to, the table (sortable by its headers) and its CSV. With
    `frozen` (the value a closed review presented), the panel says so, and says when today's data gives another."""
    try:
        drilled = cached(records.drill)(db, kpi_id, period, filters)
    except IsokpiError as error:
        st.warning(f"No records for this point: {plain(error)}", icon=":material/info:")
        return
    kpi = drilled.kpi
    with st.container(border=True, key=key):
        st.markdown(
            f"**Records behind {plain(kpi.name)}, {drilled.name}: {plain(fmt.value(drilled.value, kpi.unit))}**"
        )
        if frozen is not _NOT_FROZEN:
            st.caption(plain(records.frozen_words(drilled, frozen)))
        if drilled.withheld or drilled.value is None:
            reason = f"{drilled.withheld}: not shown, to keep answers anonymous" if drilled.withheld else "no value"
            st.info(f"No records: {reason}.", icon=":material/visibility_off:")
            return
        scope = filter_words(filters)
        st.caption(
            f"{fmt.count(len(drilled.records))} records ({drilled.dataset}), {fmt.count(drilled.in_numerator)} "
            f"counted in the numerator; {plain(drilled.explanation)}. {plain(scope)}"
        )
        frame = records.records_frame(drilled)
        st.dataframe(frame, hide_index=True, key=f"{key}-table")
        download(
            "Download records (CSV)",
            lambda: csv_bytes(frame),
            file_name=f"{kpi.id}-{drilled.label}-records.csv",
            key=f"{key}-download",
        )


def filter_words(filters: Filters) -> str:
    """The filters in force, in words: 'Filters: site Leeds; department Quality.' or 'All sites and departments.'"""
    parts = [
        f"{label} {', '.join(values)}"
        for label, values in (
            ("site", filters.sites),
            ("department", filters.departments),
            ("standard", filters.standards),
        )
        if values
    ]
    return f"Filters: {'; '.join(parts)}." if parts else "All sites, departments and standards."


def empty_state(message: str) -> None:
    st.info(message, icon=":material/filter_alt_off:")


def stop_unless_loaded(db: Database, dataset: str, message: str) -> None:
    """When `dataset` has no rows at all (whatever the filters), say what to upload and stop the page."""
    if not next(summary.rows for summary in cached(dataset_summaries)(db) if summary.name == dataset):
        empty_state(message)
        st.stop()


def dataset_page(
    script: str, *, caption: str, dataset: str, empty: str, standards: bool = True
) -> tuple[Database, auth.User, Filters]:
    """start_page for a page over one dataset: the demo notice, the sidebar's filters, and, while the dataset has
    no rows, `empty` (what to upload) and a stop."""
    db, user = start_page(script, caption=caption)
    demo_notice(db)
    filters = sidebar_filters(db, standards=standards)
    stop_unless_loaded(db, dataset, empty)
    return db, user, filters
