# medai's JupyterHub configuration: thin on purpose. Everything is decided by the pure functions in
# medai.hub.apply from the settings (environment set by `medai up`), course.yaml and the imported roster.
# Site-specific overrides (SSO endpoints, TLS, ...) go in <root>/hub/jupyterhub_config.local.py.
from medai.course import load_course
from medai.hub.apply import apply_all
from medai.hub.runtime import cli_token, load_saved_roster
from medai.hub.settings import HubSettings

settings = HubSettings.from_env()
course = load_course(settings.course_file)
apply_all(c, settings, course, load_saved_roster(settings.layout, course), cli_token=cli_token(settings.layout))  # noqa: F821

local = settings.layout.hub_dir / "jupyterhub_config.local.py"
if local.exists():
    load_subconfig(str(local))  # noqa: F821
