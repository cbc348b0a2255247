"""Panel factories: every panel gets a Vietnamese title, a description, a place on the grid and the shared style."""

from __future__ import annotations

from grafana_foundation_sdk.builders import bargauge, common, stat, table, timeseries
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import prometheus as prom
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as model

from grafana.queries import Query
from grafana.sql import POSTGRES, PROMETHEUS, Sql
from grafana.style import score_thresholds, status_mappings, thresholds

Target = cogbuilder.Builder[cogvariants.Dataquery]


def grid(x: int, y: int, w: int, h: int) -> model.GridPos:
    """A place on the 24-column grid."""
    return model.GridPos(x=x, y=y, w=w, h=h)


def sql(query: Query, ref_id: str = "A") -> Sql:
    """A SQL target from a registered query."""
    return Sql(query.sql, ref_id, query.fmt)


def promql(expr: str, legend: str, ref_id: str = "A") -> prom.Dataquery:
    """A Prometheus range query with a legend."""
    return prom.Dataquery().expr(expr).legend_format(legend).ref_id(ref_id).range().datasource(PROMETHEUS)


def _reduce(values: bool, fields: str = "") -> common.ReduceDataOptions:
    return common.ReduceDataOptions().calcs(["lastNotNull"]).values(values).fields(fields)


def stat_panel(
    title: str, description: str, pos: model.GridPos, query: Query, unit: str = "none", decimals: int = 0
) -> stat.Panel:
    """A big number (or a few side by side) read from the last row of a table query."""
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .grid_pos(pos)
        .datasource(POSTGRES)
        .with_target(sql(query))
        .unit(unit)
        .decimals(decimals)
        .color_mode(cm.BigValueColorMode.VALUE)
        .graph_mode(cm.BigValueGraphMode.NONE)
        .justify_mode(cm.BigValueJustifyMode.CENTER)
        .text_mode(cm.BigValueTextMode.VALUE_AND_NAME)
        .orientation(cm.VizOrientation.HORIZONTAL)
        .wide_layout(True)
        .show_percent_change(False)
        .percent_change_color_mode(cm.PercentChangeColorMode.STANDARD)
        .reduce_options(_reduce(False, "/^(?!time$).*/"))
        .thresholds(thresholds((0, "blue")))
        .mappings(status_mappings())
    )


def score_stat(title: str, description: str, pos: model.GridPos, query: Query) -> stat.Panel:
    """A score in points (0–1000) coloured by the progress classes."""
    return (
        stat_panel(title, description, pos, query)
        .min(0)
        .max(1000)
        .thresholds(thresholds((0, "red"), (600, "orange"), (950, "green")))
        .color_mode(cm.BigValueColorMode.BACKGROUND)
    )


def bars(title: str, description: str, pos: model.GridPos, query: Query, field: str = "Điểm") -> bargauge.Panel:
    """One horizontal bar per row of a table query (e.g. a score per pillar or unit), in points."""
    return (
        bargauge.Panel()
        .title(title)
        .description(description)
        .grid_pos(pos)
        .datasource(POSTGRES)
        .with_target(sql(query))
        .unit("none")
        .min(0)
        .max(1000)
        .decimals(0)
        .thresholds(thresholds((0, "red"), (600, "orange"), (950, "green")))
        .display_mode(cm.BarGaugeDisplayMode.GRADIENT)
        .value_mode(cm.BarGaugeValueMode.COLOR)
        .name_placement(cm.BarGaugeNamePlacement.LEFT)
        .show_unfilled(True)
        .sizing(cm.BarGaugeSizing.AUTO)
        .min_viz_width(8)
        .min_viz_height(16)
        .max_viz_height(300)
        .orientation(cm.VizOrientation.HORIZONTAL)
        .reduce_options(_reduce(True, field))
    )


