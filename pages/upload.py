"""Upload: load CSV and Excel exports with a preview, column mapping, a validation report, history and undo."""

import datetime as dt

import pandas as pd
import streamlit as st

from isokpi import auth, ui, uploads
from isokpi.datasets import DATASETS, DATE, ENUM, SCALES, normalize_header
from isokpi.dates import DateFormatError
from isokpi.db import DatabaseError
from isokpi.ingest import UndoError, list_batches, undo_batch
from isokpi.mapping import WIDE_FIXED, MappingError
from isokpi.pillars import PILLAR_IDS, PILLAR_NAMES
from isokpi.sources import SourceError
from isokpi.templates import template_csv, template_xlsx

db, user = ui.start_page(
    "Upload",
    role=auth.QUALITY_LEAD,
    uploads=True,
    caption="Load CSV or Excel exports: preview them, map their columns, check every row, load them as one batch. "
    "Undo a batch under History.",
)

LIMIT_MB = min(int(st.get_option("server.maxUploadSize")), uploads.MAX_UPLOAD_MB)
MAX_BYTES = LIMIT_MB * 1024 * 1024
# What the CLI turns into a message and exit code 2 (or 1): shown as an error, never a traceback.
REJECTED = (MappingError, DateFormatError, SourceError, DatabaseError)
DETECT = "detect"
NOT_IN_FILE, SAME_VALUE = "\x00not-in-file", "\x00same-value"
DATE_ORDERS = {
    "auto": "Auto (from the values)",
    "DMY": "Day first (31/12/2025)",
    "MDY": "Month first (12/31/2025)",
    "YMD": "Year first (2025/12/31)",
}
STEPS = {
    "staging": "Staging the file in a private temporary folder",
    "validating": "Validating every row",
    "writing": "Writing every row in one transaction",
}
WIDE_OWN = (*WIDE_FIXED, "scale")  # in a wide export these come from the question columns and the scale
md = uploads.plain


def remembered(name, key, compute):
    """The last result of `compute` for `key`, kept in the session: a rerun for another widget does not read
    the file again; a new file, mapping, date order or load does."""
    slot = st.session_state.get(f"upload-memo-{name}")
    if slot is not None and slot[0] == key:
        return slot[1]
    value = compute()
    st.session_state[f"upload-memo-{name}"] = (key, value)
    return value


def flash(kind, text):
    """A message shown at the top of the next run (after a load or an undo the page reruns)."""
    st.session_state["upload-flash"] = (kind, text)


def option_label(option):
    return {NOT_IN_FILE: "— not in this file —", SAME_VALUE: "Same value for every row…"}.get(option, option)


def constant_input(column, default, key):
    """The one value of a column that the file does not have (a constant of the mapping)."""
    label = f"{column.name}: value for every row"
    if column.kind == ENUM:
        values = list(column.values)
        return st.selectbox(label, values, index=values.index(default) if default in values else 0, key=key)
    if column.kind == DATE:
        try:
            initial = dt.date.fromisoformat(default) if default else None
        except ValueError:
            initial = None
        value = st.date_input(label, value=initial, format="YYYY-MM-DD", key=key)
        return value.isoformat() if isinstance(value, dt.date) else None
    return st.text_input(label, value=default or "", key=key)


def column_choice(column, headers, auto, base, wide, ctx, label=None):
    """(header, constant) for one dataset column: the file column it comes from, or one value for every row."""
    name = column.name
    options = ([] if name in auto else [NOT_IN_FILE]) + headers + [SAME_VALUE]
    default, constant = auto.get(name, NOT_IN_FILE), None
    if base is not None and name in base.columns:
        wanted = normalize_header(base.columns[name])
        default = next((h for h in headers if normalize_header(h) == wanted), default)
    elif base is not None and name in base.constants:
        default, constant = SAME_VALUE, base.constants[name]
    elif wide and column.required and name not in auto:
        default = SAME_VALUE  # survey id, type and date of a wide export are usually one value for the file
    accepted = ", ".join((name, *column.aliases[:5]))
    choice = st.selectbox(
        label or (f"{name} (required)" if column.required else name),
        options,
        index=options.index(default) if default in options else 0,
        format_func=option_label,
        help=f"{column.description} Recognised headers: {accepted}.",
        key=f"map-{ctx}-{name}",
    )
    if choice == SAME_VALUE:
        return None, constant_input(column, constant, f"const-{ctx}-{name}")
    return (None if choice == NOT_IN_FILE else choice), None


