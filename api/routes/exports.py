from .. import jobs
from ..auth import OVERSEERS
from ..caller import current_actor
from ..db import session
from ..domain import annex_a, cin_census, exports, restrictions
from ..errors import Conflict
from ..streams import CSV, JSON, NDJSON, XML, csv_response, ndjson_response, preferred_format, xml_response
from . import Blueprint
from schemas.annex_a import ANNEX_A_DESCRIPTION, LIST_TITLES, AnnexAArgsSchema, headings
from schemas.cin_census import CIN_CENSUS_DESCRIPTION, CinCensusArgsSchema
from schemas.common import page_of
from schemas.exports import (
    CSV_HEADER, EXPORT_DESCRIPTION, DecisionExportArgsSchema, DecisionExportSchema, csv_row,
)

blp = Blueprint("exports", __name__, description="Bulk exports for quality assurance and inspection")


@blp.route("/exports/decisions", roles=OVERSEERS, logs_access="export")
@blp.arguments(DecisionExportArgsSchema, location="query")
@blp.response(200, page_of(DecisionExportSchema))
# flask-smorest documents one content type per response: the 200 is written out whole here.
@blp.doc(responses={"200": {"description": EXPORT_DESCRIPTION, "content": {
    JSON: {"schema": page_of(DecisionExportSchema)},
    NDJSON: {"schema": DecisionExportSchema},
    CSV: {"schema": {"type": "string", "description": "A header line, then one line a decision."}},
}}, "406": "NOT_ACCEPTABLE"})
def export_decisions(args):
    """Export the threshold decisions of a period: a JSON page, or every row as NDJSON or CSV."""
    wanted = preferred_format(JSON, NDJSON, CSV)
    shut = restrictions.hidden(current_actor())  # read now: the rows are read after the answer
    if wanted == JSON:
        return exports.decision_page(session, args, shut)

    fmt = "ndjson" if wanted == NDJSON else "csv"
    jobs.export_fits_a_request(
        exports.count_decisions(session, args, shut), "/api/v1/jobs/decision-exports",
        {"from": args["from_"].isoformat(), "to": args["to"].isoformat(), "format": fmt})

    def rows(reading):
        return exports.stream_decisions(reading, args, shut)

    if wanted == NDJSON:
        return ndjson_response(rows, DecisionExportSchema())
    name = f"decisions-{args['from_'].isoformat()}-{args['to'].isoformat()}.csv"
    return csv_response(rows, DecisionExportSchema(), CSV_HEADER, csv_row, name)


@blp.route('/exports/annex-a/<any(contacts, "early-help", referrals, assessments, "section-47"):list>',
           roles=OVERSEERS, logs_access="export")
@blp.arguments(AnnexAArgsSchema, location="query")
@blp.doc(responses={"200": {"description": ANNEX_A_DESCRIPTION, "content": {
    CSV: {"schema": {"type": "string", "description": "A header line, then a row per child and event."}},
}}, "406": "NOT_ACCEPTABLE"})
def export_annex_a(args, **path):
    """Export an Ofsted Annex A list for a period as CSV: contacts (List 1), early-help (List 2),
    referrals (List 3), assessments (List 4) or section-47 (List 5)."""
    preferred_format(CSV)
    name = path["list"]
    first, last = args["from_"], args["to"]
    shut = restrictions.hidden(current_actor())  # read now: the rows are read after the answer
    jobs.export_fits_a_request(
        exports.count_annex_a_records(session, name, first, last, shut), "/api/v1/jobs/annex-a-exports",
        {"list": name, "from": first.isoformat(), "to": last.isoformat()})

    def rows(reading):
        return annex_a.LISTS[name](reading, first, last, shut)

    number = LIST_TITLES[name][0].split()[-1]
    filename = f"annex-a-list-{number}-{name}-{first.isoformat()}-{last.isoformat()}.csv"
    return csv_response(rows, None, headings(name), list, filename)


@blp.route("/exports/cin-census", roles=OVERSEERS, logs_access="export")
@blp.arguments(CinCensusArgsSchema, location="query")
@blp.doc(responses={"200": {"description": CIN_CENSUS_DESCRIPTION, "content": {
    XML: {"schema": {"type": "string", "description": "The census return, one XML document."}},
}}, "406": "NOT_ACCEPTABLE", "409": "CONFLICT"})
def export_cin_census(args):
    """Export the DfE Children in Need census return of a collection year as XML."""
    from flask import current_app

    from ..timescales import now

    preferred_format(XML)
    year = cin_census.collection_year(args["year"])
    la_code = current_app.config["LA_CODE"]
    if not la_code:
        raise Conflict("The council's LA number is not configured (LA_CODE): the return would "
                       "not say whose it is.")
    shut = restrictions.hidden(current_actor())  # read now: the rows are read after the answer
    at, release = now(), cin_census.release_of_this_software()

    def pieces(reading):
        return cin_census.census_xml(reading, year, shut, la_code, release, at)

    return xml_response(pieces, f"cin-census-{year.label}-{la_code}.xml")
