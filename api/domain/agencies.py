from sqlalchemy import select

from ..models import Agency
from ..pages import keyset_page


def list_agencies(args):
    return keyset_page(select(Agency), [Agency.code], limit=args["limit"], cursor=args.get("cursor"))
