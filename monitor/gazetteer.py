"""``monitor gazetteer import``: a town's gazetteer from an OpenStreetMap extract (pyosmium)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    gazetteer = sub.add_parser("gazetteer", help="the gazetteer: import a town from an OpenStreetMap extract")
    actions = gazetteer.add_subparsers(dest="action", required=True)
    imports = actions.add_parser("import", help="streets, house points and districts from <region>.osm.pbf "
                                                "into a territories YAML file (DETECTOR_TERRITORIES)")
    imports.add_argument("extract", type=Path, help="an OpenStreetMap extract (.osm.pbf or .osm)")
    imports.add_argument("--out", type=Path, help="the YAML file to write (default: stdout)")
    imports.add_argument("--town", help="the municipality's name (default: the extract's place=city|town node)")
    imports.set_defaults(run=run_import)


def run_import(args: argparse.Namespace) -> int:
    import yaml

    from detector.places.osm import read_extract, territories
    from detector.staff.territories import read_territories
    from detector.text.lemmas import Lemmatizer
    from monitor.common import UsageError

    if not args.extract.is_file():
        raise UsageError(f"no such extract: {args.extract}")
    started = time.perf_counter()
    document = territories(read_extract(args.extract), Lemmatizer(), args.town)
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    args.out.write_text(text, encoding="utf-8")
    summary = read_territories(args.out).summary()  # the file as the detector will read it
    houses = sum(len(s.house_points) for town in read_territories(args.out).municipalities for s in town.streets)
    print(f"{args.out}: {summary}, {houses} house points, in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0
