from ..auth import CASE_READERS
from ..domain import metrics
from . import Blueprint
from schemas.metrics import MetricsArgsSchema, TimelinessSchema

blp = Blueprint("metrics", __name__, description="Timeliness metrics (definitions: README)")


@blp.route("/metrics/timeliness", roles=CASE_READERS)
@blp.arguments(MetricsArgsSchema, location="query")
@blp.response(200, TimelinessSchema)
def timeliness(args):
    """The front door's timeliness figures for a period of London dates, optionally grouped."""
    return metrics.timeliness({**args, "from": args.pop("from_")})
