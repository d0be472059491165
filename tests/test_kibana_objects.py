"""Offline checks of the Kibana saved objects we ship (``indexer/elastic/kibana_objects.ndjson``).

Every field a data view, saved search, Lens chart or map layer names must exist in the index
templates (``indexer/elastic/templates/``), every reference must resolve inside the file, and the
attributes must stay inside what Kibana's create schemas accept, so an import into Kibana 8.15+
cannot fail or produce panels that show "field not found".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from detector.sectors import load_sectors
from indexer.elastic.saved_searches import with_routing_searches

ROOT = Path(__file__).resolve().parent.parent
OBJECTS = ROOT / "indexer" / "elastic" / "kibana_objects.ndjson"
TEMPLATES = ROOT / "indexer" / "elastic" / "templates"

# Sector codes of the routing queues, with the Russian names the queue titles end with: the one definition.
SECTORS = {sector.code: sector.name for sector in load_sectors()}

# Data view title (= alias with the default prefix) -> the template behind it and its time field.
DATA_VIEWS = {
    "monitor-posts": ("posts.json", "created_at", "Посты и комментарии"),
    "monitor-incidents": ("incidents.json", "opened_at", "Инциденты"),
    "monitor-sources": ("sources.json", "health.last_crawl_at", "Источники"),
}

OLDEST_KIBANA = (8, 15, 0)
GRID_COLUMNS = 48
LENS_RECORDS = "___records___"  # Lens' pseudo-field for "count of documents"
NOT_AGGREGATABLE = {"text", "object", "nested"}

# Attribute names Kibana's create schemas accept (unknowns are rejected on import):
# dashboard: src/platform/plugins/shared/dashboard/server/dashboard_saved_object/schema/v1/v1.ts
# search: src/platform/plugins/shared/saved_search/server/saved_objects/schema_legacy.ts
# map: x-pack/platform/plugins/shared/maps/server/saved_objects/types.ts
ALLOWED_ATTRIBUTES = {
    "dashboard": {"title", "description", "kibanaSavedObjectMeta", "timeRestore", "timeFrom", "timeTo",
                  "refreshInterval", "controlGroupInput", "panelsJSON", "optionsJSON", "hits", "version"},
    "search": {"title", "description", "columns", "sort", "grid", "rowHeight", "rowsPerPage", "hideChart",
               "breakdownField", "kibanaSavedObjectMeta", "isTextBasedQuery", "usesAdHocDataView",
               "timeRestore", "timeRange", "refreshInterval", "viewMode", "hideAggregatedPreview", "hits",
               "version"},
    "map": {"title", "description", "mapStateJSON", "layerListJSON", "uiStateJSON"},
}


@cache
def _objects() -> tuple[dict[str, Any], ...]:
    lines = OBJECTS.read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines if line.strip())


def _of_type(type_: str) -> list[dict[str, Any]]:
    return [obj for obj in _objects() if obj["type"] == type_]


def _get(type_: str, id_: str) -> dict[str, Any]:
    return next(obj for obj in _objects() if (obj["type"], obj["id"]) == (type_, id_))


def _ids(type_: str) -> list[str]:
    return [obj["id"] for obj in _of_type(type_)]


def _flatten(properties: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for name, spec in properties.items():
        path = prefix + name
        yield path, spec
        yield from _flatten(spec.get("properties", {}), path + ".")
        yield from _flatten(spec.get("fields", {}), path + ".")


@cache
def _mapping(template: str) -> dict[str, dict[str, Any]]:
    """Dotted field name -> its mapping, for a template merged with the territory component."""
    properties: dict[str, Any] = {}
    for name in (template, "territory.json"):
        body = json.loads((TEMPLATES / name).read_text(encoding="utf-8"))
        properties.update(body["template"]["mappings"]["properties"])
    return dict(_flatten(properties))


def _reference(obj: dict[str, Any], name: str) -> dict[str, Any]:
    matches = [ref for ref in obj["references"] if ref["name"] == name]
    assert len(matches) == 1, f"{obj['id']}: expected one reference named {name!r}, got {matches}"
    return matches[0]


def _fields_of(obj: dict[str, Any], reference_name: str) -> dict[str, dict[str, Any]]:
    """The mapping of the data view that ``reference_name`` in ``obj`` points to."""
    ref = _reference(obj, reference_name)
    assert ref["type"] == "index-pattern", ref
    title = _get("index-pattern", ref["id"])["attributes"]["title"]
    return _mapping(DATA_VIEWS[title][0])


def _search_source(obj: dict[str, Any]) -> dict[str, Any]:
    source: dict[str, Any] = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
    return source


def _kql_fields(query: str) -> set[str]:
    without_strings = re.sub(r'"(?:[^"\\]|\\.)*"', '""', query)
    return set(re.findall(r"([A-Za-z_@][\w.@]*)\s*:", without_strings))


def _lens_layers(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    layers: dict[str, dict[str, Any]] = obj["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
    return layers


def _map_layers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    layers: list[dict[str, Any]] = json.loads(obj["attributes"]["layerListJSON"])
    return layers


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    panels: list[dict[str, Any]] = json.loads(dashboard["attributes"]["panelsJSON"])
    return panels


def _panel_target(dashboard: dict[str, Any], panel: dict[str, Any]) -> dict[str, Any]:
    """The reference of a by-reference panel, looked up as Kibana's dashboard inject() does."""
    prefixed = f"{panel['panelIndex']}:{panel['panelRefName']}"
    names = {ref["name"] for ref in dashboard["references"]}
    return _reference(dashboard, prefixed if prefixed in names else panel["panelRefName"])


