"""Column mappings: how one system's export maps to a dataset, saved as TOML and reused next month.

```toml
dataset = "survey"            # optional: the dataset the mapping is for
scale = "likert5"             # wide surveys: the scale of every question column
date_format = "DMY"           # optional, as --date-format

[columns]                     # canonical column = header in the file
response_id = "Respondent"
responded_on = "Submitted"

[constants]                   # canonical column = one value for every row
survey_id = "ENG-2025Q1"
survey_type = "engagement"
stakeholder = "employee"

[questions]                   # wide surveys: question column header = pillar id
"I understand our quality objectives" = "vision_strategy"
```
With [questions], each question column becomes one `survey` row per respondent, question_id = header.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from isokpi.datasets import DATASETS, SCALES
from isokpi.errors import InputError
from isokpi.pillars import PILLAR_IDS

WIDE_FIXED = ("question_id", "question_text", "pillar", "score")


class MappingError(InputError):
    """The mapping file is not valid; the message names the key and what is allowed."""


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    questions: dict[str, str] = field(default_factory=dict)
    scale: str | None = None
    date_format: str | None = None
    dataset: str | None = None

    @property
    def is_wide(self) -> bool:
        return bool(self.questions)

    def to_toml(self) -> str:
        import tomli_w

        document: dict[str, object] = {}
        if self.dataset:
            document["dataset"] = self.dataset
        if self.scale:
            document["scale"] = self.scale
        if self.date_format:
            document["date_format"] = self.date_format
        for section in ("columns", "constants", "questions"):
            if getattr(self, section):
                document[section] = dict(getattr(self, section))
        return tomli_w.dumps(document)


def parse_mapping(text: str, source: str = "mapping") -> Mapping:
    """Read a mapping from TOML text and check it against the dataset declarations."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise MappingError(f"{source}: not valid TOML ({error})") from None
    known = {"dataset", "scale", "date_format", "columns", "constants", "questions"}
    unknown = set(document) - known
    if unknown:
        raise MappingError(
            f"{source}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(known))}"
        )
    tables = {}
    for section in ("columns", "constants", "questions"):
        value = document.get(section, {})
        if not isinstance(value, dict) or not all(isinstance(v, str | int | float) for v in value.values()):
            raise MappingError(f'{source}: [{section}] must hold name = "text" pairs')
        tables[section] = {str(k): str(v) for k, v in value.items()}
    mapping = Mapping(
        columns=tables["columns"],
        constants=tables["constants"],
        questions=tables["questions"],
        scale=document.get("scale"),
        date_format=document.get("date_format"),
        dataset=document.get("dataset"),
    )
    check_mapping(mapping, source)
    return mapping


def load_mapping(path: str | Path) -> Mapping:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise MappingError(f"{path}: cannot read the mapping ({error.strerror})") from None
    return parse_mapping(text, str(path))


def check_mapping(mapping: Mapping, source: str = "mapping", dataset: str | None = None) -> None:
    """Raise MappingError unless every name in the mapping is a known column, pillar and scale."""
    name = dataset or mapping.dataset
    if name is not None and name not in DATASETS:
        raise MappingError(f"{source}: dataset {name!r} is unknown; use one of {', '.join(DATASETS)}")
    if mapping.is_wide and name not in (None, "survey"):
        raise MappingError(f"{source}: [questions] only applies to the survey dataset, not {name}")
    columns = DATASETS[name if name else "survey"].column_names if (name or mapping.is_wide) else None
    for section in ("columns", "constants"):
        for canonical in getattr(mapping, section):
            if columns is not None and canonical not in columns:
                raise MappingError(
                    f"{source}: [{section}] {canonical!r} is not a column of {name or 'survey'}; columns: {', '.join(columns)}"
                )
    both = set(mapping.columns) & set(mapping.constants)
    if both:
        raise MappingError(f"{source}: {', '.join(sorted(both))} is in both [columns] and [constants]; keep one")
    if mapping.is_wide:
        for header, pillar in mapping.questions.items():
            if pillar not in PILLAR_IDS:
                raise MappingError(
                    f"{source}: question {header!r} has pillar {pillar!r}; use one of {', '.join(PILLAR_IDS)}"
                )
        fixed = [c for c in WIDE_FIXED if c in mapping.columns or c in mapping.constants]
        if fixed:
            raise MappingError(
                f"{source}: with [questions], {', '.join(fixed)} come from the question columns; remove them"
            )
        if not mapping.scale and "scale" not in mapping.columns and "scale" not in mapping.constants:
            raise MappingError(f"{source}: a wide survey needs scale = one of {', '.join(SCALES)}")
    if mapping.scale is not None and mapping.scale not in SCALES:
        raise MappingError(f"{source}: scale {mapping.scale!r} is unknown; use one of {', '.join(SCALES)}")