def load_section():
    choice = st.selectbox(
        "Dataset",
        [DETECT, *DATASETS],
        format_func=lambda name: "Detect from the headers" if name == DETECT else f"{DATASETS[name].title} ({name})",
        key="upload-dataset",
    )
    uploaded = st.file_uploader(
        f"CSV or Excel file (.csv or .xlsx, up to {LIMIT_MB} MB)",
        type=["csv", "xlsx"],
        max_upload_size=LIMIT_MB,
        key="upload-file",
    )
    if uploaded is None:
        st.caption(
            "Export the data from your HR, audit or survey system as CSV or Excel. Column names are matched to the "
            "dataset's columns and their usual aliases; the Templates tab has an example file for each dataset."
        )
        return
    file_name = uploads.display_name(uploaded.name)

    try:
        inspection = remembered(
            "inspect",
            (uploaded.file_id, None),
            lambda: uploads.inspect_upload(db, uploaded, file_name, max_bytes=MAX_BYTES),
        )
        sheet = None
        if inspection.sheets:
            sheets = list(inspection.sheets)
            sheet = st.selectbox(
                "Sheet",
                sheets,
                index=sheets.index(inspection.sheet),
                key=f"upload-sheet-{uploaded.file_id}",
            )
            if sheet != inspection.sheet:
                inspection = remembered(
                    "inspect-sheet",
                    (uploaded.file_id, sheet),
                    lambda: uploads.inspect_upload(db, uploaded, file_name, sheet=sheet, max_bytes=MAX_BYTES),
                )
        headers = list(dict.fromkeys(h for h in inspection.headers if h.strip()))

        saved = uploads.find_saved_mapping(db, None if choice == DETECT else choice, inspection.headers)
        if choice == DETECT:
            dataset_name = saved.dataset if saved else uploads.detect_dataset(inspection.headers)
            if dataset_name is None:
                st.warning(
                    "The headers do not tell which dataset this file is: choose the dataset above.",
                    icon=":material/help:",
                )
                return
            st.caption(f"Dataset detected from the headers: {DATASETS[dataset_name].title} ({dataset_name}).")
        else:
            dataset_name = choice
        dataset = DATASETS[dataset_name]

        base = None
        if saved is not None:
            st.info(
                f"Applied the saved mapping **{md(saved.name)}** (saved by {md(saved.created_by)} on "
                f"{saved.created_at:%d %b %Y}): this file has the headers of the one it was made for.",
                icon=":material/auto_fix_high:",
            )
            if st.toggle("Use the saved mapping", value=True, key=f"use-saved-{uploaded.file_id}-{saved.mapping_id}"):
                base = saved.mapping
        ctx = f"{uploaded.file_id}-{sheet}-{dataset_name}-{saved.mapping_id if base else 0}"

        orders = list(DATE_ORDERS)
        order = st.radio(
            "Date order",
            orders,
            index=orders.index(base.date_format) if base and base.date_format in orders else 0,
            format_func=DATE_ORDERS.get,
            horizontal=True,
            help="Auto reads the order from the file's own values (a day over 12 tells) and asks when it cannot tell.",
            key=f"date-order-{ctx}",
        )
        date_format = None if order == "auto" else order

        wide = False
        if dataset_name == "survey":
            plain_match = uploads.suggest_mapping(dataset_name, headers)
            wide = st.toggle(
                "One row per respondent (a wide export: one column per question)",
                value=base.is_wide if base else ("question_id" not in plain_match and "score" not in plain_match),
                key=f"wide-{ctx}",
            )
        ctx = f"{ctx}-{int(wide)}"

        questions, scale = {}, None
        if wide:
            with st.container(border=True):
                st.markdown("**Wide survey export**")
                st.caption(
                    "Each question column becomes one survey row per respondent, with question_id = the column name. "
                    "Empty answers give no row."
                )
                saved_pillars = {normalize_header(q): p for q, p in base.questions.items()} if base else {}
                default_questions = (
                    [h for h in headers if normalize_header(h) in saved_pillars]
                    if base
                    else uploads.unmatched_headers(dataset_name, headers)
                )
                respondent = column_choice(
                    dataset.column("response_id"),
                    headers,
                    plain_match,
                    base,
                    wide,
                    ctx,
                    label="Respondent id column (response_id)",
                )
                picked = st.multiselect("Question columns", headers, default=default_questions, key=f"questions-{ctx}")
                for header in picked:
                    pillar = saved_pillars.get(normalize_header(header))
                    questions[header] = st.selectbox(
                        f"Pillar of {md(header)}",
                        PILLAR_IDS,
                        index=PILLAR_IDS.index(pillar) if pillar in PILLAR_IDS else None,
                        format_func=PILLAR_NAMES.get,
                        placeholder="Choose the pillar this question evidences",
                        key=f"pillar-{ctx}-{headers.index(header)}",
                    )
                scales = list(SCALES)
                scale = st.selectbox(
                    "Scale of every question",
                    scales,
                    index=scales.index(base.scale) if base and base.scale in scales else scales.index("likert5"),
                    key=f"scale-{ctx}",
                )
            if not picked:
                st.warning("Choose the question columns of the export.", icon=":material/checklist:")
                return
            if any(pillar is None for pillar in questions.values()):
                st.warning(
                    "Choose a pillar for every question column: the preview and the report follow.",
                    icon=":material/checklist:",
                )
                return

        auto = uploads.suggest_mapping(dataset_name, headers, questions=list(questions))
        mappable = [c for c in dataset.columns if not (wide and c.name in (*WIDE_OWN, "response_id"))]
        missing = [c.name for c in mappable if c.required and c.name not in auto]
        chosen, constants = {}, {}
        if wide:
            chosen["response_id"], constants["response_id"] = respondent
        with st.expander(
            "Column mapping" + (f": {len(missing)} required column(s) not found by name" if missing else ""),
            expanded=bool(missing) or wide or base is not None,
            icon=":material/table_convert:",
        ):
            st.caption(
                "Which column of the file holds each dataset column, or one value for every row. Suggestions come "
                "from the column names and their usual aliases; required columns come first."
            )
            grid = st.columns(2)
            for index, column in enumerate(sorted(mappable, key=lambda c: not c.required)):
                with grid[index % 2]:
                    chosen[column.name], constants[column.name] = column_choice(column, headers, auto, base, wide, ctx)
            full = uploads.build_mapping(dataset_name, chosen, constants, questions, scale, date_format)
            name_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
            mapping_name = name_column.text_input(
                "Save this mapping as",
                value=saved.name if base else "",
                placeholder="the system the export comes from, e.g. HR learning system",
                key=f"save-name-{ctx}",
            )
            if button_column.button("Save mapping", icon=":material/save:", key=f"save-{ctx}"):
                try:
                    stored = uploads.save_mapping(db, mapping_name, dataset_name, full, inspection.headers, user.email)
                except (ValueError, DatabaseError) as error:
                    st.error(md(error), icon=":material/error:")
                else:
                    st.success(
                        f"Saved as **{md(stored.name)}**: the next {dataset_name} file with these headers maps itself.",
                        icon=":material/save:",
                    )
        mapping = full if uploads.needs_mapping(full, headers) else None

        report = remembered(
            "report",
            (
                uploaded.file_id,
                sheet,
                dataset_name,
                mapping.to_toml() if mapping else None,
                date_format,
                ui.data_version(db),
            ),
            lambda: uploads.validate_upload(
                db,
                uploaded,
                file_name,
                dataset_name,
                sheet=sheet,
                mapping=mapping,
                date_format=date_format,
                max_bytes=MAX_BYTES,
            ),
        )
    except REJECTED as error:
        st.error(md(error), icon=":material/block:")
        return

    st.subheader("Preview", anchor=False)
    if report.preview.rows:
        st.caption(
            f"The first {len(report.preview.rows)} rows as they will be stored: dataset columns, parsed dates, "
            "normalised values; row is the row number in the spreadsheet. A value that does not pass shows empty: "
            "the report below says why."
        )
        st.dataframe(pd.DataFrame(report.preview.rows, columns=report.preview.columns), hide_index=True, key="preview")
    else:
        st.caption("No rows to preview: the report below says why.")

    result = report.result
    st.subheader("Validation report", anchor=False)
    with st.container(border=True):
        counts = st.columns(4)
        counts[0].metric("Rows read", f"{result.rows_read:,}")
        for column, label, value in zip(
            counts[1:],
            ("To insert", "To update", "Unchanged"),
            (result.inserted, result.updated, result.unchanged),
            strict=True,
        ):
            column.metric(label, f"{value:,}" if result.ok else "–")
        if not result.ok:
            st.error(
                f"{result.error_count:,} problem(s) in {md(file_name)}: nothing is loaded until they are fixed. "
                "Correct the file and upload it again, or change the mapping or the date order above.",
                icon=":material/error:",
            )
            problems = pd.DataFrame([p.as_dict() for p in result.errors], columns=["row", "column", "value", "message"])
            st.dataframe(
                problems,
                hide_index=True,
                column_config={
                    "row": st.column_config.NumberColumn("Row", width="small", help="As the spreadsheet numbers it"),
                    "column": st.column_config.TextColumn("Column", width="small"),
                    "value": st.column_config.TextColumn("Value", width="small"),
                    "message": st.column_config.TextColumn("Message", width="large"),
                },
                key="problems",
            )
            if result.error_count > len(result.errors):
                st.caption(f"The first {len(result.errors):,} of {result.error_count:,} problems are listed.")
            st.download_button(
                "Download the problems (CSV)",
                ui.csv_bytes(problems),
                file_name=f"{file_name.rsplit('.', 1)[0]}-problems.csv",
                mime="text/csv",
                icon=":material/download:",
                on_click="ignore",
                key="download-problems",
            )
        elif not report.can_load:
            st.info(
                "Every row is already loaded with these values: loading would change nothing.",
                icon=":material/check_circle:",
            )
        for warning in result.warnings:
            st.caption(f"Note: {md(warning)}")
        load = st.button("Load", type="primary", icon=":material/upload:", disabled=not report.can_load, key="load")

    if load:
        with st.status(f"Loading {md(file_name)}…", expanded=True) as status:
            try:
                loaded = uploads.load_upload(
                    db,
                    uploaded,
                    file_name,
                    dataset_name,
                    user=user.email,
                    sheet=sheet,
                    mapping=mapping,
                    date_format=date_format,
                    max_bytes=MAX_BYTES,
                    progress=lambda step: status.write(STEPS[step]),
                )
            except REJECTED as error:
                status.update(label="Nothing was loaded", state="error")
                st.error(md(error), icon=":material/error:")
                return
            if not loaded.ok:
                status.update(label="Nothing was loaded", state="error")
                st.error(
                    f"{loaded.error_count:,} problem(s) appeared while loading; the first: row "
                    f"{loaded.errors[0].row}: {md(loaded.errors[0].message)}",
                    icon=":material/error:",
                )
                return
            status.update(label="Loaded" if loaded.loaded else "Nothing to change", state="complete")
        if loaded.loaded:
            flash(
                "success",
                f"Loaded {md(file_name)} as batch {loaded.batch_id}: {loaded.inserted:,} rows inserted, "
                f"{loaded.updated:,} updated, {loaded.unchanged:,} unchanged. Every dashboard page shows the new data.",
            )
        else:
            flash("success", f"Nothing changed: every row of {md(file_name)} was already loaded.")
        ui.data_changed()
        st.rerun()


