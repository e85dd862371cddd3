"""medai up"""
from __future__ import annotations

from pathlib import Path

from medai.cli._common import add_command, course_path, layout, load
from medai.settings import default


def _up(args) -> int:
    from medai.compose import start_platform
    from medai.hub.accounts import is_root
    from medai.hub.settings import HubSettings
    from medai.hub.up import run_hub

    course = load(args)
    lay = layout(args)
    system = is_root() and not args.single_account
    env = HubSettings.from_env()
    settings = env.replace(
        layout=lay, course_file=Path(course_path(args)), ip=args.ip or env.ip, port=args.port or env.port,
        single_account=not system,
        **({"auth": "shared-password", "shared_password": env.demo_password} if args.demo else {}))
    if not system:
        print("SINGLE-ACCOUNT MODE (developer laptop only): every server runs as this account; "
              "users are not isolated from each other.")
    roster, lines = start_platform(course=course, settings=settings, demo=args.demo, system=system)
    print("\n".join(lines), flush=True)
    return run_hub(settings=settings, course=course, roster=roster,
                   show_password=settings.demo_password if args.demo else None)


def register(sub, common) -> None:
    p = add_command(
        sub, common, "up", func=_up,
        help="build the course directory and datasets, import the roster, release due assignments, run the hub",
        example="MEDAI_DEMO_PASSWORD=secret-pass medai up --demo --port 8000",
        description="Runs JupyterHub in the foreground on embedded defaults; Ctrl-C stops it and everything it "
                    "started. State (users, their files, the gradebook) lives under $MEDAI_ROOT and survives "
                    "restarts.")
    p.add_argument("--ip", help=f"address to listen on (default $MEDAI_HUB_IP, else {default('ip')})")
    p.add_argument("--port", type=int, help=f"port to listen on (default $MEDAI_HUB_PORT, else {default('port')})")
    p.add_argument("--demo", action="store_true",
                   help="import the demo cohort; everyone's password is $MEDAI_DEMO_PASSWORD "
                        f"(default {default('demo_password')})")
    p.add_argument("--single-account", action="store_true",
                   help="developer laptop only: run every server as this account (no isolation)")
