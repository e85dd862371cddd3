"""medai up"""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from medai.cli._common import add_command, course_path, layout, load


def _up(args) -> int:
    from medai.datasets.build import build_datasets, missing_datasets
    from medai.grader.nbgrader_ops import release_due
    from medai.hub.accounts import is_root
    from medai.hub.settings import HubSettings
    from medai.hub.up import DEMO_PASSWORD_DEFAULT, prepare_deployment, run_hub

    course = load(args)
    lay = layout(args)
    system = is_root() and not args.single_account
    password = os.environ.get("MEDAI_DEMO_PASSWORD") or DEMO_PASSWORD_DEFAULT
    settings = replace(
        HubSettings.from_env(), layout=lay, course_file=Path(course_path(args)).resolve(),
        ip=args.ip, port=args.port, single_account=not system,
        **({"auth": "shared-password", "shared_password": password} if args.demo else {}))
    if not system:
        print("SINGLE-ACCOUNT MODE (developer laptop only): every server runs as this account; "
              "users are not isolated from each other.")
    roster, lines = prepare_deployment(course=course, layout=lay, demo=args.demo, system=system)
    missing = missing_datasets(lay.data_dir)
    if missing:  # the assignments read them; built once, kept across restarts
        build_datasets(out_dir=lay.data_dir, truth_dir=lay.course_dir / "truth", names=missing)
        lines.append(f"built datasets: {', '.join(missing)}")
    lines += [str(r) for r in release_due(course=course, layout=lay)]
    print("\n".join(lines), flush=True)
    return run_hub(settings=settings, course=course, roster=roster, show_password=password if args.demo else None)


def register(sub, common) -> None:
    p = add_command(
        sub, common, "up", func=_up,
        help="build the course directory and datasets, import the roster, release due assignments, run the hub",
        example="MEDAI_DEMO_PASSWORD=secret-pass medai up --demo --port 8000",
        description="Runs JupyterHub in the foreground on embedded defaults; Ctrl-C stops it and everything it "
                    "started. State (users, their files, the gradebook) lives under $MEDAI_ROOT and survives "
                    "restarts.")
    p.add_argument("--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument("--demo", action="store_true",
                   help="import the demo cohort; everyone's password is $MEDAI_DEMO_PASSWORD (default medai-demo)")
    p.add_argument("--single-account", action="store_true",
                   help="developer laptop only: run every server as this account (no isolation)")
