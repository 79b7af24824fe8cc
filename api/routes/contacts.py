from flask import request, url_for

from ..auth import current_actor, requires
from ..domain import contacts
from ..errors import PreconditionFailed
from ..idempotency import idempotent
from . import Blueprint
from schemas.contacts import ConsentInSchema, ContactCreateSchema, ContactListArgsSchema, ContactSchema
from schemas.common import page_of

blp = Blueprint("contacts", __name__, description="Contacts: worries about children, as received")

READERS = ("agency", "practitioner", "manager", "auditor")


def _located(contact):
    return contact, {"Location": url_for("contacts.get_contact", contact_id=contact.id)}


def _check_if_match(contact):
    """Honour If-Match: the ETag a client last read must still be current."""
    if request.if_match and not request.if_match.contains(
        Blueprint._generate_etag(ContactSchema().dump(contact))
    ):
        raise PreconditionFailed("The contact has changed since you read it; read it again.")


@blp.route("/contacts", methods=["POST"])
@requires("agency", "practitioner", "manager")
@idempotent
@blp.arguments(ContactCreateSchema)
@blp.response(201, ContactSchema)
def create_contact(data):
    """Record a contact (a partner system, or a practitioner taking a call)."""
    actor = current_actor()
    contact = contacts.record_contact(actor, data)
    return contacts.view_for(actor, contact), {
        "Location": url_for("contacts.get_contact", contact_id=contact.id)
    }


@blp.route("/contacts")
@requires(*READERS)
@blp.arguments(ContactListArgsSchema, location="query")
@blp.response(200, page_of(ContactSchema))
def list_contacts(args):
    """List contacts, newest received first (an agency sees only those its systems posted)."""
    actor = current_actor()
    page = contacts.list_contacts(actor, args)
    return {**page, "items": [contacts.view_for(actor, c) for c in page["items"]]}


@blp.route("/contacts/<uuid:contact_id>")
@requires(*READERS)
@blp.etag
@blp.response(200, ContactSchema)
def get_contact(contact_id):
    """Read one contact. Another agency's contact is a 404."""
    actor = current_actor()
    return contacts.view_for(actor, contacts.get_contact(actor, contact_id))


@blp.route("/contacts/<uuid:contact_id>/consent", methods=["POST"])
@requires("practitioner", "manager")
@idempotent
@blp.arguments(ConsentInSchema)
@blp.response(201, ContactSchema)
@blp.doc(parameters=[{"in": "header", "name": "If-Match", "required": False,
                      "schema": {"type": "string"},
                      "description": "The contact's ETag as last read; 412 if it has changed."}])
def record_consent(data, contact_id):
    """Record a new consent status for a contact; every earlier status is kept."""
    actor = current_actor()
    _check_if_match(contacts.get_contact(actor, contact_id))
    return _located(contacts.record_consent(actor, contact_id, data))