def undo(batch_id):
    st.session_state["undo-confirm"] = False
    if not ui.allowed_now(db, auth.QUALITY_LEAD):  # callbacks run before the page's own role check
        flash("error", "Undo needs the Quality lead role.")
        return
    try:
        outcome = undo_batch(db, batch_id, user=user.email)
    except (UndoError, DatabaseError) as error:
        flash("error", f"Batch {batch_id} was not undone: {md(error)}")
    else:
        ui.data_changed()
        flash(
            "success",
            f"Batch {batch_id} ({outcome['dataset']}) undone: {outcome['removed']:,} row versions removed, "
            f"{outcome['restored']:,} previous versions restored. Every dashboard page shows the change.",
        )


def history_section():
    batches = list_batches(db)
    if not batches:
        st.caption("No files loaded yet.")
        return
    columns = {
        "batch_id": "Batch",
        "dataset": "Dataset",
        "file_name": "File",
        "loaded_by": "Loaded by",
        "loaded_at": "Loaded at (UTC)",
        "rows_read": "Rows read",
        "inserted": "Inserted",
        "updated": "Updated",
        "unchanged": "Unchanged",
        "status": "Status",
        "undone_by": "Undone by",
        "undone_at": "Undone at (UTC)",
    }
    frame = pd.DataFrame(batches)[list(columns)].rename(columns=columns)
    st.dataframe(frame, hide_index=True, key="batches")
    loaded = {b["batch_id"]: b for b in batches if b["status"] == "loaded"}
    if not loaded:
        return
    with st.container(border=True):
        st.markdown("**Undo a batch**")
        batch_id = st.selectbox(
            "Batch",
            list(loaded),
            format_func=lambda i: (
                f"{i}: {loaded[i]['dataset']}, {loaded[i]['file_name']} "
                f"({loaded[i]['loaded_at']:%d %b %Y %H:%M} by {loaded[i]['loaded_by']})"
            ),
            key="undo-batch",
        )
        st.caption(
            "Undo restores the data as it was before the batch: the rows it inserted go, the previous versions of the "
            "rows it updated come back. A batch whose rows a later batch changed is undone after that one."
        )
        confirmed = st.checkbox(f"Yes, undo batch {batch_id}", key="undo-confirm")
        st.button(
            "Undo batch",
            icon=":material/undo:",
            disabled=not confirmed,
            on_click=undo,
            args=(batch_id,),
            key="undo",
        )


