"""Metadata helpers shared by the assets: Markdown previews and counts."""

from __future__ import annotations

import dagster as dg
import pandas as pd


def preview(rows, columns: list[str] | None = None, n: int = 10) -> dg.MetadataValue:
    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if df.empty:
        return dg.MetadataValue.md("_(no rows)_")
    if columns:
        df = df[[c for c in columns if c in df.columns]]
    cut = df.head(n).copy()
    for col in cut.columns:
        if cut[col].dtype == object:
            cut[col] = cut[col].astype(str).str.slice(0, 60)
    return dg.MetadataValue.md(cut.to_markdown(index=False))
