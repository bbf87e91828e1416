"""The facilitators' layouts without the bot: sheet names, row heights, the /stats text
and chart (issue 18)."""

from __future__ import annotations

from bot.base.telegram_text import shown_length
from bot.reports.stats import Funnel, Group, chart_panels, funnel_figure, funnel_text
from bot.reports.workbook import TALLEST, row_height, sheet_name
from flows.content import load_content


def test_sheet_names_are_cut_after_a_whole_word_and_stay_unique() -> None:
    used: set[str] = set()
    title = "Suggestions for doing interviews and research in practice"
    first = sheet_name(4, title, used)
    again = sheet_name(4, title, used)
    assert first == "Q4 Suggestions for doing"
    assert again == "Q4 Suggestions for doing (2)"
    assert all(len(name) <= 31 for name in (first, again))
    assert sheet_name(1, "What: [draft] / notes?", used) == "Q1 What draft notes"


def test_a_long_answer_gets_its_lines_and_never_more_than_excel_allows() -> None:
    widths = [24, 60]
    assert row_height(["Ann", "short"], widths) is None
    assert row_height(["A" * 100, "short"], widths) is None  # a narrow column does not wrap
    assert row_height(["Ann", "x" * 130], widths) == 30.0
    assert row_height(["Ann", "one\ntwo\nthree"], widths) == 45.0
    assert row_height(["Ann", "word " * 5000], widths) == TALLEST


def funnel_of(groups: int, steps: int = 13) -> Funnel:
    return Funnel(
        tuple(f"Step number {n} with a longer label" for n in range(steps)),
        tuple(
            Group(f"Session {g} of the course", tuple(range(200, 200 - steps, -1)))
            for g in range(groups)
        ),
        registered_step=5,
    )


def test_stats_text_stays_one_message_however_many_groups() -> None:
    strings = load_content(["en"], "en").strings("en")
    few = funnel_text(funnel_of(3), strings)
    assert few.count("Step number 12") == 3  # every group step by step
    many = funnel_text(funnel_of(40), strings)
    assert shown_length(many) <= 4096
    assert many.count("Step number 12") == 1  # everyone in full, the others a line each
    assert "Session 1 of the course: 200 started · 195 registered (98 %)" in shown(many)
    assert "more group(s): see the chart" in many


def shown(html: str) -> str:
    return html.replace("<b>", "").replace("</b>", "")


def test_the_chart_has_a_panel_per_group_at_phone_width() -> None:
    figure = funnel_figure(funnel_of(4), "Funnel")
    assert len(figure.axes) == 4
    width, height = figure.get_size_inches() * figure.dpi
    assert round(width) == 1080
    assert height > 2 * width
    assert chart_panels(funnel_of(40)) < 40  # within Telegram's 10,000 px