def delete_saved(mapping_id):
    if not ui.allowed_now(db, auth.QUALITY_LEAD):  # callbacks run before the page's own role check
        flash("error", "Deleting a saved mapping needs the Quality lead role.")
        return
    try:
        gone = uploads.delete_mapping(db, mapping_id, user.email)
    except (ValueError, DatabaseError) as error:
        flash("error", md(error))
    else:
        flash("success", f"Deleted the saved mapping {md(gone.name)}.")


def mappings_section():
    saved_mappings = uploads.list_mappings(db)
    if not saved_mappings:
        st.caption(
            "No saved mappings yet. Map a file's columns under Load a file and save the mapping under a name: the "
            "next export from the same system maps itself."
        )
        return
    st.caption(
        "A saved mapping is applied to a file with the same headers as the one it was saved from. Each downloads as "
        "the TOML file that `python -m isokpi ingest DATASET FILE --mapping FILE.toml` reads."
    )
    for saved in saved_mappings:
        with st.container(border=True):
            left, right = st.columns([3, 1])
            left.markdown(f"**{md(saved.name)}**: {DATASETS[saved.dataset].title}")
            left.caption(f"Saved by {md(saved.created_by)} on {saved.created_at:%d %b %Y %H:%M} UTC.")
            with left.expander("TOML"):
                st.code(saved.toml, language="toml")
            right.download_button(
                "Download .toml",
                saved.toml.encode("utf-8"),
                file_name=saved.file_name,
                mime="application/toml",
                icon=":material/download:",
                on_click="ignore",
                key=f"download-mapping-{saved.mapping_id}",
            )
            right.button(
                "Delete",
                icon=":material/delete:",
                on_click=delete_saved,
                args=(saved.mapping_id,),
                key=f"delete-mapping-{saved.mapping_id}",
            )


