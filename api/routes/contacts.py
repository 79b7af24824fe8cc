from ..access import children_read
from ..auth import CONTACT_READERS, CONTACT_WRITERS, STAFF
from ..caller import current_actor
from ..domain import children, contacts
from . import Blueprint, honours_if_match, located, locator
from schemas.contacts import (
    ChildLinkSchema, ConsentInSchema, ContactCreateSchema, ContactListArgsSchema, ContactSchema,
    RagInSchema,
)
from schemas.common import page_of

blp = Blueprint("contacts", __name__, description="Contacts: worries about children, as received")


_located = locator("contacts.get_contact", "contact_id")


def current_contact(contact_id):
    """The contact as its GET shows it to this actor (for If-Match)."""
    actor = current_actor()
    return contacts.view_for(actor, contacts.get_contact(actor, contact_id))


if_contact_matches = honours_if_match(current_contact, ContactSchema, "contact")


@blp.route("/contacts", methods=["POST"], roles=CONTACT_WRITERS, writes=True)
@blp.arguments(ContactCreateSchema)
@blp.response(201, ContactSchema)
def create_contact(data):
    """Record a contact (a partner system, or a practitioner taking a call)."""
    actor = current_actor()
    contact = contacts.record_contact(actor, data)
    return located(contacts.view_for(actor, contact), "contacts.get_contact", contact_id=contact.id)


@blp.route("/contacts", roles=CONTACT_READERS, logs_access="contact")
@blp.arguments(ContactListArgsSchema, location="query")
@blp.response(200, page_of(ContactSchema))
def list_contacts(args):
    """List contacts, newest received first or soonest due (an agency sees only its own)."""
    actor = current_actor()
    page = contacts.list_contacts(actor, args)
    return {**page, "items": contacts.views_for(actor, page["items"])}


@blp.route("/contacts/<uuid:contact_id>", roles=CONTACT_READERS, logs_access="contact")
@blp.etag
@blp.response(200, ContactSchema)
def get_contact(contact_id):
    """Read one contact. Another agency's contact is a 404."""
    actor = current_actor()
    contact = contacts.read_contact(actor, contact_id)
    children_read("contact", contact.id, [link.child_id for link in contact.child_links])
    return contacts.view_for(actor, contact)


@blp.route("/contacts/<uuid:contact_id>/consent", methods=["POST"], roles=STAFF, writes=True)
@if_contact_matches
@blp.arguments(ConsentInSchema)
@blp.response(201, ContactSchema)
def record_consent(data, contact_id):
    """Record a new consent status for a contact; every earlier status is kept."""
    actor = current_actor()
    return _located(contacts.view_for(actor, contacts.record_consent(actor, contact_id, data)))


@blp.route("/contacts/<uuid:contact_id>/rag", methods=["POST"], roles=STAFF, writes=True)
@if_contact_matches
@blp.arguments(RagInSchema)
@blp.response(201, ContactSchema)
def record_rag(data, contact_id):
    """RAG rate a contact awaiting its decision: the rating sets its decision_due_at; every
    earlier rating is kept (rag_history). After the decision: 409."""
    actor = current_actor()
    return _located(contacts.view_for(actor, contacts.record_rag(actor, contact_id, data)))


@blp.route("/contacts/<uuid:contact_id>/children/<int:n>/link", methods=["POST"], roles=STAFF,
           writes=True, parameters=[{
               "in": "path", "name": "n", "description": "Which of the contact's children: 0 for "
               "the first, in the order the contact gives them (404 past the last)."}])
@if_contact_matches
@blp.arguments(ChildLinkSchema)
@blp.response(201, ContactSchema)
def link_child(data, contact_id, n):
    """Confirm a possible match of a contact's child n (0 the first), or reject its matches."""
    actor = current_actor()
    contact = children.link_child(actor, contacts.lock_contact(actor, contact_id), n, data)
    return _located(contacts.view_for(actor, contacts.get_contact(actor, contact.id)))
