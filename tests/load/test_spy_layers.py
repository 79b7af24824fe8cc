"""bench/spy_load.py puts each py-spy sample in the innermost layer of the request it is in."""

from bench.spy_load import OWN_WORK, SERVER, layer_of, layers

GUNICORN = ["SyncWorker.handle (gunicorn/workers/sync.py:1)",
            "SyncWorker.handle_request (gunicorn/workers/sync.py:2)"]
FLASK = GUNICORN + ["Flask.__call__ (flask/app.py:3)", "Flask.wsgi_app (flask/app.py:4)",
                    "Flask.full_dispatch_request (flask/app.py:5)"]
ROUTE = FLASK + ["Blueprint.route.<locals>.decorate.<locals>.view (api/routes/__init__.py:6)"]
KEYED = ROUTE + ["run_write (api/transactions.py:7)"]
COMMIT = "scoped_session.commit (sqlalchemy/orm/scoping.py:8)"


def test_a_sample_goes_to_the_innermost_layer_it_is_in():
    in_route = KEYED + [
        "ResponseMixin.response.<locals>.decorator.<locals>.wrapper (flask_smorest/response.py:9)",
        "create_contact (api/routes/contacts.py:10)", "record_contact (api/domain/contacts.py:11)",
        COMMIT]
    serialising = KEYED + [
        "ResponseMixin.response.<locals>.decorator.<locals>.wrapper (flask_smorest/response.py:9)",
        "Schema.dump (marshmallow/schema.py:12)"]

    assert layer_of(in_route) == OWN_WORK  # a commit inside the route is the route's
    assert layer_of(serialising) == "response: serialise, ETag"
    assert layer_of(KEYED + [COMMIT]) == "the write's commit"
    assert layer_of(KEYED + ["_claim (api/transactions.py:13)", COMMIT]) == \
        "Idempotency-Key: the claim"
    assert layer_of(ROUTE + ["authorise (api/auth.py:17)", "account_refuses (api/caller.py:18)"]) \
        == "token and account check"
    assert layer_of(FLASK + ["Flask.process_response (flask/app.py:14)",
                             "record_access (api/access.py:15)", COMMIT]) == \
        "access event (written and committed)"
    assert layer_of(GUNICORN + ["close_graceful (gunicorn/util.py:16)"]) == SERVER


def test_shares_are_summed_over_the_files(tmp_path):
    first, second = tmp_path / "a.raw", tmp_path / "b.raw"
    first.write_text(";".join(KEYED + [COMMIT]) + " 3\n")
    second.write_text(";".join(GUNICORN) + " 1\n\n")

    shares, total = layers([first, second])

    assert total == 4
    assert shares == {"the write's commit": 0.75, SERVER: 0.25}