Uses = Iterator[tuple[str, str, dict[str, dict[str, Any]]]]  # (field, where, mapping it must be in)


def _search_field_uses(obj: dict[str, Any]) -> Uses:
    source = _search_source(obj)
    fields = _fields_of(obj, source["indexRefName"])
    yield from ((field, "query", fields) for field in _kql_fields(source["query"]["query"]))
    yield from ((field, "columns", fields) for field in obj["attributes"]["columns"])
    yield from ((field, "sort", fields) for field, _direction in obj["attributes"]["sort"])


def _lens_field_uses(obj: dict[str, Any]) -> Uses:
    query = obj["attributes"]["state"]["query"]["query"]
    for layer_id, layer in _lens_layers(obj).items():
        fields = _fields_of(obj, f"indexpattern-datasource-layer-{layer_id}")
        yield from ((field, "query", fields) for field in _kql_fields(query))
        for column_id, column in layer["columns"].items():
            if column.get("sourceField", LENS_RECORDS) != LENS_RECORDS:
                yield column["sourceField"], f"column {column_id}", fields


def _map_source_fields(source: dict[str, Any]) -> list[str]:
    named = [source["geoField"], *source.get("tooltipProperties", [])]
    named += [source[key] for key in ("sortField", "topHitsSplitField", "term") if source.get(key)]
    return named + [metric["field"] for metric in source.get("metrics", []) if "field" in metric]


def _map_field_uses(obj: dict[str, Any]) -> Uses:
    for layer in _map_layers(obj):
        source = layer["sourceDescriptor"]
        if "indexPatternRefName" in source:
            fields = _fields_of(obj, source["indexPatternRefName"])
            where = f"layer {layer['id']}"
            query = layer.get("query", {}).get("query", "")
            yield from ((field, where, fields) for field in _map_source_fields(source))
            yield from ((field, where, fields) for field in _kql_fields(query))


FIELD_USES = {"search": _search_field_uses, "lens": _lens_field_uses, "map": _map_field_uses}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _routing_searches() -> list[dict[str, Any]]:
    return [obj for obj in _of_type("search") if obj["id"].startswith("monitor-routing-")]


