"""Staff sign in to the console with the council's identity provider (an OpenID provider served by
the tests, tests/oidc_provider.py): the authorization code flow with PKCE, the console a public
client; the API maps the provider's token to the person's role, and the console shows what that
role may do. Without a provider configured the console signs in with a password (the other
tests of tests/console)."""

import re

import pytest
from playwright.sync_api import expect

from bench.load import free_port
from tests.oidc_provider import AUDIENCE, Provider

pytestmark = pytest.mark.needs_browser


PORT = free_port()
REALM = "council"
OID = "5d7c1a2b-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
CLIENT_ID = "mash-console"
SCOPE = "openid api://mash-front-door/.default"
# The console's server trusts the provider and signs staff in with it (tests/console/conftest.py).
SERVER_ENVIRONMENT = {"OIDC_ISSUER": f"http://127.0.0.1:{PORT}/{REALM}", "OIDC_AUDIENCE": AUDIENCE,
                      "OIDC_CONSOLE_CLIENT_ID": CLIENT_ID, "OIDC_CONSOLE_SCOPE": SCOPE}
SIGN_IN = "Sign in with your council account"


@pytest.fixture(scope="module")
def provider():
    served = Provider(realm=REALM, port=PORT)
    yield served
    served.stop()


def test_a_manager_signs_in_with_the_council_account_and_the_console_follows_the_mapped_role(
        provider, site, watched, axe, snap):
    page = watched.page
    provider.person = {"roles": ["manager:mash"], "oid": OID}

    page.goto("/console/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(0)  # no password here: the council's
    axe(page, "council sign-in")
    snap(page, "council-sign-in")
    page.get_by_role("button", name=SIGN_IN).click()

    expect(page.get_by_role("heading", name="Front-door queue")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/console/$"))  # the code is gone from the address
    # A manager's navigation (Sign-off is a manager's page), from the role the API mapped.
    expect(page.get_by_role("link", name="Sign-off")).to_be_visible()
    # The flow as RFC 7636 has it: S256, a fresh state, the verifier sent only to the token
    # endpoint, and the provider checked one against the other.
    asked = provider.authorizations[-1]
    assert (asked["response_type"], asked["code_challenge_method"], asked["client_id"],
            asked["scope"], asked["redirect_uri"]) == (
        "code", "S256", CLIENT_ID, SCOPE, f"{site.url}/console/")
    assert len(asked["state"]) >= 40 and "code_verifier" not in asked
    exchanged = provider.exchanges[-1]
    assert exchanged["status"] == 200 and len(exchanged["form"]["code_verifier"]) >= 43
    assert page.evaluate("() => sessionStorage.getItem('mash-console-sign-in')") is None
    axe(page, "queue after council sign-in")
    snap(page, "council-signed-in")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name=SIGN_IN)).to_be_visible()
    # No script error and no CSP violation (the token endpoint is on the provider's origin).
    assert watched.dialogs == [] and watched.errors == []


def test_the_sign_in_comes_back_to_the_page_it_began_on(provider, site, watched):
    page = watched.page
    provider.person = {"roles": ["practitioner:mash"], "oid": OID}

    page.goto("/console/children")
    page.get_by_role("button", name=SIGN_IN).click()

    expect(page.get_by_role("heading", name="Find a child")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/console/children$"))
    expect(page.get_by_role("link", name="Sign-off")).to_have_count(0)  # a practitioner's
    assert watched.dialogs == [] and watched.errors == []


def test_a_council_account_without_a_role_here_is_told_so(provider, site, watched):
    page = watched.page
    provider.person = {"roles": ["Directory.Read"], "oid": OID}

    page.goto("/console/")
    page.get_by_role("button", name=SIGN_IN).click()

    expect(page.get_by_role("alert")).to_contain_text("no role for this API")
    expect(page.get_by_role("button", name=SIGN_IN)).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('mash-console-session')") is None


def test_a_code_brought_back_without_a_sign_in_begun_here_is_refused(provider, site, watched):
    page = watched.page
    before = len(provider.exchanges)

    page.goto("/console/?code=stolen-code&state=made-up-state")

    expect(page.get_by_role("alert")).to_contain_text("not started here")
    assert len(provider.exchanges) == before  # the code was never offered to the provider
    expect(page).to_have_url(re.compile(r"/console/$"))
