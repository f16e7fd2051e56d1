"""A run given a few files reports on them exactly what a run over their whole
project reports: the project-wide rules load what they need (the views and
URLconfs a settings module leads to, the models related to a model used).

The pre-commit hook is the shape that matters: it runs the installed command
from the repository's root with only the changed files as arguments."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli_helpers import installed, write_tree
from tests.helpers import FIXTURES, lint_paths

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _shown(findings) -> set[tuple[str, str, int, int, str]]:
    return {(str(Path(f.path).resolve()), f.code, f.line, f.column, f.message) for f in findings}


def _json_findings(result: subprocess.CompletedProcess, cwd: Path) -> set[tuple[str, str, int, str]]:
    import json

    assert result.returncode in (0, 1), result.stderr
    return {(str((cwd / f["filename"]).resolve()), f["code"], f["location"]["row"], f["message"]) for f in json.loads(result.stdout)}


# -- DJA507 from the settings module alone ------------------------------------------------------


def test_dja507_from_a_settings_only_run_names_the_view_the_full_run_names(tmp_path: Path) -> None:
    project = tmp_path / "examples"
    shutil.copytree(EXAMPLES, project)
    settings = project / "mysite" / "settings.py"
    alone = _json_findings(installed("--format", "json", "--no-cache", "mysite/settings.py", cwd=project), project)
    whole = _json_findings(installed("--format", "json", "--no-cache", ".", cwd=project), project)
    on_settings = {f for f in whole if f[0] == str(settings)}
    assert alone == on_settings
    assert [(code, line) for _, code, line, _ in alone] == [("DJA507", 29)]
    # The view comes from a module only the URLconf names (not a views module).
    assert "`pay_order` (shop/integrations.py:21)" in next(iter(alone))[3]


ROUTED_PROJECT = {
    "manage.py": """\
        import os

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        """,
    "config/__init__.py": "",
    "config/settings.py": """\
        ROOT_URLCONF = "config.routes"
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "ATOMIC_REQUESTS": True}}
        """,
    # Not named urls.py: found through ROOT_URLCONF only.
    "config/routes.py": """\
        from django.urls import include, path

        urlpatterns = [path("api/", include("billing.endpoints"))]
        """,
    "billing/__init__.py": "",
    # An included URLconf, not named urls.py either.
    "billing/endpoints.py": """\
        from django.urls import path
        from rest_framework.routers import DefaultRouter

        from billing.invoices import InvoiceView
        from billing.payments import PaymentViewSet

        router = DefaultRouter()
        router.register("payments", PaymentViewSet, basename="payment")
        urlpatterns = [path("invoices/", InvoiceView.as_view()), *router.urls]
        """,
    # An async view in a module that is not a views module: routed only by the included URLconf.
    "billing/invoices.py": """\
        from adrf.views import APIView
        from rest_framework.response import Response


        class InvoiceView(APIView):
            async def get(self, request):
                return Response([])
        """,
    "billing/payments.py": """\
        from rest_framework.viewsets import ViewSet


        class PaymentViewSet(ViewSet):
            def list(self, request):
                return None
        """,
}


def _git_repo(root: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("needs git")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)


def test_dja507_from_a_pre_commit_run_naming_only_the_settings_file(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "repo", ROUTED_PROJECT)
    _git_repo(project)
    # As the hook runs: from the repository root, the changed file as a relative path.
    hook = installed("--format", "json", "--no-cache", "config/settings.py", cwd=project)
    found = _json_findings(hook, project)
    assert [(Path(path).name, code, line) for path, code, line, _ in found] == [("settings.py", "DJA507", 2)]
    assert "`InvoiceView` (billing/invoices.py:5)" in next(iter(found))[3]
    whole = _json_findings(installed("--format", "json", "--no-cache", ".", cwd=project), project)
    assert found == {f for f in whole if f[0] == str(project / "config" / "settings.py")}


def test_a_settings_module_sees_only_the_views_of_its_own_project(tmp_path: Path) -> None:
    # Two projects linted in one run: the async view of one does not make the
    # other's ATOMIC_REQUESTS a finding.
    write_tree(tmp_path / "one", {**ROUTED_PROJECT})
    write_tree(
        tmp_path / "two",
        {
            "manage.py": "",
            "site/settings.py": 'DATABASES = {"default": {"ATOMIC_REQUESTS": True}}\n',
            "site/views.py": "def index(request):\n    return None\n",
        },
    )
    write_tree(tmp_path, {"pyproject.toml": ""})
    found = lint_paths([tmp_path / "one", tmp_path / "two"], select=["DJA507"])
    assert [(Path(f.path).parent.parent.name, f.code) for f in found] == [("one", "DJA507")]


# -- DJA204 through a reverse relation declared in a module no target names ---------------------

REVERSE_PROJECT = {
    "manage.py": "",
    "blog/__init__.py": "",
    "blog/models.py": """\
        from django.db import models


        class Post(models.Model):
            title = models.CharField(max_length=200)
        """,
    "comments/__init__.py": "",
    # The relation, and so Post's reverse accessor `comments`, is declared here.
    "comments/models.py": """\
        from django.db import models

        from blog.models import Post


        class Comment(models.Model):
            post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
            body = models.TextField()
        """,
    "blog/views.py": """\
        from django.http import JsonResponse

        from blog.models import Post


        async def post_comments(request, pk):
            post = await Post.objects.aget(pk=pk)
            bodies = [c.body for c in post.comments.all()]
            return JsonResponse({"title": post.title, "comments": bodies})
        """,
}


def test_reverse_relation_dja204_on_a_one_file_run(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "site", REVERSE_PROJECT)
    views = project / "blog" / "views.py"
    alone = lint_paths([views], select=["DJA2"])
    assert [(f.code, f.line) for f in alone] == [("DJA204", 8)]
    assert "post.comments.all()" in alone[0].message
    whole = lint_paths([project], select=["DJA2"])
    assert _shown(alone) == _shown(f for f in whole if Path(f.path) == views)


# -- every file alone reports what the whole run reports for it ----------------------------------

PROJECTS = [EXAMPLES, *sorted(p for p in FIXTURES.iterdir() if p.is_dir())]


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_each_file_alone_reports_what_the_whole_project_run_reports(project: Path) -> None:
    whole = lint_paths([project])
    for path in sorted(project.rglob("*.py")):
        expected = _shown(f for f in whole if Path(f.path).resolve() == path.resolve())
        assert _shown(lint_paths([path])) == expected, path


def test_each_single_file_fixture_alone_reports_what_the_corpus_run_reports() -> None:
    files = sorted(FIXTURES.glob("*.py"))
    whole = lint_paths(files)
    for path in files:
        expected = _shown(f for f in whole if Path(f.path).resolve() == path.resolve())
        assert _shown(lint_paths([path])) == expected, path
