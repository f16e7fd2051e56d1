"""A coroutine function given a lazy QuerySet or a model instance by its
caller (DJA202/DJA203/DJA204 at the call, through the project index): only
where its body runs."""

from pathlib import Path

from tests.cli_helpers import write_tree
from tests.helpers import lint_paths

MODELS = "from django.db import models\n\n\nclass Client(models.Model):\n    status = models.IntegerField(default=0)\n"
SENDERS = "async def mark_sent(client):\n    client.status = 1\n    client.save()\n"


def _found(root: Path) -> list[tuple[str, int, str]]:
    return sorted((Path(f.path).name, f.line, f.code) for f in lint_paths([root]))


def test_a_coroutine_dropped_unawaited_runs_no_query(tmp_path: Path) -> None:
    # Never awaited, its body never runs: DJA302's finding, not DJA203's.
    tasks = (
        "from app.models import Client\nfrom app.senders import mark_sent\n\n\n"
        "async def mark_dropped(pk):\n    client = await Client.objects.aget(pk=pk)\n    mark_sent(client)\n\n\n"
        "async def mark_awaited(pk):\n    client = await Client.objects.aget(pk=pk)\n    await mark_sent(client)\n"
    )
    write_tree(tmp_path, {"pyproject.toml": '[project]\nname = "x"\n', "app/__init__.py": "", "app/models.py": MODELS, "app/senders.py": SENDERS, "app/tasks.py": tasks})
    assert _found(tmp_path) == [("tasks.py", 7, "DJA302"), ("tasks.py", 12, "DJA203")]
