"""One flask-smorest Blueprint per resource."""

import flask_smorest
from webargs.flaskparser import FlaskParser


class StrictParser(FlaskParser):
    # An unknown query parameter is most often a misspelt filter: say so rather than ignore it.
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": None,
        "querystring": None,
    }


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictParser()


def register(api):
    from . import agencies, audit, auth, children, contacts, decisions, health, meetings, transitions

    for module in (auth, health, agencies, contacts, decisions, children, meetings, transitions, audit):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