def table_panel(title: str, description: str, pos: model.GridPos, query: Query) -> table.Panel:
    """A table whose status cells show Vietnamese labels on the status colours (other cells stay plain)."""
    # Every cell uses the coloured background, and only status codes map to a colour; the base threshold is
    # transparent. This avoids field overrides, whose values the 11.6 schema cannot describe.
    cell = cm.TableColoredBackgroundCellOptions(mode=cm.TableCellBackgroundDisplayMode.BASIC, apply_to_row=False)
    return (
        table.Panel()
        .title(title)
        .description(description)
        .grid_pos(pos)
        .datasource(POSTGRES)
        .with_target(sql(query))
        .cell_height(cm.TableCellHeight.SM)
        .show_header(True)
        .decimals(1)
        .cell_options(cell)
        .thresholds(thresholds((0, "transparent")))
        .mappings(status_mappings())
    )


def status_grid_panel(title: str, description: str, pos: model.GridPos, query: Query) -> table.Panel:
    """A grid of units (rows) × indicators (columns), every cell coloured by its status."""
    cell = cm.TableColoredBackgroundCellOptions(mode=cm.TableCellBackgroundDisplayMode.BASIC, apply_to_row=False)
    matrix = model.DataTransformerConfig(
        id_val="groupingToMatrix",
        options={"columnField": "Chỉ tiêu", "rowField": "Đơn vị", "valueField": "Trạng thái", "emptyValue": "null"},
    )
    return (
        table.Panel()
        .title(title)
        .description(description)
        .grid_pos(pos)
        .datasource(POSTGRES)
        .with_target(sql(query))
        .with_transformation(matrix)
        .cell_height(cm.TableCellHeight.SM)
        .show_header(True)
        .cell_options(cell)
        .align(cm.FieldTextAlignment.CENTER)
        .mappings(status_mappings())
        .thresholds(thresholds((0, "transparent")))
        # 35 indicator columns and the unit's name share the screen's width: narrow cells show the status colour,
        # never a scrollbar. (A wider name column needs a field override, which the 11.6 schema cannot describe.)
        .min_width(40)
    )


def unit_tiles_panel(title: str, description: str, pos: model.GridPos, query: Query) -> stat.Panel:
    """One tile per row of a table query (a unit and its index in points), laid out as a grid that fits its panel.

    Grafana lays a stat panel's values out as a grid when its orientation is automatic, shrinking the text to fit
    rather than scrolling.
    """
    return (
        stat_panel(title, description, pos, query)
        .orientation(cm.VizOrientation.AUTO)
        .reduce_options(_reduce(True, "Điểm"))
        .min(0)
        .max(1000)
        .no_value("–")
        .text(common.VizTextDisplayOptions().title_size(12).value_size(20))
        .thresholds(thresholds((0, "red"), (600, "orange"), (950, "green")))
        .color_mode(cm.BigValueColorMode.BACKGROUND)
    )


def time_series(
    title: str, description: str, pos: model.GridPos, targets: list[Target], unit: str = "none"
) -> timeseries.Panel:
    """Lines over the dashboard's time range."""
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .grid_pos(pos)
        .unit(unit)
        .line_width(2)
        .fill_opacity(10)
        .span_nulls(True)
        .show_points(cm.VisibilityMode.NEVER)
        .legend(
            common.VizLegendOptions()
            .display_mode(cm.LegendDisplayMode.LIST)
            .placement(cm.LegendPlacement.BOTTOM)
            .show_legend(True)
        )
        .tooltip(common.VizTooltipOptions().mode(cm.TooltipDisplayMode.MULTI).sort(cm.SortOrder.NONE))
        .thresholds(score_thresholds())
    )
    for target in targets:
        panel = panel.with_target(target)
    return panel


def dashboard(uid: str, title: str, description: str, tags: list[str], refresh: str = "1m") -> dash.Dashboard:
    """A dashboard with the project's defaults: Vietnamese time zone, read-only, one shared crosshair."""
    return (
        dash.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["qndti", *tags])
        .timezone("Asia/Ho_Chi_Minh")
        .time("now-90d", "now")
        .refresh(refresh)
        .readonly()
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
        .timepicker(dash.TimePicker().refresh_intervals(["10s", "30s", "1m", "5m", "15m", "1h"]))
    )