def _routing_code(obj: dict[str, Any]) -> str:
    match = re.search(r'\bsector : "([^"]+)"', _search_source(obj)["query"]["query"])
    assert match, obj["id"]
    return match.group(1)


def _ids_of(objects: list[dict[str, Any]]) -> list[str]:
    return [obj["id"] for obj in objects]


USING_FIELDS = [obj for obj in _objects() if obj["type"] in FIELD_USES]
DASHBOARDS = _of_type("dashboard")


# --- the file as a whole ---------------------------------------------------------------------


def test_every_line_is_one_saved_object() -> None:
    for number, line in enumerate(OBJECTS.read_text(encoding="utf-8").splitlines(), start=1):
        obj = json.loads(line)
        assert isinstance(obj, dict), number
        assert {"type", "id", "attributes", "references"} <= obj.keys(), number
        assert isinstance(obj["attributes"], dict) and isinstance(obj["references"], list), number


def test_ids_are_unique() -> None:
    ids = [obj["id"] for obj in _objects()]
    assert len(ids) == len(set(ids)), sorted(id_ for id_ in ids if ids.count(id_) > 1)


def test_ids_are_readable_and_prefixed() -> None:
    for obj in _objects():
        assert re.fullmatch(r"monitor-[a-z0-9-]+", obj["id"]), obj["id"]


def test_migration_versions_let_kibana_migrate_on_import() -> None:
    for obj in _objects():
        assert "migrationVersion" not in obj, f"{obj['id']}: 8.8+ exports use typeMigrationVersion"
        for key in ("coreMigrationVersion", "typeMigrationVersion"):
            if key in obj:
                assert _version(obj[key]) <= OLDEST_KIBANA, (obj["id"], key, obj[key])


def test_every_reference_resolves_in_the_file() -> None:
    present = {(obj["type"], obj["id"]) for obj in _objects()}
    for obj in _objects():
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in present, (obj["id"], ref)


def test_reference_names_are_unique_within_an_object() -> None:
    for obj in _objects():
        names = [ref["name"] for ref in obj["references"]]
        assert len(names) == len(set(names)), obj["id"]


@pytest.mark.parametrize("type_", sorted(ALLOWED_ATTRIBUTES))
def test_attributes_are_accepted_by_kibana_create_schema(type_: str) -> None:
    for obj in _of_type(type_):
        assert obj["attributes"].keys() <= ALLOWED_ATTRIBUTES[type_], obj["id"]


def test_alias_names_appear_only_in_data_view_titles() -> None:
    # The importer rewrites data view titles for another prefix; anywhere else the alias would stay.
    for obj in _objects():
        attributes = dict(obj["attributes"])
        if obj["type"] == "index-pattern":
            attributes.pop("title")
        text = json.dumps(attributes, ensure_ascii=False)
        for alias in DATA_VIEWS:
            assert alias not in text, (obj["id"], alias)


# --- data views ------------------------------------------------------------------------------


@pytest.mark.parametrize("title", sorted(DATA_VIEWS))
def test_data_view_names_the_alias_with_its_time_field(title: str) -> None:
    _template, time_field, name = DATA_VIEWS[title]
    attributes = _get("index-pattern", title)["attributes"]
    assert (attributes["title"], attributes["timeFieldName"], attributes["name"]) == (title, time_field, name)


@pytest.mark.parametrize("title", sorted(DATA_VIEWS))
def test_data_view_time_field_is_a_mapped_date(title: str) -> None:
    template, time_field, _name = DATA_VIEWS[title]
    assert _mapping(template)[time_field]["type"] == "date"


@pytest.mark.parametrize("title", sorted(DATA_VIEWS))
def test_data_view_field_labels_name_mapped_fields(title: str) -> None:
    labelled = json.loads(_get("index-pattern", title)["attributes"].get("fieldAttrs", "{}"))
    assert labelled.keys() <= _mapping(DATA_VIEWS[title][0]).keys()


