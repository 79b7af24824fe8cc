"""The console's pages and files as the app serves them (api/console.py): the redirect from `/`,
a Content-Security-Policy with no inline script and no other origin, framing refused, the files
cacheable while the API's answers stay no-store, nothing of it in the OpenAPI document, and a page
saying so where the console's packages are not installed (an API-only deployment)."""

import pytest

from api import console


@pytest.fixture
def browser_client(app):
    return app.test_client()


def test_the_root_sends_the_browser_to_the_console(browser_client):
    response = browser_client.get("/")

    assert response.status_code == 302
    assert response.headers["Location"] == "/console/"


@pytest.mark.parametrize("path", ["/console/", "/console/contact", "/console/js/api.js"])
def test_console_pages_and_files_carry_a_strict_content_security_policy(browser_client, path):
    response = browser_client.get(path)
    if path != "/console/js/api.js" and not console.installed():
        assert response.status_code == 503
    else:
        assert response.status_code == 200
    policy = dict(part.split(" ", 1) for part in response.headers["Content-Security-Policy"].split("; "))

    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no other origin
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert "http" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_consoles_files_are_cacheable_and_the_apis_answers_are_not(browser_client, practitioner):
    script = browser_client.get("/console/js/api.js")
    answer = practitioner.get("/api/v1/contacts")

    assert script.headers["Cache-Control"] == "public, no-cache"  # kept, revalidated by ETag
    assert script.headers["ETag"]
    assert browser_client.get("/console/js/api.js",
                              headers={"If-None-Match": script.headers["ETag"]}).status_code == 304
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_console_is_no_part_of_the_api_document(spec):
    assert not [path for path in spec["paths"] if not path.startswith("/api/v1/")]


@pytest.mark.parametrize("path", ["/console/js/nothing.js", "/console/js/../../wsgi.py",
                                  "/console/node_modules/axe-core/axe.min.js",
                                  "/console/package.json", "/console/css/../package.json"])
def test_only_the_consoles_own_files_are_served(browser_client, path):
    assert browser_client.get(path).status_code == 404


def test_without_its_packages_the_console_says_the_server_is_api_only(
        browser_client, monkeypatch):
    monkeypatch.setattr(console, "installed", lambda: False)

    response = browser_client.get("/console/")

    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert "make console" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.skipif(not console.installed(), reason="the console's packages are not installed")
@pytest.mark.parametrize("name", sorted(console.PAGES))
def test_each_page_is_the_shell_with_its_own_title_and_script_and_is_revalidated(
        browser_client, name):
    title, script = console.PAGES[name]

    response = browser_client.get(f"/console/{name}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"<title>{title} – MASH front door</title>" in html
    assert f'<script type="module" src="/console/js/{script}"></script>' in html
    assert "{{" not in html
    assert (console.CONSOLE_DIR / "js" / script).is_file()
    assert response.headers["Cache-Control"] == "public, no-cache"
    again = browser_client.get(f"/console/{name}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("path", ["/console/page.html", "/console/queue", "/console/contact/x"])
def test_a_page_the_console_does_not_have_is_not_found(browser_client, path):
    assert browser_client.get(path).status_code == 404
