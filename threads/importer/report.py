"""What an import did, counted as it goes: by one process, or by each worker and added up by
the parent (parallel.py)."""

from dataclasses import dataclass, field


@dataclass
class ImportReport:
    lines: int = 0
    imported: int = 0
    existing: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
