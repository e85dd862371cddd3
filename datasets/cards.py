"""Dataset cards: what a dataset is, where it comes from, under which licence, how it was made (generator and
seed), its size and schema, the de-identification applied and what it is meant for. One :class:`Card` per
registered dataset; ``medai datasets card NAME`` prints it and every build writes it as ``card.md``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Card:
    name: str
    title: str
    summary: str
    source: str
    licence: str
    generator: str                      # "module.function(seed=...)" or the package loader it comes from
    size: str
    schema: tuple[tuple[str, str], ...]  # (column or table, description)
    deidentification: str
    intended_tasks: tuple[str, ...]
    disease_area: str
    notes: tuple[str, ...] = field(default=())
    #: more sections computed from a build: appendix(seed=..., size=...) -> Markdown (e.g. published figures next
    #: to what the build achieved); seed and size are None when the card is printed without a build
    appendix: Callable[..., str] | None = field(default=None, compare=False)

    def to_markdown(self, *, seed: int | None = None, size: int | None = None) -> str:
        made = self.generator if seed is None else f"{self.generator}, seed {seed}"
        if size is not None:
            made += f", size {size:,}"
        lines = [f"# {self.title} (`{self.name}`)", "", self.summary, "",
                 f"- **Disease area:** {self.disease_area}", f"- **Source:** {self.source}",
                 f"- **Licence:** {self.licence}", f"- **Generator / loader:** {made}", f"- **Size:** {self.size}",
                 f"- **De-identification:** {self.deidentification}", "", "## Intended tasks", ""]
        lines += [f"- {task}" for task in self.intended_tasks]
        lines += ["", "## Schema", "", "| name | description |", "|---|---|"]
        lines += [f"| `{name}` | {text} |" for name, text in self.schema]
        if self.notes:
            lines += ["", "## Notes", ""] + [f"- {note}" for note in self.notes]
        text = "\n".join(lines) + "\n"
        if self.appendix is not None:
            text += "\n" + self.appendix(seed=seed, size=size)
        return text
