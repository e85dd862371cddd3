"""medai datasets list | build | card"""
from __future__ import annotations

from pathlib import Path

from medai.cli._common import add_command, layout


def _list(args) -> int:
    from medai.datasets import registry

    width = max(len(n) for n in registry.names())
    for spec in registry.SPECS:
        size = f"default {spec.default_size:,} {spec.size_unit}" if spec.default_size else spec.card.size
        print(f"{spec.name:<{width}}  {spec.kind:<9}  {spec.card.title} ({size})")
    return 0


def _build(args) -> int:
    from medai.datasets.build import build_datasets

    lay = layout(args)
    out = Path(args.out) if args.out else lay.data_dir
    truth = Path(args.truth_dir) if args.truth_dir else lay.course_dir / "truth"
    report = build_datasets(out_dir=out, truth_dir=truth, names=args.names or None, seed=args.seed, size=args.size)
    for d in report.datasets:
        made = f"seed {d.seed}, size {d.size:,}" if d.seed is not None else "packaged"
        line = f"built {d.name}: {d.path} ({d.files} files, {d.bytes / 1e6:.1f} MB, {made})"
        print(line + (f"; truth for graders: {d.truth}" if d.truth else ""))
    return 0


def _card(args) -> int:
    from medai.datasets import registry

    spec = registry.get(args.name)
    print(spec.card.to_markdown(seed=args.seed, size=args.size), end="")
    return 0


def register(sub, common) -> None:
    group = sub.add_parser("datasets", help="list, build and describe the course's datasets",
                           description="Synthetic hospital data and packaged real data for assignments.")
    inner = group.add_subparsers(dest="datasets_command", metavar="SUBCOMMAND", required=True)
    add_command(inner, common, "list", func=_list, help="list the registered datasets",
                example="medai datasets list")
    p = add_command(inner, common, "build", func=_build,
                    help="build datasets into the data directory (read-only for students, with a manifest)",
                    example="medai datasets build omop-cohort --seed 2026 --size 20000")
    p.add_argument("names", nargs="*", metavar="NAME", help="datasets to build (default: all)")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic generators (default: 0)")
    p.add_argument("--size", type=int, default=None,
                   help="persons / images / records of each synthetic dataset (default: each one's own)")
    p.add_argument("--out", metavar="DIR", default=None, help="data directory (default: <data root>/data)")
    p.add_argument("--truth-dir", metavar="DIR", default=None,
                   help="where graders' ground truth goes (default: <course dir>/truth; never under --out)")
    p = add_command(inner, common, "card", func=_card, help="print a dataset's card (source, licence, schema, ...)",
                    example="medai datasets card omop-cohort")
    p.add_argument("name", metavar="NAME", help="a dataset name from `medai datasets list`")
    p.add_argument("--seed", type=int, default=None,
                   help="for cards that report what a build achieved: the build's seed (default: 0)")
    p.add_argument("--size", type=int, default=None,
                   help="for cards that report what a build achieved: the build's size (default: the default)")
