"""The eight leadership pillars: fixed identifiers, names and what each one asks."""

from __future__ import annotations

PILLARS: tuple[tuple[str, str, str], ...] = (
    ("vision_strategy", "Vision & Strategy", "Are objectives clear, communicated and met?"),
    ("resources", "Resource Allocation", "Do people get the time, help and money the system needs?"),
    ("culture", "Culture of Excellence", "Is continuous improvement how people work?"),
    ("training", "Training & Development", "Are people competent, trained on time, and does training work?"),
    ("communication", "Communication", "Are people informed about the standards and what changes?"),
    ("monitoring_review", "Monitoring & Review", "Are audits, reviews and corrective actions swift and thorough?"),
    ("recognition_learning", "Recognition & Learning", "Are successes celebrated and failures learned from?"),
    ("stakeholders", "Stakeholder Engagement", "Are customers, suppliers and investors satisfied?"),
)

PILLAR_IDS: tuple[str, ...] = tuple(pillar_id for pillar_id, _, _ in PILLARS)
PILLAR_NAMES: dict[str, str] = {pillar_id: name for pillar_id, name, _ in PILLARS}
PILLAR_QUESTIONS: dict[str, str] = {pillar_id: question for pillar_id, _, question in PILLARS}
