"""Workbooks for a service manager (``--excel``): each table a sheet with its headers in words (in Chinese
where the shop's queues and groups have Chinese names), shares as percentages, agent-seconds as hours,
money in yuan, whole counts without decimals, columns wide enough to read, the header row frozen and
filtering on. Text that a spreadsheet would run as a formula (a name beginning with ``=``, ``+``, ``-``
or ``@``) is written as text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from sim import kpis
from sim.outputs import FORMULA_START

# Columns that are no KPI: (English, Chinese) header.
OTHER_COLUMNS = {
    "queue": ("queue", "队列"), "group": ("group", "技能组"), "channel": ("channel", "渠道"),
    "interval_start": ("interval", "时段"), "period": ("day", "日期"), "replications": ("replications", "模拟次数"),
    "replication": ("replication", "模拟序号"), "customer_class": ("customer class", "客户等级"),
    "open_at_end": ("open at the end, not yet due", "期末未到期"), "paid_hours": ("paid hours", "计薪工时"),
    "hours_cost": ("cost of the hours", "工时成本"), "contact_cost": ("cost of contacts", "计件成本"),
    "minimum_topup": ("minimum top-up", "保底补足"), "penalty": ("SLA penalty", "服务水平罚金"),
    "cost": ("cost", "成本"), "cost_per_answered": ("cost per contact answered", "单位接通成本"),
    "formula": ("method", "方法"), "target": ("target", "目标"), "kpi": ("KPI", "指标"),
    "base": ("base", "基准"), "variant": ("variant", "方案"), "difference": ("difference", "差异"),
    "paired_ci95": ("paired 95% CI ±", "配对95%置信区间±"),
    "unpaired_ci95": ("unpaired 95% CI ±", "非配对95%置信区间±"),
    "agent_hours": ("agent-hours", "所需工时"), "rostered_agent_hours": ("agent-hours to roster", "排班工时"),
    "centre_agent_hours": ("agent-hours, all groups", "全部工时"), "centre_cost": ("cost, all groups", "全部成本"),
    "status": ("status", "状态"), "error": ("error", "错误")}
SHEETS_ZH = {"summary": "汇总", "days": "按天", "worst_intervals": "最差时段", "group_totals": "技能组",
             "costs": "成本", "class_summary": "客户等级", "interval_means": "按时段", "group_means": "技能组按时段"}
_HOURS_UNITS = ("agent-s", "contact-s")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _column(name: str, in_chinese: bool) -> tuple[str, str, float]:
    """A column's header, number format and the factor its values are shown at (agent-seconds in hours)."""
    base, ci = (name.removesuffix("_ci95"), True) if name.endswith("_ci95") else (name, False)
    kpi = next((k for k in kpis.KPIS if k.name == base), None)
    if kpi is not None:
        title = kpi.zh if in_chinese and kpi.zh else kpi.title
        factor, suffix, number = 1.0, "", "#,##0.0"
        if kpi.unit == "share":
            number = "0.0%"
        elif kpi.unit in _HOURS_UNITS:
            factor, suffix = 1 / 3600, " (小时)" if in_chinese else " (h)"
        elif kpi.unit == "s":
            suffix = " (秒)" if in_chinese else " (s)"
        elif kpi.unit == "currency":
            suffix, number = " (元)" if in_chinese else " (¥)", "#,##0"
        return f"{title}{suffix}" + (" ±95%" if ci else ""), number, factor
    english, zh = OTHER_COLUMNS.get(name, (name.replace("_", " "), ""))
    money = name in ("cost", "hours_cost", "contact_cost", "minimum_topup", "penalty", "centre_cost")
    return (zh if in_chinese and zh else english), "#,##0" if money else "#,##0.0", 1.0


def _width(value) -> int:
    """Characters a cell needs (a Chinese character counts two)."""
    text = str(value)
    return len(text) + len(_CJK.findall(text))


def write_workbook(path: str | Path, sheets: dict[str, pd.DataFrame], in_chinese: bool = False) -> None:
    """One formatted sheet per table (see the module); ``in_chinese``: Chinese headers and sheet names."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    with pd.ExcelWriter(path, engine="openpyxl") as book:
        for name, frame in sheets.items():
            title = (SHEETS_ZH.get(name, name) if in_chinese else name)[:31]
            shown, formats = {}, {}
            for column in frame.columns:
                header, number, factor = _column(str(column), in_chinese)
                values = frame[column]
                if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
                    values = values * factor
                    whole = values.dropna().eq(values.dropna().round()).all() and number == "#,##0.0"
                    formats[header] = "#,##0" if whole else number
                shown[header] = values
            table = pd.DataFrame(shown)
            table.to_excel(book, sheet_name=title, index=False)
            sheet = book.sheets[title]
            sheet.freeze_panes = "A2"
            sheet.auto_filter.ref = sheet.dimensions
            for k, header in enumerate(table.columns, start=1):
                cells = sheet.iter_rows(min_row=2, min_col=k, max_col=k)
                number = formats.get(header)
                for (cell,) in cells:
                    if number is not None and cell.value is not None:
                        cell.number_format = number
                    elif isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                        cell.data_type = "s"                      # text, never a formula
                head = sheet.cell(row=1, column=k)
                head.font, head.alignment = Font(bold=True), Alignment(wrap_text=True, vertical="top")
                content = max([_width(v) for v in table.iloc[:200, k - 1].tolist()] + [8])
                sheet.column_dimensions[get_column_letter(k)].width = min(max(content, min(_width(header), 24)) + 2,
                                                                          60)