def templates_section():
    st.caption("An example file per dataset with its columns and one example row; the Excel one describes each column.")
    for dataset in DATASETS.values():
        with st.container(border=True):
            st.markdown(f"**{dataset.title}** (`{dataset.name}`)")
            st.caption(dataset.description)
            csv_column, xlsx_column = st.columns(2)
            csv_column.download_button(
                "CSV template",
                template_csv(dataset),
                file_name=f"{dataset.name}.csv",
                mime="text/csv",
                icon=":material/download:",
                on_click="ignore",
                key=f"template-csv-{dataset.name}",
            )
            xlsx_column.download_button(
                "Excel template",
                lambda dataset=dataset: template_xlsx(dataset),
                file_name=f"{dataset.name}.xlsx",
                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                icon=":material/download:",
                on_click="ignore",
                key=f"template-xlsx-{dataset.name}",
            )


message = st.session_state.pop("upload-flash", None)
if message is not None:
    kind, text = message
    if kind == "success":
        st.success(text, icon=":material/check_circle:")
    else:
        st.error(text, icon=":material/error:")

load_tab, history_tab, mappings_tab, templates_tab = st.tabs(["Load a file", "History", "Saved mappings", "Templates"])
with load_tab:
    load_section()
with history_tab:
    history_section()
with mappings_tab:
    mappings_section()
with templates_tab:
    templates_section()
