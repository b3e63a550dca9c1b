"""Markdown previews of rows, for asset metadata (the assets wrap them in ``dg.MetadataValue.md``)."""

from __future__ import annotations

import pandas as pd


def markdown_preview(rows, columns: list[str] | None = None, n: int = 10) -> str:
    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if df.empty:
        return "_(no rows)_"
    if columns:
        df = df[[c for c in columns if c in df.columns]]
    cut = df.head(n).copy()
    for col in cut.columns:
        if cut[col].dtype == object:
            cut[col] = cut[col].astype(str).str.slice(0, 60)
    return cut.to_markdown(index=False)
