"""Upload: load CSV and Excel exports with a preview, column mapping, a validation report, history and undo."""

import datetime as dt

import pandas as pd
import streamlit as st

from isokpi import auth, mapping, ui, uploads
from isokpi import format as fmt
from isokpi.datasets import DATASETS, DATE, ENUM, SCALES
from isokpi.errors import IsokpiError
from isokpi.ingest import list_batches, undo_batch
from isokpi.pillars import PILLAR_IDS, PILLAR_NAMES
from isokpi.safety import plain as md
from isokpi.survey_tools import TOOLS
from isokpi.templates import template_csv, template_xlsx
from isokpi.uploads import NOT_IN_FILE, SAME_VALUE

db, user = ui.start_page(
    __file__,
    uploads=True,
    caption="Load CSV or Excel exports: preview them, map their columns, check every row, load them as one batch. "
    "Undo a batch under History.",
)

LIMIT_MB = min(int(st.get_option("server.maxUploadSize")), uploads.MAX_UPLOAD_MB)
MAX_BYTES = LIMIT_MB * 1024 * 1024
DETECT = "detect"
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
BATCH_COLUMNS = {
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


def remembered(name, key, compute):
    """The last result of `compute` for `key`, kept in the session: a rerun for another widget does not read
    the file again; a new file, mapping, date order or load does."""
    slot = st.session_state.get(f"upload-memo-{name}")
    if slot is not None and slot[0] == key:
        return slot[1]
    value = compute()
    st.session_state[f"upload-memo-{name}"] = (key, value)
    return value


def kept(uploaded, file_name):
    """The upload staged once (uploads.UploadStage): the headers, every report and the load read its one CSV, so a
    workbook is converted once per upload; the stage of the file before is closed (its files deleted)."""
    slot = st.session_state.get(ui.UPLOAD_STAGE)
    if slot is not None and slot[:2] == (uploaded.file_id, db.serial) and not slot[2].closed:
        return slot[2]
    ui.drop_upload_stage()  # another file, or the database was opened again (its upload directory is new)
    stage = uploads.UploadStage(db, uploaded, file_name, MAX_BYTES)
    st.session_state[ui.UPLOAD_STAGE] = (uploaded.file_id, db.serial, stage)
    return stage


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


def column_choice(column, headers, suggested, base, wide, ctx, label=None):
    """(header, constant) for one dataset column: the file column it comes from, or one value for every row."""
    options = ([] if column.name in suggested else [NOT_IN_FILE]) + headers + [SAME_VALUE]
    default, constant = uploads.column_default(column, headers, suggested, base, wide)
    choice = st.selectbox(
        label or (f"{column.name} (required)" if column.required else column.name),
        options,
        index=options.index(default) if default in options else 0,
        format_func=option_label,
        help=f"{column.description} Recognised headers: {', '.join((column.name, *column.aliases[:5]))}.",
        key=f"map-{ctx}-{column.name}",
    )
    if choice == SAME_VALUE:
        return None, constant_input(column, constant, f"const-{ctx}-{column.name}")
    return (None if choice == NOT_IN_FILE else choice), None


def inspect(uploaded, file_name):
    """The file's headers, after the sheet picker for a workbook."""
    inspection = remembered(
        "inspect",
        (uploaded.file_id, None),
        lambda: uploads.inspect_upload(db, kept(uploaded, file_name), file_name, max_bytes=MAX_BYTES),
    )
    if not inspection.sheets:
        return inspection, None
    sheets = list(inspection.sheets)
    sheet = st.selectbox("Sheet", sheets, index=sheets.index(inspection.sheet), key=f"upload-sheet-{uploaded.file_id}")
    if sheet != inspection.sheet:
        inspection = remembered(
            "inspect-sheet",
            (uploaded.file_id, sheet),
            lambda: uploads.inspect_upload(db, kept(uploaded, file_name), file_name, sheet=sheet, max_bytes=MAX_BYTES),
        )
    return inspection, sheet


def choose_dataset(choice, inspection):
    """(dataset name, saved mapping for these headers); (None, None) when the headers cannot tell."""
    headers = inspection.headers
    saved = mapping.find_saved_mapping(db, None if choice == DETECT else choice, headers)
    if inspection.source:
        st.caption(
            f"Recognised a {TOOLS[inspection.source].title} export: its header rows, respondent id and answer dates "
            "are read as the tool writes them. Choose its question columns and their pillars below."
        )
    if choice != DETECT:
        return choice, saved
    dataset_name = saved.dataset if saved else "survey" if inspection.source else uploads.detect_dataset(headers)
    if dataset_name is None:
        st.warning(
            "The headers do not tell which dataset this file is: choose the dataset above.", icon=":material/help:"
        )
        return None, None
    st.caption(f"Dataset detected from the headers: {DATASETS[dataset_name].title} ({dataset_name}).")
    return dataset_name, saved


def use_saved(saved, file_id):
    """The saved mapping to start from, unless the user turns it off."""
    if saved is None:
        return None
    st.info(
        f"Applied the saved mapping **{md(saved.name)}** (saved by {md(auth.shown_user(saved.created_by))} on "
        f"{saved.created_at:%d %b %Y}): this file has the headers of the one it was made for.",
        icon=":material/auto_fix_high:",
    )
    if st.toggle("Use the saved mapping", value=True, key=f"use-saved-{file_id}-{saved.mapping_id}"):
        return saved.mapping
    return None


def date_order(base, ctx):
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
    return None if order == "auto" else order


def wide_settings(dataset, inspection, headers, base, ctx):
    """A wide survey export's respondent column, question columns with their pillars, and scale; None until
    every question has a pillar."""
    with st.container(border=True):
        st.markdown("**Wide survey export**")
        st.caption(
            "Each question column becomes one survey row per respondent, with question_id = the column name. "
            "Empty answers give no row."
        )
        status = st.empty()  # the settings in one line, filled below as they are chosen
        defaults, saved_pillars = uploads.question_defaults(headers, base)
        suggested = uploads.respondent_default(uploads.suggest_mapping(dataset.name, headers), inspection.identifiers)
        respondent = column_choice(
            dataset.column("response_id"),
            headers,
            suggested,
            base,
            True,
            ctx,
            label="Respondent id column (response_id)",
        )
        picked = st.multiselect(
            "Question columns", [h for h in headers if h != respondent[0]], default=defaults, key=f"questions-{ctx}",
            placeholder="Choose the columns that hold answers",
        )  # fmt: skip
        questions = question_pillars(picked, headers, saved_pillars, ctx)
        scales = list(SCALES)
        default_scale = base.scale if base and base.scale in scales else "likert5"
        scale = st.selectbox("Scale of every question", scales, index=scales.index(default_scale), key=f"scale-{ctx}")
        status.info(uploads.questions_status(questions, respondent[0]), icon=":material/checklist:")
    if not picked:
        st.warning("Choose the question columns of the export.", icon=":material/checklist:")
        return None
    if any(pillar is None for pillar in questions.values()):
        st.warning(
            "Choose a pillar for every question column: the preview and the report follow.", icon=":material/checklist:"
        )
        return None
    return respondent, questions, scale


def pillar_key(ctx, headers, header):
    return f"pillar-{ctx}-{headers.index(header)}"


def question_pillars(picked, headers, saved_pillars, ctx):
    """{question header: pillar or None}: one pillar given to several questions at once, then each question's own."""
    if not picked:
        return {}

    def apply_pillar():
        chosen = st.session_state.get(f"group-pillar-{ctx}")
        for header in st.session_state.get(f"group-{ctx}", []):
            st.session_state[pillar_key(ctx, headers, header)] = chosen

    group, pillar, button = st.columns([3, 2, 1], vertical_alignment="bottom")
    group.multiselect("Questions", picked, key=f"group-{ctx}", placeholder="Choose questions of one pillar")
    pillar.selectbox(
        "Their pillar", PILLAR_IDS, index=None, format_func=PILLAR_NAMES.get, key=f"group-pillar-{ctx}",
        placeholder="Choose the pillar",
    )  # fmt: skip
    button.button("Apply", key=f"group-apply-{ctx}", on_click=apply_pillar, icon=":material/done_all:")
    questions = {}
    with st.expander("Pillar of each question", expanded=len(picked) <= 6):
        for header in picked:
            key = pillar_key(ctx, headers, header)
            pillar = None if key in st.session_state else saved_pillars.get(header)  # once set, the widget's own
            questions[header] = st.selectbox(
                f"Pillar of {md(header)}",
                PILLAR_IDS,
                index=PILLAR_IDS.index(pillar) if pillar in PILLAR_IDS else None,
                format_func=PILLAR_NAMES.get,
                placeholder="Choose the pillar this question evidences",
                key=key,
            )
    return questions


def save_form(full, dataset_name, headers, saved, ctx):
    name_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
    name = name_column.text_input(
        "Save this mapping as",
        value=saved.name if saved else "",
        placeholder="the system the export comes from, e.g. HR learning system",
        key=f"save-name-{ctx}",
    )
    if button_column.button("Save mapping", icon=":material/save:", key=f"save-{ctx}"):
        try:
            stored = mapping.save_mapping(db, user, name, dataset_name, full, headers)
        except IsokpiError as error:
            st.error(md(error), icon=":material/error:")
        else:
            st.success(
                f"Saved as **{md(stored.name)}**: the next {dataset_name} file with these headers maps itself.",
                icon=":material/save:",
            )


def mapping_settings(dataset, inspection, headers, base, saved, wide_choice, date_format, ctx):
    """The column mapping the file loads with (None when the headers say it all)."""
    respondent, questions, scale = wide_choice or (None, {}, None)
    suggested = uploads.suggest_mapping(dataset.name, headers, questions=list(questions))
    columns = uploads.mappable_columns(dataset, wide_choice is not None)
    missing = uploads.missing_required(columns, suggested)
    chosen, constants = {}, {}
    if wide_choice is not None:
        chosen["response_id"], constants["response_id"] = respondent
    with st.expander(
        "Column mapping" + (f": {len(missing)} required column(s) not found by name" if missing else ""),
        expanded=bool(missing) or wide_choice is not None or base is not None,
        icon=":material/table_convert:",
    ):
        st.caption(
            "Which column of the file holds each dataset column, or one value for every row. Suggestions come "
            "from the column names and their usual aliases; required columns come first."
        )
        grid = st.columns(2)
        for index, column in enumerate(columns):
            with grid[index % 2]:
                chosen[column.name], constants[column.name] = column_choice(
                    column, headers, suggested, base, wide_choice is not None, ctx
                )
        tool = {"source": base.source, "labels": base.labels} if base else {}
        full = uploads.build_mapping(dataset.name, chosen, constants, questions, scale, date_format, **tool)
        save_form(full, dataset.name, inspection.headers, saved if base else None, ctx)
    return full if uploads.needs_mapping(full, headers) else None


def problems_table(result, file_name):
    st.error(
        f"{fmt.counted(result.error_count, 'problem')} in {md(file_name)}: nothing is loaded until they are fixed. "
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
    ui.download(
        "Download the problems (CSV)",
        ui.csv_bytes(problems.assign(file=file_name)[["file", *problems.columns]]),  # the file named on every row
        file_name=f"{file_name.rsplit('.', 1)[0]}-problems.csv",
        key="download-problems",
    )


def report_section(report, file_name, file_id):
    """The preview and the validation report (of the uploaded file `file_id`); True when Load is pressed."""
    st.subheader("Preview", anchor=False)
    if report.preview.rows:
        st.caption(
            f"The first {len(report.preview.rows)} rows as they will be stored: dataset columns, parsed dates, "
            "normalised values; row is the row number in the spreadsheet. An empty value, or one that does not pass, "
            "shows as None: the report below says why a value did not pass."
        )
        st.dataframe(pd.DataFrame(report.preview.rows, columns=report.preview.columns), hide_index=True, key="preview")
    else:
        st.caption("No rows to preview: the report below says why.")
    result = report.result
    st.subheader("Validation report", anchor=False)
    with st.container(border=True):
        counts = st.columns(4)
        counts[0].metric("Rows read", f"{result.rows_read:,}")
        labels = ("To insert", "To update", "Unchanged")
        for column, label, value in zip(
            counts[1:], labels, (result.inserted, result.updated, result.unchanged), strict=True
        ):
            column.metric(label, f"{value:,}" if result.ok else "–")
        if not result.ok:
            problems_table(result, file_name)
        elif not report.can_load:
            just = st.session_state.get("upload-loaded")
            st.info(
                f"{md(file_name)} is loaded now (batch {just[1]}): loading it again would change nothing. Choose "
                "another file to load more."
                if just and just[0] == file_id
                else "Every row is already loaded with these values: loading would change nothing.",
                icon=":material/check_circle:",
            )
        for warning in result.warnings:
            st.caption(f"Note: {md(warning)}")
        return st.button("Load", type="primary", icon=":material/upload:", disabled=not report.can_load, key="load")


def load_file(uploaded, file_name, settings):
    with st.status(f"Loading {md(file_name)}…", expanded=True) as status:
        try:
            loaded = uploads.load_upload(
                db,
                kept(uploaded, file_name),
                file_name,
                **settings,
                actor=user,
                max_bytes=MAX_BYTES,
                progress=lambda step: status.write(STEPS[step]),
            )
        except IsokpiError as error:
            status.update(label="Nothing was loaded", state="error")
            st.error(md(error), icon=":material/error:")
            return
        if not loaded.ok:
            status.update(label="Nothing was loaded", state="error")
            first = loaded.errors[0]
            st.error(
                f"{fmt.counted(loaded.error_count, 'problem')} appeared while loading; the first: row {first.row}: {md(first.message)}",
                icon=":material/error:",
            )
            return
        status.update(label="Loaded" if loaded.loaded else "Nothing to change", state="complete")
    if loaded.loaded:
        st.session_state["upload-loaded"] = (uploaded.file_id, loaded.batch_id)  # the next run's report says so
        flash(
            "success",
            f"Loaded {md(file_name)} as batch {loaded.batch_id}: {loaded.inserted:,} rows inserted, "
            f"{loaded.updated:,} updated, {loaded.unchanged:,} unchanged. Every dashboard page shows the new data.",
        )
    else:
        flash("success", f"Nothing changed: every row of {md(file_name)} was already loaded.")
    st.rerun()


def settings_and_report(uploaded, file_name, choice):
    """Every setting the file loads with, then its validation report: (settings, report), or None while a
    setting is missing."""
    inspection, sheet = inspect(uploaded, file_name)
    headers = list(dict.fromkeys(h for h in inspection.headers if h.strip()))
    dataset_name, saved = choose_dataset(choice, inspection)
    if dataset_name is None:
        return None
    dataset = DATASETS[dataset_name]
    base = use_saved(saved, uploaded.file_id)
    ctx = f"{uploaded.file_id}-{sheet}-{dataset_name}-{saved.mapping_id if base else 0}"
    if base is None and inspection.source and dataset_name == "survey":
        base = uploads.tool_mapping(inspection.source)  # the settings the tool's export implies
    date_format = date_order(base, ctx)
    wide = dataset_name == "survey" and st.toggle(
        "One row per respondent (a wide export: one column per question)",
        value=base.is_wide if base else uploads.looks_wide(dataset_name, headers),
        key=f"wide-{ctx}",
    )
    ctx = f"{ctx}-{int(wide)}"
    wide_choice = wide_settings(dataset, inspection, headers, base, ctx) if wide else None
    if wide and wide_choice is None:
        return None
    chosen = mapping_settings(dataset, inspection, headers, base, saved, wide_choice, date_format, ctx)
    settings = {"dataset_name": dataset_name, "sheet": sheet, "mapping": chosen, "date_format": date_format}
    key = (
        uploaded.file_id,
        sheet,
        dataset_name,
        chosen.to_toml() if chosen else None,
        date_format,
        ui.data_version(db),
    )
    report = remembered(
        "report",
        key,
        lambda: uploads.validate_upload(db, kept(uploaded, file_name), file_name, **settings, max_bytes=MAX_BYTES),
    )
    return settings, report


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
        ui.drop_upload_stage()
        st.caption(
            "Export the data from your HR, audit or survey system as CSV or Excel. Column names are matched to the "
            "dataset's columns and their usual aliases; the Templates tab has an example file for each dataset."
        )
        return
    file_name = uploads.display_name(uploaded.name)
    try:
        prepared = settings_and_report(uploaded, file_name, choice)
    except IsokpiError as error:
        st.error(md(error), icon=":material/block:")
        return
    if prepared is not None and report_section(prepared[1], file_name, uploaded.file_id):
        load_file(uploaded, file_name, prepared[0])


def undo(batch_id):
    st.session_state["undo-confirm"] = False
    if not ui.allowed_now(db, auth.QUALITY_LEAD):  # callbacks run before the page's own role check
        flash("error", "Undo needs the Quality lead role.")
        return
    try:
        outcome = undo_batch(db, batch_id, actor=user)
    except IsokpiError as error:
        flash("error", f"Batch {batch_id} was not undone: {md(error)}")
    else:
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
    when = st.column_config.DatetimeColumn(format="D MMM YYYY HH:mm")
    ledger = pd.DataFrame(batches)[list(BATCH_COLUMNS)].rename(columns=BATCH_COLUMNS)
    for column in ("Loaded by", "Undone by"):  # the local user by name; a batch still loaded: blank, not "None"
        ledger[column] = [auth.shown_user(None if pd.isna(who) else who) for who in ledger[column]]
    config = {"Loaded at (UTC)": when, "Undone at (UTC)": when}
    st.dataframe(ledger, hide_index=True, key="batches", column_config=config)
    # Your own batches first, newest first: undoing a demo batch is a choice, never what the box offers first.
    loaded = {b["batch_id"]: b for b in sorted(batches, key=lambda b: bool(b["demo"])) if b["status"] == "loaded"}
    if not loaded:
        return
    first_is_demo = loaded[next(iter(loaded))]["demo"]
    with st.container(border=True):
        st.markdown("**Undo a batch**")
        batch_id = st.selectbox(
            "Batch",
            list(loaded),
            format_func=lambda i: (
                f"{i}: {loaded[i]['dataset']}, {loaded[i]['file_name']}{' (demo data)' if loaded[i]['demo'] else ''} "
                f"({loaded[i]['loaded_at']:%d %b %Y %H:%M} by {auth.shown_user(loaded[i]['loaded_by'])})"
            ),
            key="undo-batch",
            index=None if first_is_demo else 0,
            placeholder="Choose the batch to undo",
        )
        if batch_id is None:
            return
        st.caption(
            "Undo restores the data as it was before the batch: the rows it inserted go, the previous versions of the "
            "rows it updated come back. A batch whose rows a later batch changed is undone after that one."
        )
        confirmed = st.checkbox(f"Yes, undo batch {batch_id}", key="undo-confirm")
        st.button(
            "Undo batch", icon=":material/undo:", disabled=not confirmed, on_click=undo, args=(batch_id,), key="undo"
        )


def delete_saved(mapping_id):
    if not ui.allowed_now(db, auth.QUALITY_LEAD):  # callbacks run before the page's own role check
        flash("error", "Deleting a saved mapping needs the Quality lead role.")
        return
    try:
        gone = mapping.delete_mapping(db, user, mapping_id)
    except IsokpiError as error:
        flash("error", md(error))
    else:
        flash("success", f"Deleted the saved mapping {md(gone.name)}.")


def mappings_section():
    saved_mappings = mapping.list_mappings(db)
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
            left.caption(f"Saved by {md(auth.shown_user(saved.created_by))} on {saved.created_at:%d %b %Y %H:%M} UTC.")
            with left.expander("TOML"):
                st.code(saved.toml, language="toml")
            ui.download(
                "Download .toml",
                saved.toml.encode("utf-8"),
                file_name=saved.file_name,
                mime="application/toml",
                key=f"download-mapping-{saved.mapping_id}",
                where=right,
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
            ui.download(
                "CSV template",
                template_csv(dataset),
                file_name=f"{dataset.name}.csv",
                key=f"template-csv-{dataset.name}",
                where=csv_column,
            )
            ui.download(
                "Excel template",
                lambda dataset=dataset: template_xlsx(dataset),
                file_name=f"{dataset.name}.xlsx",
                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                key=f"template-xlsx-{dataset.name}",
                where=xlsx_column,
            )


message = st.session_state.pop("upload-flash", None)
if message is not None:
    kind, text = message
    if kind == "success":
        st.success(text, icon=":material/check_circle:")
    else:
        st.error(text, icon=":material/error:")
ui.demo_notice(db, removal_for=user, only_beside_real=True)  # removal offered once your own data is loaded too

load_tab, history_tab, mappings_tab, templates_tab = st.tabs(["Load a file", "History", "Saved mappings", "Templates"])
with load_tab:
    load_section()
with history_tab:
    history_section()
with mappings_tab:
    mappings_section()
with templates_tab:
    templates_section()