def test_only_the_listed_aliases_have_data_views() -> None:
    assert sorted(obj["attributes"]["title"] for obj in _of_type("index-pattern")) == sorted(DATA_VIEWS)


# --- fields used anywhere --------------------------------------------------------------------


@pytest.mark.parametrize("obj", USING_FIELDS, ids=_ids_of(USING_FIELDS))
def test_every_field_used_is_mapped(obj: dict[str, Any]) -> None:
    for field, where, fields in FIELD_USES[obj["type"]](obj):
        assert field in fields, f"{obj['id']} {where}: {field!r} is not in the mapping"


@pytest.mark.parametrize("obj", USING_FIELDS, ids=_ids_of(USING_FIELDS))
def test_query_fields_are_indexed(obj: dict[str, Any]) -> None:
    for field, where, fields in FIELD_USES[obj["type"]](obj):
        if where == "query":
            spec = fields.get(field, {})  # unmapped fields fail test_every_field_used_is_mapped
            assert spec.get("index", True) and spec.get("enabled", True), (obj["id"], field)


# --- saved searches --------------------------------------------------------------------------


@pytest.mark.parametrize("obj", _of_type("search"), ids=_ids("search"))
def test_saved_search_query_is_kql_over_mapped_fields(obj: dict[str, Any]) -> None:
    query = _search_source(obj)["query"]
    fields = _fields_of(obj, _search_source(obj)["indexRefName"])
    assert query["language"] == "kuery"
    assert _kql_fields(query["query"]), obj["id"]
    assert _kql_fields(query["query"]) <= fields.keys(), obj["id"]


@pytest.mark.parametrize("obj", _of_type("search"), ids=_ids("search"))
def test_saved_search_sorts_on_sortable_fields(obj: dict[str, Any]) -> None:
    fields = _fields_of(obj, _search_source(obj)["indexRefName"])
    for field, direction in obj["attributes"]["sort"]:
        assert direction in {"asc", "desc"}
        assert fields[field]["type"] not in NOT_AGGREGATABLE, (obj["id"], field)


def test_routing_queues_are_generated_from_the_sector_definition() -> None:
    shipped = OBJECTS.read_text(encoding="utf-8")
    assert shipped == with_routing_searches(shipped, SECTORS.items()), (
        "kibana_objects.ndjson is out of date with watchlists/sectors.yml: write with_routing_searches' output")


def test_there_is_one_routing_queue_per_sector() -> None:
    assert sorted(_routing_code(obj) for obj in _routing_searches()) == sorted(SECTORS)


@pytest.mark.parametrize("code", sorted(SECTORS))
def test_routing_queue_lists_open_incidents_of_its_sector(code: str) -> None:
    obj = _get("search", f"monitor-routing-{code}")
    assert _search_source(obj)["query"]["query"] == (
        f'queue : "routing" and sector : "{code}" and not status : "closed"')
    assert obj["attributes"]["title"].endswith(SECTORS[code])
    assert _reference(obj, "kibanaSavedObjectMeta.searchSourceJSON.index")["id"] == "monitor-incidents"


@pytest.mark.parametrize("obj", _routing_searches(), ids=_ids_of(_routing_searches()))
def test_routing_queue_puts_the_nearest_deadline_first(obj: dict[str, Any]) -> None:
    assert obj["attributes"]["sort"] == [["deadline", "asc"]]
    assert {"deadline", "overdue", "status"} <= set(obj["attributes"]["columns"])


