"""The revision the migrations end at (Alembic's head), read once from migrations/."""

from functools import cache

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory

from .config import PROJECT_ROOT


@cache
def head_revision():
    config = AlembicConfig()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()