@pytest.mark.parametrize(("id_", "title", "data_view", "query", "sort"), [
    ("monitor-factcheck-queue", "Очередь фактчекинга", "monitor-incidents",
     'queue : "factcheck" and not status : "closed"', [["fake", "desc"]]),
    ("monitor-crises", "Кризисы", "monitor-incidents", 'kind : "crisis"', [["opened_at", "desc"]]),
    ("monitor-complaints", "Жалобы", "monitor-posts", "is_complaint : true", [["created_at", "desc"]]),
    ("monitor-source-health", "Здоровье источников", "monitor-sources", "health.state : *",
     [["health.bad_crawls", "desc"]]),
])
def test_named_search_has_its_query_and_order(id_: str, title: str, data_view: str, query: str,
                                              sort: list[list[str]]) -> None:
    obj = _get("search", id_)
    assert obj["attributes"]["title"] == title
    assert _reference(obj, "kibanaSavedObjectMeta.searchSourceJSON.index")["id"] == data_view
    assert _search_source(obj)["query"]["query"] == query
    assert obj["attributes"]["sort"] == sort


# --- Lens ------------------------------------------------------------------------------------


@pytest.mark.parametrize("obj", _of_type("lens"), ids=_ids("lens"))
def test_lens_layer_has_a_data_view_reference(obj: dict[str, Any]) -> None:
    for layer_id in _lens_layers(obj):
        assert _reference(obj, f"indexpattern-datasource-layer-{layer_id}")["type"] == "index-pattern"


@pytest.mark.parametrize("obj", _of_type("lens"), ids=_ids("lens"))
def test_lens_column_order_lists_exactly_the_columns(obj: dict[str, Any]) -> None:
    for layer in _lens_layers(obj).values():
        assert sorted(layer["columnOrder"]) == sorted(layer["columns"])


@pytest.mark.parametrize("obj", _of_type("lens"), ids=_ids("lens"))
def test_lens_buckets_use_aggregatable_fields_of_the_right_type(obj: dict[str, Any]) -> None:
    for layer_id, layer in _lens_layers(obj).items():
        fields = _fields_of(obj, f"indexpattern-datasource-layer-{layer_id}")
        for column in layer["columns"].values():
            if column["operationType"] == "date_histogram":
                assert fields[column["sourceField"]]["type"] == "date", column
            elif column["isBucketed"]:
                assert fields[column["sourceField"]]["type"] not in NOT_AGGREGATABLE, column


@pytest.mark.parametrize("obj", _of_type("lens"), ids=_ids("lens"))
def test_lens_visualization_names_existing_columns(obj: dict[str, Any]) -> None:
    visualization = obj["attributes"]["state"]["visualization"]
    for layer in visualization.get("layers", [visualization]):
        columns = _lens_layers(obj)[layer["layerId"]]["columns"]
        named = [*layer.get("accessors", []), layer.get("xAccessor"), layer.get("splitAccessor")]
        named += [column["columnId"] for column in layer.get("columns", [])]
        assert {name for name in named if name} <= columns.keys(), obj["id"]


@pytest.mark.parametrize(("id_", "data_view", "fields"), [
    ("monitor-posts-by-sector", "monitor-posts", {"created_at", "sector"}),
    ("monitor-incidents-by-sector", "monitor-incidents", {"opened_at", "sector"}),
    ("monitor-posts-by-territory", "monitor-posts", {"territory.district"}),
    ("monitor-top-sources", "monitor-posts", {"source_id"}),
])
def test_lens_chart_breaks_down_by_the_promised_fields(id_: str, data_view: str, fields: set[str]) -> None:
    obj = _get("lens", id_)
    assert {ref["id"] for ref in obj["references"]} == {data_view}
    assert {field for field, _where, _fields in _lens_field_uses(obj)} == fields


def test_top_lists_have_the_promised_sizes() -> None:
    sizes = {obj["id"]: [column["params"]["size"] for layer in _lens_layers(obj).values()
                         for column in layer["columns"].values() if column["operationType"] == "terms"]
             for obj in _of_type("lens")}
    assert sizes["monitor-posts-by-territory"] == [15]
    assert sizes["monitor-top-sources"] == [20]
    assert sizes["monitor-posts-by-sector"] == [len(SECTORS)]


# --- map -------------------------------------------------------------------------------------


@pytest.mark.parametrize("obj", _of_type("map"), ids=_ids("map"))
def test_map_has_a_posts_layer_on_a_geo_point(obj: dict[str, Any]) -> None:
    data_layers = [layer for layer in _map_layers(obj) if "indexPatternRefName" in layer["sourceDescriptor"]]
    assert data_layers, obj["id"]
    for layer in data_layers:
        source = layer["sourceDescriptor"]
        fields = _fields_of(obj, source["indexPatternRefName"])
        assert _reference(obj, source["indexPatternRefName"])["id"] == "monitor-posts"
        assert fields[source["geoField"]]["type"] == "geo_point", layer["id"]


@pytest.mark.parametrize("obj", _of_type("map"), ids=_ids("map"))
def test_map_layer_ids_are_unique(obj: dict[str, Any]) -> None:
    ids = [layer["id"] for layer in _map_layers(obj)]
    assert len(ids) == len(set(ids))


# --- dashboards ------------------------------------------------------------------------------


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=_ids_of(DASHBOARDS))
def test_dashboard_panel_refs_resolve_to_objects_of_the_panel_type(dashboard: dict[str, Any]) -> None:
    for panel in _panels(dashboard):
        ref = _panel_target(dashboard, panel)
        assert ref["type"] == panel["type"], panel["panelIndex"]
        _get(ref["type"], ref["id"])


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=_ids_of(DASHBOARDS))
def test_dashboard_panels_sit_on_the_grid_without_overlap(dashboard: dict[str, Any]) -> None:
    cells: set[tuple[int, int]] = set()
    for panel in _panels(dashboard):
        grid = panel["gridData"]
        assert grid["i"] == panel["panelIndex"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= GRID_COLUMNS, panel["panelIndex"]
        area = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not cells & area, panel["panelIndex"]
        cells |= area


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=_ids_of(DASHBOARDS))
def test_dashboard_panel_indexes_are_unique(dashboard: dict[str, Any]) -> None:
    indexes = [panel["panelIndex"] for panel in _panels(dashboard)]
    assert len(indexes) == len(set(indexes))


def test_overview_shows_every_chart_the_map_and_the_crises() -> None:
    dashboard = _get("dashboard", "monitor-overview")
    shown = {(ref["type"], ref["id"]) for ref in dashboard["references"]}
    expected = {("lens", id_) for id_ in _ids("lens")} | {("map", id_) for id_ in _ids("map")}
    assert shown == expected | {("search", "monitor-crises")}
    assert dashboard["attributes"]["title"] == "Мониторинг: обзор"


def test_overview_restores_the_last_seven_days() -> None:
    attributes = _get("dashboard", "monitor-overview")["attributes"]
    restored = (attributes["timeRestore"], attributes["timeFrom"], attributes["timeTo"])
    assert restored == (True, "now-7d", "now")


def test_queues_dashboard_shows_factcheck_crises_and_routing_queues() -> None:
    dashboard = _get("dashboard", "monitor-queues")
    shown = {ref["id"] for ref in dashboard["references"] if ref["type"] == "search"}
    assert {"monitor-factcheck-queue", "monitor-crises"} <= shown
    assert {id_ for id_ in shown if id_.startswith("monitor-routing-")}
    assert dashboard["attributes"]["title"] == "Очереди"


def test_a_region_with_its_own_sectors_gets_its_own_routing_queues() -> None:
    from indexer.elastic.kibana import saved_objects

    objects = [json.loads(line) for line in saved_objects("monitor", sectors=[("snow", "Снег и наледь")]).splitlines()]
    routing = [obj for obj in objects if obj["type"] == "search" and obj["id"].startswith("monitor-routing-")]
    assert [(obj["id"], obj["attributes"]["title"]) for obj in routing] == [
        ("monitor-routing-snow", "Очередь маршрутизации: Снег и наледь")]
